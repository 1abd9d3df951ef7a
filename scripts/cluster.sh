#!/usr/bin/env bash
# A real deployment on one machine: a throw-away PostgreSQL (scripts/pg.sh),
# N `dailypapers serve` processes on it, each with its own data directory
# (its search indexes), and nginx (Debian's, installed when missing) in
# front of them: round-robin, idempotent requests retried on the next
# server when one fails or answers 502/503/504, the public URL and the
# proxy trusted set on every server.
#
#   scripts/cluster.sh start DIR N [BIN]   prints the public URL (nginx)
#   scripts/cluster.sh stop DIR            stops everything, removes DIR
#   scripts/cluster.sh kill DIR I          SIGKILLs server I (1-based)
#   scripts/cluster.sh restart DIR I       starts server I again
#
# Servers run with the environment this script is given (a schedule, a
# model directory, DAILYPAPERS_CACHE_SECS, …); their logs are DIR/sI.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cmd=${1:?usage: scripts/cluster.sh start|stop|kill|restart DIR ...}
dir=${2:?usage: scripts/cluster.sh $cmd DIR ...}

log() { printf '[cluster] %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

nginx_bin() {
    if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
        log "nginx is missing: installing Debian's nginx"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nginx-light >&2 ||
            { $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nginx-light >&2; }
    fi
    command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

# Starts server I on its recorded port and waits until it answers.
start_server() {
    local i=$1 port bin
    port=$(cat "$dir/s$i.port")
    bin=$(cat "$dir/bin")
    DAILYPAPERS_DATABASE_URL=$(cat "$dir/url") \
    DAILYPAPERS_PUBLIC_URL=$(cat "$dir/public_url") \
    DAILYPAPERS_TRUSTED_PROXIES=127.0.0.1 \
        "$bin" --data-dir "$dir/s$i" serve --addr "127.0.0.1:$port" >>"$dir/s$i.log" 2>&1 &
    echo $! >"$dir/s$i.pid"
    for _ in $(seq 300); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$(cat "$dir/s$i.pid")" 2>/dev/null || { cat "$dir/s$i.log" >&2; return 1; }
        sleep 0.1
    done
    log "server $i did not answer within 30 s"; cat "$dir/s$i.log" >&2; return 1
}

case "$cmd" in
start)
    n=${3:?usage: scripts/cluster.sh start DIR N [BIN]}
    bin=${4:-target/release/dailypapers}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    realpath "$bin" >"$dir/bin"
    scripts/pg.sh start "$dir/pg" >"$dir/url"
    nginx_port=$(free_port)
    echo "http://127.0.0.1:$nginx_port" >"$dir/public_url"
    # The first server migrates the new database; the others start beside it.
    upstream=""
    for i in $(seq "$n"); do
        free_port >"$dir/s$i.port"
        upstream+="        server 127.0.0.1:$(cat "$dir/s$i.port") max_fails=1 fail_timeout=2s;"$'\n'
    done
    for i in $(seq "$n"); do start_server "$i"; done
    mkdir -p "$dir/nginx"
    cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    # Cached pages go from the page cache to the socket without a copy.
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    # A micro-cache of public pages (the feed, paper pages,
    # /api/daily_papers: what the servers mark "Cache-Control: public"),
    # kept 2 s whatever max-age says, one variant per encoding. Requests
    # with credentials bypass it; a page being refreshed, or whose servers
    # are failing, is served stale meanwhile.
    proxy_cache_path $dir/nginx/cache levels=1:2 keys_zone=pages:10m max_size=256m inactive=60s use_temp_path=off;
    map \$http_accept_encoding \$dp_encoding { ~*gzip gzip; default ""; }
    map \$upstream_http_cache_control \$dp_private { ~*public 0; default 1; }
    upstream dailypapers {
$upstream        keepalive 64;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://dailypapers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # A server that is down, or answers 502/503/504, is skipped:
            # GET and HEAD are tried on the next one (nginx never retries
            # a POST that reached a server).
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
            # A whole feed page (about 40 kB) fits in memory buffers: with
            # nginx's defaults (8 x 4 kB) it went through a temporary file.
            proxy_cache pages;
            proxy_cache_key \$scheme\$host\$request_uri\$dp_encoding;
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 2s;
            proxy_no_cache \$dp_private \$http_authorization \$http_cookie;
            proxy_cache_bypass \$http_authorization \$http_cookie;
            proxy_cache_use_stale updating error timeout http_502 http_503 http_504;
            proxy_cache_background_update on;
            add_header X-Cache \$upstream_cache_status always;
            proxy_buffer_size 16k;
            proxy_buffers 16 16k;
            proxy_busy_buffers_size 64k;
        }
    }
}
EOF
    "$(nginx_bin)" -p "$dir/nginx" -c "$dir/nginx.conf" -e "$dir/nginx/error.log"
    cat "$dir/public_url"
    ;;
kill)
    i=${3:?usage: scripts/cluster.sh kill DIR I}
    kill -KILL "$(cat "$dir/s$i.pid")" 2>/dev/null || true
    ;;
restart)
    i=${3:?usage: scripts/cluster.sh restart DIR I}
    start_server "$i"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/nginx/nginx.pid" ]; then
        "$(nginx_bin)" -p "$dir/nginx" -c "$dir/nginx.conf" -e "$dir/nginx/error.log" -s stop 2>/dev/null || true
    fi
    for pid in "$dir"/s*.pid; do
        [ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null || true
    done
    sleep 1
    for pid in "$dir"/s*.pid; do
        [ -f "$pid" ] && kill -KILL "$(cat "$pid")" 2>/dev/null || true
    done
    scripts/pg.sh stop "$dir/pg"
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/cluster.sh start|stop|kill|restart DIR ..." >&2
    exit 2
    ;;
esac
