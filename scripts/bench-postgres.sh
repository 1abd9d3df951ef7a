#!/usr/bin/env bash
# Serving on PostgreSQL, beside SQLite, and through nginx:
#
#   1. the sample data on SQLite and on PostgreSQL (a durable throw-away
#      cluster), the response cache off: wrk on the front page and on
#      /api/daily_papers?date=, req/s and p99 for each backend;
#   2. scripts/cluster.sh with 1 and with 3 servers behind nginx (cache on),
#      and the first server of the 1-server cluster directly for reference:
#      the front page and /api/search (hybrid).
#
# Every server is started first and left idle while another is measured;
# the measurements are interleaved over ROUNDS rounds (default 3) and the
# medians of req/s and of p99 are printed, so that a shared machine's drift
# falls on all of them alike.
#
#   scripts/bench-postgres.sh [SECONDS]     (default 10 s per URL and round)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${ROUNDS:-3}
bin=$(realpath "${DAILYPAPERS_BIN:-target/release/dailypapers}")
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-test-deps.sh" >&2; exit 1; }
export DAILYPAPERS_MODEL_DIR=${DAILYPAPERS_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}
work=$(mktemp -d /tmp/dailypapers-bench-pg.XXXXXX)
chmod 755 "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for c in "$work"/cluster-*; do scripts/cluster.sh stop "$c" 2>/dev/null || true; done; scripts/pg.sh stop "$work/pg"; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
measure() {  # LABEL URL: one wrk run, appended to $work/results as "LABEL<TAB>rps<TAB>p99_ms<TAB>non2xx"
    # 2 s not counted first: connections opened, caches and pages warm.
    wrk -t2 -c64 -d2s "$2" >/dev/null
    wrk -t2 -c64 -d"${secs}s" --latency "$2" | awk -v label="$1" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 } /^ +99%/ { p99 = ms($2) } /Non-2xx/ { bad = $NF }
        END { printf "%s\t%s\t%s\t%s\n", label, rps, p99, bad + 0 }' >>"$work/results"
}
report() {  # prints the median req/s and p99 of every label, in first-seen order
    python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, rps, p99, bad = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(rps), float(p99), int(bad)))
for label, runs in rows.items():
    rps = statistics.median(r[0] for r in runs)
    p99 = statistics.median(r[1] for r in runs)
    bad = sum(r[2] for r in runs)
    print(f"{label:<70} {rps:>9.0f} req/s, p99 {p99:6.2f} ms (median of {len(runs)})" + (f", non-2xx {bad}" if bad else ""))
PY
    : >"$work/results"
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
: >"$work/results"

echo "### the response cache off (DAILYPAPERS_CACHE_SECS=0): every request reads the store"
sqlite_port=$(free_port)
serve "$work/sqlite" "$sqlite_port" DAILYPAPERS_CACHE_SECS=0 DAILYPAPERS_EMBED=false
pg_port=$(free_port)
serve "$work/pg-server" "$pg_port" DAILYPAPERS_CACHE_SECS=0 DAILYPAPERS_EMBED=false DAILYPAPERS_DATABASE_URL="$pg_url"
for _ in $(seq "$rounds"); do
    for backend in sqlite postgres; do
        port=$sqlite_port; [ "$backend" = postgres ] && port=$pg_port
        measure "$backend /" "http://127.0.0.1:$port/"
        measure "$backend /api/daily_papers?date=$day" "http://127.0.0.1:$port/api/daily_papers?date=$day"
    done
done
report
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done

echo "### one server directly, and nginx in front of 1 and of 3 (cache on); hybrid search with the model"
q="/api/search?q=image+generation+with+diffusion+transformers"
declare -A public
for n in 1 3; do
    c="$work/cluster-$n"
    # wrk searches from one address: the per-address search limit is off.
    public[$n]=$(DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false DAILYPAPERS_SEARCHES_PER_MINUTE=0 scripts/cluster.sh start "$c" "$n" "$bin")
    # Each cluster has a database of its own: fill it, and wait for every server.
    DAILYPAPERS_DATABASE_URL=$(cat "$c/url") scripts/import-sample.sh "$bin" "$c-cli" >/dev/null
    for i in $(seq "$n"); do wait_ready "http://127.0.0.1:$(cat "$c/s$i.port")"; done
done
direct="http://127.0.0.1:$(cat "$work/cluster-1/s1.port")"
sleep 5  # the servers' first vector-index save and index merges are over
for _ in $(seq "$rounds"); do
    measure "one server, direct /" "$direct/"
    measure "nginx + 1 server /" "${public[1]}/"
    measure "nginx + 3 servers /" "${public[3]}/"
    measure "one server, direct $q" "$direct$q"
    measure "nginx + 1 server $q" "${public[1]}$q"
    measure "nginx + 3 servers $q" "${public[3]}$q"
done
report
