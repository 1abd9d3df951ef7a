#!/usr/bin/env bash
# Install everything the tests need: Debian's PostgreSQL (for the second
# store backend; scripts/pg.sh runs throw-away clusters of it), Chromium and
# ChromeDriver, wrk and curl, and a Python virtualenv (.venv/) holding the
# official Hugging Face client, Selenium, schemathesis (which tests the
# server against its OpenAPI document), and the Prometheus client (whose
# parser reads /metrics), feedparser and atoma (which read every feed), and
# aiosmtpd (scripts/smtp-server.py, the SMTP server the mail tests send to).
#
# Idempotent: each step checks first and does nothing when already satisfied.
# Runs as root (no sudo); uses sudo only when not root and sudo exists.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

# Pinned Python packages (checked to exist on PyPI).
HF_HUB_VERSION="${HF_HUB_VERSION:-2.4.0}"
SELENIUM_VERSION="${SELENIUM_VERSION:-4.50.0}"
PROMETHEUS_CLIENT_VERSION="${PROMETHEUS_CLIENT_VERSION:-0.26.0}"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
FEEDPARSER_VERSION="${FEEDPARSER_VERSION:-6.0.14}"
ATOMA_VERSION="${ATOMA_VERSION:-0.0.17}"
AIOSMTPD_VERSION="${AIOSMTPD_VERSION:-1.4.6}"
PY_REQS=("huggingface_hub==${HF_HUB_VERSION}" "selenium==${SELENIUM_VERSION}" "prometheus_client==${PROMETHEUS_CLIENT_VERSION}" "schemathesis==${SCHEMATHESIS_VERSION}" "feedparser==${FEEDPARSER_VERSION}" "atoma==${ATOMA_VERSION}" "aiosmtpd==${AIOSMTPD_VERSION}")

APT_PKGS=(chromium chromium-driver wrk curl postgresql)

log() { printf '[install-test-deps] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        log "not root and no sudo: cannot install Debian packages" >&2
    fi
fi

# ---- Debian packages -------------------------------------------------------
missing=()
for pkg in "${APT_PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        :
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages already installed: ${APT_PKGS[*]}"
else
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

for bin in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$bin" ]; then
        log "expected $bin after installing chromium/chromium-driver, not found" >&2
        exit 1
    fi
done
log "$(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: version unknown')"
log "$(/usr/bin/chromedriver --version 2>/dev/null || echo 'chromedriver: version unknown')"

# ---- Python virtualenv -----------------------------------------------------
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"

if [ -x "$VPY" ] && "$VPY" -c 'import sys' >/dev/null 2>&1; then
    log "virtualenv exists: $VENV"
else
    log "creating virtualenv: $VENV (with $($PYTHON --version 2>&1))"
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        # Debian's system python needs python3-venv for ensurepip.
        log "python -m venv failed; installing python3-venv and retrying"
        $SUDO apt-get update -q
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
fi

# Are the pinned versions already there? (importlib.metadata, no network)
if "$VPY" - "${PY_REQS[@]}" <<'PYEOF'
import sys
from importlib import metadata
ok = True
for req in sys.argv[1:]:
    name, _, want = req.partition("==")
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        have = None
    if have != want:
        ok = False
sys.exit(0 if ok else 1)
PYEOF
then
    log "Python packages already satisfied: ${PY_REQS[*]}"
else
    log "pip installing: ${PY_REQS[*]}"
    "$VPY" -m pip install --disable-pip-version-check -q "${PY_REQS[@]}"
fi

log "done: $("$VPY" -c 'import huggingface_hub, selenium; print("huggingface_hub", huggingface_hub.__version__, "selenium", selenium.__version__)')"
