#!/usr/bin/env bash
# Upvotes at concurrency against real servers, and exact counts after:
#
#   scripts/bench-votes.sh [BIN]
#
# 1. SQLite: the sample data set, one server, `dailypapers bench votes`.
# 2. PostgreSQL: the same store copied to a throw-away cluster
#    (scripts/pg.sh), two servers on it, the same benchmark going round both.
# Each run is 1,000 members casting 10,000 upvote and withdraw requests on
# 100 papers at concurrency 100, with duplicates and toggle races (see
# crates/bench/src/votes.rs); it fails on any 5xx or on any count that is
# not exactly the distinct votes the client's sequences leave. The figures
# it prints (votes/s, p50, p99) are the ones the community issue names.
# Environment: VOTES_ARGS (extra `bench votes` options), KEEP_TMP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${1:-$ROOT/target/release/dailypapers}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
TMP=$(mktemp -d /tmp/dp-votes.XXXXXX)
chmod 755 "$TMP"
# Server PIDs go to a file: `serve` runs in a command substitution's subshell.
cleanup() {
    stop_servers
    scripts/pg.sh stop "$TMP/pg" >/dev/null 2>&1 || true
    if [ "${KEEP_TMP:-}" != 1 ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

stop_servers() {
    local p
    [ -f "$TMP/pids" ] || return 0
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$TMP/pids"
    while read -r p; do
        while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
    done <"$TMP/pids"
    rm -f "$TMP/pids"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# serve NAME DATA_DIR [DATABASE_URL]: starts a server, echoes its URL once /healthz answers.
serve() {
    local name=$1 dir=$2 db=${3:-} port
    port=$(free_port)
    env DAILYPAPERS_SCHEDULE=false DAILYPAPERS_EMBED=false ${db:+DAILYPAPERS_DATABASE_URL=$db} \
        "$BIN" --data-dir "$dir" serve --addr "127.0.0.1:$port" >"$TMP/$name.log" 2>&1 &
    echo $! >>"$TMP/pids"
    for _ in $(seq 1 150); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; then
            echo "http://127.0.0.1:$port"
            return 0
        fi
        sleep 0.2
    done
    echo "server $name did not start: $(tail -n 5 "$TMP/$name.log")" >&2
    return 1
}

echo "== sample data"
scripts/import-sample.sh "$BIN" "$TMP/data" >"$TMP/import.log" 2>&1
status=0

echo "== SQLite, one server"
url=$(serve sqlite "$TMP/data")
# shellcheck disable=SC2086
"$BIN" --data-dir "$TMP/data" bench votes --server "$url" ${VOTES_ARGS:-} || status=1
stop_servers

echo "== PostgreSQL, two servers"
PG=$(scripts/pg.sh start "$TMP/pg")
"$BIN" copy --from "$TMP/data/dailypapers.sqlite3" --to "$PG" >"$TMP/copy.log" 2>&1
a=$(serve pg-a "$TMP/pg-a" "$PG")
b=$(serve pg-b "$TMP/pg-b" "$PG")
# shellcheck disable=SC2086
DAILYPAPERS_DATABASE_URL=$PG "$BIN" --data-dir "$TMP/pg-a" bench votes --server "$a" --server "$b" ${VOTES_ARGS:-} || status=1
exit $status
