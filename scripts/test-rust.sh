#!/usr/bin/env bash
# The Rust tests, on both store backends: a throw-away PostgreSQL cluster
# (scripts/pg.sh) is started for the run and removed afterwards.
#
#   1. every test, on SQLite (copy.rs moves data between both backends, and
#      postgres_server.rs stops and starts a cluster of its own);
#   2. every test again with DAILYPAPERS_TEST_STORE=postgres, so that each
#      store-backed test (through dailypapers_store::testing::fresh_store)
#      runs on PostgreSQL; those two, and the server-level floods and size
#      limits, which open their own SQLite data directory, are not repeated;
#   3. the doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}

pg=$(mktemp -d -u /tmp/dailypapers-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pg"' EXIT
DAILYPAPERS_TEST_PG_URL=$(scripts/pg.sh start "$pg")
export DAILYPAPERS_TEST_PG_URL

if $cargo nextest --version >/dev/null 2>&1; then
    echo "+ $cargo nextest run --workspace   (SQLite)"
    DAILYPAPERS_TEST_STORE=sqlite $cargo nextest run --workspace --no-tests=warn --no-fail-fast
    echo "+ $cargo nextest run --workspace   (PostgreSQL)"
    DAILYPAPERS_TEST_STORE=postgres $cargo nextest run --workspace --no-tests=warn --no-fail-fast \
        -E 'not (binary(copy) | binary(postgres_server) | binary(server_hardening) | binary(limits))'
else
    echo "+ $cargo test --workspace   (SQLite)"
    DAILYPAPERS_TEST_STORE=sqlite $cargo test --workspace
    echo "+ $cargo test --workspace   (PostgreSQL)"
    DAILYPAPERS_TEST_STORE=postgres $cargo test --workspace
fi
echo "+ $cargo test --workspace --doc"
$cargo test --workspace --doc
