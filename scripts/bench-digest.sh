#!/usr/bin/env bash
# N personalised digests composed and delivered to a real SMTP server:
#
#   scripts/bench-digest.sh [BIN] [SUBSCRIBERS]   (default: release build, 100000)
#
# Starts the test SMTP server (scripts/smtp-server.py, aiosmtpd, keeping no
# message bodies) on a free loopback port, runs `dailypapers bench digest`
# against it, and checks what the server received: one message per
# subscriber, each with its own Message-ID. Environment: DIGEST_ARGS (extra
# `bench digest` options, e.g. --store postgres://…), KEEP_TMP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${1:-$ROOT/target/release/dailypapers}
N=${2:-100000}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
TMP=$(mktemp -d /tmp/dp-digest.XXXXXX)
cleanup() {
    [ -n "${SMTP_PID:-}" ] && kill "$SMTP_PID" 2>/dev/null || true
    if [ "${KEEP_TMP:-}" != 1 ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

.venv/bin/python scripts/smtp-server.py --port 0 --dir "$TMP/smtp" --no-bodies &
SMTP_PID=$!
for _ in $(seq 100); do [ -s "$TMP/smtp/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/smtp/port")

# shellcheck disable=SC2086
"$BIN" --data-dir "$TMP/data" --smtp-url "smtp://127.0.0.1:$PORT" \
    bench digest --subscribers "$N" ${DIGEST_ARGS:-}

.venv/bin/python - "$TMP/smtp/received.jsonl" "$N" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = int(sys.argv[2])
ids = {l["message_id"] for l in lines}
rcpts = {r for l in lines for r in l["rcpt_tos"]}
print(f"SMTP server: {len(lines)} messages received, {len(ids)} Message-IDs, {len(rcpts)} recipients")
if len(lines) != want or len(ids) != want or len(rcpts) != want:
    sys.exit(f"expected {want} of each")
PY
