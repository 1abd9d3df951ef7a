#!/usr/bin/env bash
# A login storm: 100 clients logging in over and over (each an Argon2id
# verification) while the front page is loaded, against the release server
# on the sample data. Prints logins/s, the front page's p99 idle and during
# the storm and their ratio, and the server's peak memory.
#
#   scripts/bench-logins.sh [BIN] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/dailypapers}
SECS=${2:-10}
TMP=$(mktemp -d /tmp/dp-logins.XXXXXX)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
scripts/import-sample.sh "$BIN" "$TMP/data" >/dev/null 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# Each login comes from its own X-Forwarded-For address: the loopback is
# trusted as a proxy, as nginx would be.
DAILYPAPERS_LOG=warn DAILYPAPERS_SCHEDULE=false DAILYPAPERS_EMBED=false DAILYPAPERS_TRUSTED_PROXIES=127.0.0.1 \
    "$BIN" --data-dir "$TMP/data" serve --addr "127.0.0.1:$port" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
"$BIN" --data-dir "$TMP/data" bench logins --server "http://127.0.0.1:$port" --pid "$PID" --seconds "$SECS"
