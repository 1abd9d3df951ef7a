#!/usr/bin/env bash
# Pages for a signed-in member: the release server on the sample data, a
# member who has upvoted some of the front page's papers, and wrk at 64
# connections on the front page and on a paper page, with the member's
# session cookie, then without it. Prints requests/s and latency
# percentiles for each (the community issue's target: at least 5,000
# requests/s with p99 under 25 ms for the member's pages, on SQLite).
#
#   scripts/bench-members.sh [BIN] [SECONDS]     (default 10 s per URL)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/dailypapers}
SECS=${2:-10}
PAPER=${PAPER:-2511.22699}
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-test-deps.sh" >&2; exit 1; }
TMP=$(mktemp -d /tmp/dp-members.XXXXXX)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
scripts/import-sample.sh "$BIN" "$TMP/data" >/dev/null 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false \
    "$BIN" --data-dir "$TMP/data" serve --addr "127.0.0.1:$port" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$url/healthz" && break; sleep 0.2; done
# Similar papers on the paper page come from the vectors: wait (at most 10
# minutes) for the embedder to finish the sample, or to say it has no model.
for _ in $(seq 600); do
    curl -fs "$url/api/search/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("semantic_unavailable") or s["vectors"] >= s["papers"] else 1)' && break
    sleep 1
done

# A member, and their upvotes on the first five papers of the front page.
curl -fs -c "$TMP/jar" -H 'content-type: application/json' \
    -d '{"username":"reader","email":"reader@example.org","password":"a reader of many papers"}' \
    "$url/api/auth/signup" >"$TMP/me.json"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrfToken"])' "$TMP/me.json")
cookie=$(awk '$6 ~ /dp_session/ {print $6 "=" $7}' "$TMP/jar")
for id in $(curl -fs "$url/api/daily_papers?limit=5" | python3 -c 'import json,sys; print(" ".join(w["paper"]["id"] for w in json.load(sys.stdin)))') "$PAPER"; do
    curl -fs -o /dev/null -X POST -b "$cookie" -H "x-csrf-token: $csrf" "$url/api/papers/$id/upvote"
done
curl -fs -b "$cookie" "$url/" | grep -q 'aria-pressed="true"' || { echo "the member's upvotes are not marked on the front page" >&2; exit 1; }

run() {  # PATH [COOKIE]
    echo "== $1 ${2:+(signed in)} (wrk -t2 -c64 -d${SECS}s --latency)"
    wrk -t2 -c64 -d"${SECS}s" --latency -H "Accept-Encoding: gzip" ${2:+-H "Cookie: $2"} "$url$1" |
        grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors'
}
run "/" "$cookie"
run "/papers/$PAPER" "$cookie"
run "/"
run "/papers/$PAPER"
