#!/usr/bin/env bash
# Server-level tests against a built `dailypapers` binary (this script builds nothing).
#
#   scripts/run-server-tests.sh [--only interop|browser|security] [BIN]
#
# BIN defaults to $DAILYPAPERS_BIN, else target/release/dailypapers.
# Steps: fresh temp data dir -> scripts/import-sample.sh (the data `make run`
# serves) -> the two bad arXiv answers, each alone -> start
# `serve` on a free loopback port -> wait for /healthz -> run
#   tests/interop/test_hf_client.py  (official huggingface_hub client, HF_ENDPOINT)
#   tests/interop/test_metrics.py    (/metrics read by prometheus_client's parser)
#   tests/interop/test_feeds.py      (every page's feeds read by feedparser)
#   tests/e2e/test_browser.py        (Selenium + Debian chromium, DAILYPAPERS_URL)
#   tests/e2e/test_xss_browser.py    (stored XSS: every payload stored, its pages loaded in chromium)
#   tests/interop/test_openapi.py    (schemathesis on /api/openapi.json, as a member with a token)
# with the .venv python (scripts/install-test-deps.sh makes it) -> stop the server
# -> copy the store to a throw-away PostgreSQL (scripts/pg.sh), serve the copy,
# and run test_hf_client.py against it again.
# The last line is `N passed, N failed`; the exit code is non-zero if anything failed.
#
# Environment: DAILYPAPERS_BIN, HEALTH_TIMEOUT (seconds, default 30),
# TEST_TIMEOUT (seconds per test script, default 600), EMBED_TIMEOUT (seconds
# to wait for the background embedding of the sample, default 600),
# DAILYPAPERS_MODEL_DIR (default models/all-MiniLM-L6-v2), KEEP_TMP=1 keeps the
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
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) BIN_ARG="$1"; shift ;;
    esac
done
case "$ONLY" in ""|interop|browser|security) ;; *) echo "--only takes interop, browser or security, not '$ONLY'" >&2; exit 2 ;; esac

