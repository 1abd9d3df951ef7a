#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks: Debian's
# PostgreSQL (installed when missing), initdb in a directory of our own,
# listening on loopback only, trust authentication, stopped and removed
# afterwards. Nothing here touches a server that may already run on the
# machine.
#
#   scripts/pg.sh start DIR [--durable]   prints the URL of database `dailypapers`
#   scripts/pg.sh stop DIR                stops the cluster and removes DIR
#   scripts/pg.sh url DIR                 prints the URL again
#   scripts/pg.sh pause DIR / resume DIR  stops / starts the server, data kept
#   scripts/pg.sh bin DIR                 prints the directory of pg_dump, pg_restore, …
#
# Without --durable the cluster skips fsync (tests); benchmarks pass
# --durable to measure what an operator would run.
#
# initdb refuses to run as root: as root, the cluster belongs to the
# `postgres` user that Debian's package creates.
set -euo pipefail

cmd=${1:?usage: scripts/pg.sh start|stop|url|pause|resume DIR}
dir=${2:?usage: scripts/pg.sh $cmd DIR}

log() { printf '[pg] %s\n' "$*" >&2; }

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
        log "PostgreSQL is missing: installing Debian's postgresql"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2 ||
            { $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2; }
        d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$d"
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url() { echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/dailypapers"; }

start_server() {
    local bin=$1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
}

case "$cmd" in
start)
    bin=$(bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "max_connections = 200"
        echo "shared_buffers = 256MB"
        echo "max_wal_size = 4GB"
        if [ "${3:-}" != "--durable" ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    echo "$port" | as_owner tee "$dir/port" >/dev/null
    start_server "$bin"
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres dailypapers
    url
    ;;
url) url ;;
bin) bindir ;;
pause)
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    start_server "$(bindir)"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/pg.sh start|stop|url|pause|resume DIR" >&2
    exit 2
    ;;
esac
