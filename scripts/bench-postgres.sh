#!/usr/bin/env bash
# Serving on PostgreSQL, beside SQLite, and through nginx:
#
#   1. the sample data on SQLite and on PostgreSQL (a durable throw-away
#      cluster), the response cache off: wrk on the front page and on
#      /api/daily_papers?date=, req/s and p99 for each backend;
#   2. scripts/cluster.sh with 1 and with 3 servers behind nginx (cache on),
#      and one server alone for reference: the front page and /api/search
#      (hybrid).
#
#   scripts/bench-postgres.sh [SECONDS]     (default 10 s per URL)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
bin=$(realpath "${DAILYPAPERS_BIN:-target/release/dailypapers}")
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-test-deps.sh" >&2; exit 1; }
export DAILYPAPERS_MODEL_DIR=${DAILYPAPERS_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}
work=$(mktemp -d /tmp/dailypapers-bench-pg.XXXXXX)
chmod 755 "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/cluster.sh stop "$work/cluster" 2>/dev/null || true; scripts/pg.sh stop "$work/pg"; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wrk_line() {  # LABEL URL
    local r
    r=$(wrk -t2 -c64 -d"${secs}s" --latency "$2" | awk '/Requests\/sec/{rps=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF} END{printf "%s req/s, p99 %s%s", rps, p99, (bad ? ", non-2xx " bad : "")}')
    printf '%-44s %s\n' "$1" "$r"
}
wait_ready() {  # URL: keyword-indexed, embedded and vector-indexed
    for _ in $(seq 600); do
        curl -fs "$1/api/search/status" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s["papers"] and s["vectors"] == s["papers"] == s["keyword_indexed"] else 1)' && return 0
        sleep 0.5
    done
    echo "not ready: $1" >&2; return 1
}
serve() {  # DATA_DIR PORT [ENV…]: starts a server, answers its pid in $pid
    local dir=$1 port=$2; shift 2
    env DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false "$@" "$bin" --data-dir "$dir" serve --addr "127.0.0.1:$port" >"$dir.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.2; done
    cat "$dir.log" >&2; return 1
}

pg_url=$(scripts/pg.sh start "$work/pg" --durable)
scripts/import-sample.sh "$bin" "$work/sqlite" >/dev/null
DAILYPAPERS_DATABASE_URL=$pg_url scripts/import-sample.sh "$bin" "$work/pg-cli" >/dev/null
day=2025-12-01

echo "### the response cache off (DAILYPAPERS_CACHE_SECS=0): every request reads the store"
for backend in sqlite postgres; do
    port=$(free_port)
    if [ "$backend" = sqlite ]; then
        serve "$work/sqlite" "$port" DAILYPAPERS_CACHE_SECS=0 DAILYPAPERS_EMBED=false
    else
        serve "$work/pg-server" "$port" DAILYPAPERS_CACHE_SECS=0 DAILYPAPERS_EMBED=false DAILYPAPERS_DATABASE_URL="$pg_url"
    fi
    wrk_line "$backend /" "http://127.0.0.1:$port/"
    wrk_line "$backend /api/daily_papers?date=$day" "http://127.0.0.1:$port/api/daily_papers?date=$day"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done

echo "### through nginx (cache on), hybrid search with the model"
q="/api/search?q=image+generation+with+diffusion+transformers"
port=$(free_port)
serve "$work/pg-alone" "$port" DAILYPAPERS_DATABASE_URL="$pg_url"
wait_ready "http://127.0.0.1:$port"
wrk_line "one server, direct /" "http://127.0.0.1:$port/"
wrk_line "one server, direct $q" "http://127.0.0.1:$port$q"
kill "$pid"; wait "$pid" 2>/dev/null || true
for n in 1 3; do
    url=$(DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false scripts/cluster.sh start "$work/cluster" "$n" "$bin")
    # The cluster has a database of its own: fill it, and wait for every server.
    DAILYPAPERS_DATABASE_URL=$(cat "$work/cluster/url") scripts/import-sample.sh "$bin" "$work/cluster-cli" >/dev/null
    for i in $(seq "$n"); do wait_ready "http://127.0.0.1:$(cat "$work/cluster/s$i.port")"; done
    wrk_line "nginx + $n server(s) /" "$url/"
    wrk_line "nginx + $n server(s) $q" "$url$q"
    scripts/cluster.sh stop "$work/cluster"
    rm -rf "$work/cluster-cli"
done
