#!/usr/bin/env bash
# Serving benchmark: imports the sample data into a scratch data directory,
# starts the release server, and loads it with wrk (64 connections) on the
# front page (plain, and gzip as browsers ask) and on /api/daily_papers?date=….
# Prints requests/s and latency percentiles for each, with the response cache
# as configured by default and with it turned off.
#
#   scripts/bench-serve.sh [SECONDS]     (default 15 s per URL)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
bin=${DAILYPAPERS_BIN:-target/release/dailypapers}
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-test-deps.sh" >&2; exit 1; }
[ -x "$bin" ] || cargo build --release --bin dailypapers

dir=$(mktemp -d)
pid=
trap 'stop; rm -rf "$dir"' EXIT
scripts/import-sample.sh "$bin" "$dir" >/dev/null

start() {  # CACHE_SECS
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false DAILYPAPERS_CACHE_SECS=$1 "$bin" --data-dir "$dir" serve --addr "127.0.0.1:$port" &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  # Measure serving alone: wait (at most 3 minutes) for the embedder to
  # finish the sample data, or to say it has no model.
  for _ in $(seq 180); do
    curl -fs "http://127.0.0.1:$port/api/search/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("semantic_unavailable") or s["embedded"] >= s["papers"] else 1)' && break
    sleep 1
  done
}
stop() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }; }
run() {  # PATH [HEADER]
  local url="http://127.0.0.1:$port$1"
  curl -fs -o /dev/null "$url"
  echo "== $1 ${2:+($2)} (wrk -t2 -c64 -d${secs}s --latency)"
  wrk -t2 -c64 -d"${secs}s" --latency ${2:+-H "$2"} "$url" | grep -E 'Requests/sec|Transfer/sec|^ +(50|75|90|99)%|Non-2xx|Socket errors'
}

echo "### as configured by default (feed views cached for 2 s)"
start 2
day=$(curl -fs "http://127.0.0.1:$port/api/daily_papers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["paper"]["submittedOnDailyAt"][:10])')
run "/"
run "/" "Accept-Encoding: gzip"
run "/api/daily_papers?date=$day"
run "/papers/2511.22699" "Accept-Encoding: gzip"
stop

echo "### response cache off (DAILYPAPERS_CACHE_SECS=0): every request reads the store"
start 0
run "/"
run "/api/daily_papers?date=$day"