if [ -n "$BIN_ARG" ]; then
    case "$BIN_ARG" in /*) BIN="$BIN_ARG" ;; *) BIN="$ORIG_PWD/$BIN_ARG" ;; esac
elif [ -n "${DAILYPAPERS_BIN:-}" ]; then
    case "$DAILYPAPERS_BIN" in /*) BIN="$DAILYPAPERS_BIN" ;; *) BIN="$ORIG_PWD/$DAILYPAPERS_BIN" ;; esac
else
    BIN="$ROOT/target/release/dailypapers"
fi

VPY="$ROOT/.venv/bin/python"
export DAILYPAPERS_MODEL_DIR="${DAILYPAPERS_MODEL_DIR:-$ROOT/models/all-MiniLM-L6-v2}"
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
    if [ -d "$TMP/pg" ]; then
        "$ROOT/scripts/pg.sh" stop "$TMP/pg" || true
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
# The same data set `make run` serves: scripts/import-sample.sh is its one definition.
log "binary: $BIN"
log "data dir: $DATA"

log "scripts/import-sample.sh"
if run_step "$ROOT/scripts/import-sample.sh" "$BIN" "$DATA"; then
    ok "scripts/import-sample.sh imports the sample data set"
else
    bad "scripts/import-sample.sh (nothing to test without the sample data)"
    finish
fi

# The two arXiv answers that import-sample.sh leaves out on purpose, each into
# a scratch data dir of its own (the served data stays exactly the sample set).
# Exit statuses of `ingest`: 0 all imported, 3 some rejected, 1 nothing imported.
# Runs `ingest arxiv FILE`; sets BAD_RC, BAD_OUT (stdout) and BAD_ERR (stderr).
ingest_alone() {
    local scratch
    scratch="$(mktemp -d "$TMP/scratch.XXXXXX")"
    "$BIN" --data-dir "$scratch" ingest arxiv "$1" >"$TMP/bad.out" 2>"$TMP/bad.err"
    BAD_RC=$?
    BAD_OUT="$(cat "$TMP/bad.out")"
    BAD_ERR="$(cat "$TMP/bad.err")"
    { cat "$TMP/bad.out"; cat "$TMP/bad.err"; } | tail -n 15 | sed 's/^/    | /'
}

shopt -s nullglob
BAD_ID=("$ROOT"/fixtures/arxiv-api/id_abc_*.xml)
EMPTY_ID=("$ROOT"/fixtures/arxiv-api/id_0000.0000_*.xml)
shopt -u nullglob

# arXiv's error entry for a malformed id: the whole document is rejected.
if [ "${#BAD_ID[@]}" -ne 1 ]; then
    bad "expected one fixtures/arxiv-api/id_abc_*.xml, found ${#BAD_ID[@]}"
else
    name="$(basename "${BAD_ID[0]}")"
    log "ingest arxiv $name (an error answer)"
    ingest_alone "${BAD_ID[0]}"
    if [ "$BAD_RC" -ne 1 ]; then
        bad "ingest arxiv $name: exit $BAD_RC, expected 1 (nothing imported)"
    elif ! grep -qF "incorrect id format for abc" <<<"$BAD_ERR"; then
        bad "ingest arxiv $name: stderr does not carry arXiv's message 'incorrect id format for abc'"
    else
        ok "ingest arxiv $name: exit 1, arXiv's error reported"
    fi
fi

# A valid answer with no entries: nothing to import, nothing wrong.
if [ "${#EMPTY_ID[@]}" -ne 1 ]; then
    bad "expected one fixtures/arxiv-api/id_0000.0000_*.xml, found ${#EMPTY_ID[@]}"
else
    name="$(basename "${EMPTY_ID[0]}")"
    log "ingest arxiv $name (an empty answer)"
    ingest_alone "${EMPTY_ID[0]}"
    if [ "$BAD_RC" -ne 0 ]; then
        bad "ingest arxiv $name: exit $BAD_RC, expected 0 (a valid empty answer)"
    elif ! grep -qF "read 0" <<<"$BAD_OUT"; then
        bad "ingest arxiv $name: stdout does not say 'read 0'"
    else
        ok "ingest arxiv $name: exit 0, read 0"
    fi
fi

# ---- server ------------------------------------------------------------------
PORT="$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
URL="http://127.0.0.1:$PORT"
log "serve --addr 127.0.0.1:$PORT"
# The schedule is off: the default one asks huggingface.co, and the tests
# reach nothing outside this machine (crates/cli/tests/schedule.rs runs the
# scheduler against the local replay server). Votes are limited ten times
# more loosely than by default: schemathesis casts hundreds as one member,
# and then withdraws them (crates/web/tests/rate_limits.rs tests the limit).
DAILYPAPERS_SCHEDULE=false DAILYPAPERS_VOTES_PER_MINUTE=600 \
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

# The server embeds the sample data in the background; semantic search is
# complete once every paper has a vector in the index.
EMBED_TIMEOUT="${EMBED_TIMEOUT:-600}"
# Waits (at most EMBED_TIMEOUT) until the server at $URL has every paper
# keyword-indexed, embedded and in its vector index; leaves the last
# /api/search/status in $status; fails if it never gets there.
wait_indexed() {
    local deadline=$((SECONDS + EMBED_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$SERVER_PID" 2>/dev/null; do
        status="$(curl -s --max-time 5 "$URL/api/search/status" 2>/dev/null || true)"
        if "$VPY" -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s["model"] and s["papers"] > 0 and s["vectors"] == s["papers"] == s["keyword_indexed"] else 1)' "$status" 2>/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}
started=$SECONDS
if wait_indexed; then
    ok "the server indexed and embedded the sample data in the background ($((SECONDS - started)) s): $status"
else
    bad "the sample data was not indexed and embedded within ${EMBED_TIMEOUT} s: $status"
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
    run_py metrics tests/interop/test_metrics.py DAILYPAPERS_URL="$URL"
    run_py feeds tests/interop/test_feeds.py DAILYPAPERS_URL="$URL"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = "browser" ]; then
    run_py browser tests/e2e/test_browser.py DAILYPAPERS_URL="$URL"
fi
# Security, on the same server: every stored-XSS payload through the API and
# its pages in chromium (the comments it makes are deleted after), then
# schemathesis on every operation of the OpenAPI document (bounded by
# SCHEMATHESIS_MAX_EXAMPLES and SCHEMATHESIS_DEADLINE; see the script).
if [ -z "$ONLY" ] || [ "$ONLY" = "security" ]; then
    for step in "xss tests/e2e/test_xss_browser.py" "openapi tests/interop/test_openapi.py"; do
        started=$SECONDS
        # shellcheck disable=SC2086  # two words: the summary's name and the script
        run_py $step DAILYPAPERS_URL="$URL"
        log "${step#* } took $((SECONDS - started)) s"
    done
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    bad "the server died during the tests"
    SERVER_PID=""
fi

# ---- the same client against a copy on PostgreSQL ----------------------------
# The store is copied (dailypapers copy: every table, checked by checksum) to
# a throw-away PostgreSQL, and a server on the copy must pass the Hugging
# Face client test unchanged.
if [ -z "$ONLY" ] || [ "$ONLY" = "interop" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
    chmod 755 "$TMP"  # PostgreSQL runs as its own user
    if ! PG_URL="$("$ROOT/scripts/pg.sh" start "$TMP/pg")"; then
        bad "a PostgreSQL cluster for the copy did not start"
        finish
    fi
    if "$BIN" copy --from "$DATA/dailypapers.sqlite3" --to "$PG_URL" >"$TMP/copy.out" 2>&1; then
        ok "dailypapers copy to PostgreSQL: $(head -n 1 "$TMP/copy.out")"
    else
        bad "dailypapers copy to PostgreSQL failed: $(cat "$TMP/copy.out")"
        finish
    fi
    PORT="$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    URL="http://127.0.0.1:$PORT"
    DAILYPAPERS_SCHEDULE=false DAILYPAPERS_DATABASE_URL="$PG_URL" \
        "$BIN" --data-dir "$TMP/on-postgres" serve --addr "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    if wait_indexed; then
        ok "a server on the PostgreSQL copy indexed it, with the copied vectors: $status"
        run_py interop tests/interop/test_hf_client.py HF_ENDPOINT="$URL"
    else
        bad "the server on the PostgreSQL copy was not ready within ${EMBED_TIMEOUT} s: $status"
    fi
fi

finish
