#!/usr/bin/env bash
# Server-level tests against a built `dailypapers` binary (this script builds nothing).
#
#   scripts/run-server-tests.sh [--only interop|browser] [BIN]
#
# BIN defaults to $DAILYPAPERS_BIN, else target/release/dailypapers.
# Steps: fresh temp data dir -> ingest the sample data (fixtures/) -> start
# `serve` on a free loopback port -> wait for /healthz -> run
#   tests/interop/test_hf_client.py  (official huggingface_hub client, HF_ENDPOINT)
#   tests/e2e/test_browser.py        (Selenium + Debian chromium, DAILYPAPERS_URL)
# with the .venv python (scripts/install-test-deps.sh makes it) -> stop the server.
# The last line is `N passed, N failed`; the exit code is non-zero if anything failed.
#
# Environment: DAILYPAPERS_BIN, HEALTH_TIMEOUT (seconds, default 30),
# TEST_TIMEOUT (seconds per test script, default 600), KEEP_TMP=1 keeps the
# temp dir (data, server.log), SCREENSHOT_DIR (default target/screenshots).
set -uo pipefail

ORIG_PWD="$(pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT="$(pwd)"

ONLY=""
BIN_ARG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY="${2:-}"; shift 2 ;;
        --only=*) ONLY="${1#--only=}"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) BIN_ARG="$1"; shift ;;
    esac
done
case "$ONLY" in ""|interop|browser) ;; *) echo "--only takes interop or browser, not '$ONLY'" >&2; exit 2 ;; esac

if [ -n "$BIN_ARG" ]; then
    case "$BIN_ARG" in /*) BIN="$BIN_ARG" ;; *) BIN="$ORIG_PWD/$BIN_ARG" ;; esac
elif [ -n "${DAILYPAPERS_BIN:-}" ]; then
    case "$DAILYPAPERS_BIN" in /*) BIN="$DAILYPAPERS_BIN" ;; *) BIN="$ORIG_PWD/$DAILYPAPERS_BIN" ;; esac
else
    BIN="$ROOT/target/release/dailypapers"
fi

VPY="$ROOT/.venv/bin/python"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-30}"
TEST_TIMEOUT="${TEST_TIMEOUT:-600}"

log() { printf '[server-tests] %s\n' "$*"; }

if [ ! -x "$BIN" ]; then
    log "binary not found or not executable: $BIN (build it: cargo build --release)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -x "$VPY" ]; then
    log "no $VPY: run scripts/install-test-deps.sh first" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

PASSED=0
FAILED=0
ok()   { PASSED=$((PASSED + 1)); log "PASS $*"; }
bad()  { FAILED=$((FAILED + 1)); log "FAIL $*"; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/dailypapers-test.XXXXXX")"
DATA="$TMP/data"
mkdir -p "$DATA"
SERVER_PID=""

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop on SIGTERM within 5 s; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_TMP:-0}" = "1" ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
    if [ -s "$TMP/server.log" ]; then
        log "last lines of the server log:"
        tail -n 40 "$TMP/server.log" | sed 's/^/    | /'
    fi
}

finish() {
    [ "$FAILED" -gt 0 ] && show_server_log
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

# Run one CLI step, its output indented; returns the step's exit code.
run_step() {
    local out="$TMP/step.out" rc
    "$@" >"$out" 2>&1
    rc=$?
    tail -n 15 "$out" | sed 's/^/    | /'
    return "$rc"
}

# ---- sample data ------------------------------------------------------------
shopt -s nullglob
HF_FILES=("$ROOT"/fixtures/hf-daily-papers/*.json)
ARXIV_ALL=("$ROOT"/fixtures/arxiv-api/*.xml)
ARXIV_GOOD=()
ARXIV_BAD=()
for f in "${ARXIV_ALL[@]}"; do
    case "$(basename "$f")" in
        id_abc_*|id_0000.0000_*) ARXIV_BAD+=("$f") ;;  # malformed id (HTTP 400 body), missing id (0 entries)
        *) ARXIV_GOOD+=("$f") ;;
    esac
done
shopt -u nullglob

log "binary: $BIN"
log "data dir: $DATA"

log "ingest hf-daily: ${#HF_FILES[@]} files"
if run_step "$BIN" --data-dir "$DATA" ingest hf-daily "${HF_FILES[@]}"; then
    ok "ingest hf-daily fixtures/hf-daily-papers/*.json"
else
    bad "ingest hf-daily fixtures/hf-daily-papers/*.json (nothing to test without it)"
    finish
fi

log "ingest arxiv: ${#ARXIV_GOOD[@]} good files"
if run_step "$BIN" --data-dir "$DATA" ingest arxiv "${ARXIV_GOOD[@]}"; then
    ok "ingest arxiv (good fixtures/arxiv-api/*.xml)"
else
    bad "ingest arxiv (good fixtures/arxiv-api/*.xml)"
fi

# The intentionally bad responses may be rejected (non-zero exit is fine) but
# must not crash the binary: a Rust panic exits 101, a signal 128+N.
for f in "${ARXIV_BAD[@]}"; do
    run_step "$BIN" --data-dir "$DATA" ingest arxiv "$f"
    rc=$?
    if [ "$rc" -eq 101 ] || [ "$rc" -ge 128 ]; then
        bad "ingest arxiv $(basename "$f"): crashed (exit $rc)"
    else
        ok "ingest arxiv $(basename "$f"): handled (exit $rc)"
    fi
done

# ---- server ------------------------------------------------------------------
PORT="$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
URL="http://127.0.0.1:$PORT"
log "serve --addr 127.0.0.1:$PORT"
"$BIN" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

up=0
started=$SECONDS
deadline=$((SECONDS + HEALTH_TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        wait "$SERVER_PID" 2>/dev/null
        log "server exited before /healthz answered (exit $?)"
        SERVER_PID=""
        break
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz" 2>/dev/null || true)"
    if [ "$code" = "200" ]; then
        up=1
        break
    fi
    sleep 0.2
done
if [ "$up" = "1" ]; then
    ok "GET /healthz answers 200 (after $((SECONDS - started)) s)"
else
    bad "GET $URL/healthz did not answer 200 within ${HEALTH_TIMEOUT} s"
    finish
fi

# ---- test scripts -------------------------------------------------------------
# Runs one Python test script; adds the counts from its `<name>: N passed, N failed` line.
run_py() {
    local name="$1" script="$2" out="$TMP/$1.out" rc line p f
    shift 2
    log "running $script"
    env "$@" timeout --kill-after=10 "$TEST_TIMEOUT" "$VPY" -u "$ROOT/$script" 2>&1 | tee "$out" | sed 's/^/    /'
    rc=${PIPESTATUS[0]}
    line="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -n 1)"
    if [ -z "$line" ]; then
        bad "$script ended without a summary (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"
        return
    fi
    p="$(sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")"
    f="$(sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")"
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        bad "$script exited $rc"
    fi
}

if [ -z "$ONLY" ] || [ "$ONLY" = "interop" ]; then
    run_py interop tests/interop/test_hf_client.py HF_ENDPOINT="$URL"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = "browser" ]; then
    run_py browser tests/e2e/test_browser.py DAILYPAPERS_URL="$URL"
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    bad "the server died during the tests"
    SERVER_PID=""
fi

finish
