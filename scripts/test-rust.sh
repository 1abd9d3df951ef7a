#!/usr/bin/env bash
# The Rust tests, on both store backends, built with the release profile:
# the same build as the binary the server-level tests run, so CI compiles
# the dependencies once instead of once per profile, and the tests run on
# optimised code (about three times faster than a debug build here). A
# throw-away PostgreSQL cluster (scripts/pg.sh) is started for the run and
# removed afterwards.
#
#   1. every test, on SQLite (copy.rs moves data between both backends, and
#      postgres_server.rs stops and starts a cluster of its own);
#   2. again with DAILYPAPERS_TEST_STORE=postgres, the test binaries that
#      get their store from dailypapers_store::testing::fresh_store (found
#      by looking for it in their sources, so a new one is never left out):
#      the others open no store of the backend under test, and would only
#      run again the same way;
#   3. the doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
profile=(--cargo-profile release)

pg=$(mktemp -d -u /tmp/dailypapers-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pg"' EXIT
DAILYPAPERS_TEST_PG_URL=$(scripts/pg.sh start "$pg")
export DAILYPAPERS_TEST_PG_URL

# The integration-test binaries that open a store through fresh_store,
# directly or through a module of theirs (`mod common;` and the like).
store_tests() {
    local dir file crate m sources
    for dir in crates/*/tests; do
        crate=$(basename "$(dirname "$dir")")
        for file in "$dir"/*.rs; do
            sources=("$file")
            for m in $(sed -n 's/^mod \([a-z_]*\);.*/\1/p' "$file"); do
                [ -f "$dir/$m/mod.rs" ] && sources+=("$dir/$m/mod.rs")
                [ -f "$dir/$m.rs" ] && sources+=("$dir/$m.rs")
            done
            if grep -qs 'fresh_store' "${sources[@]}"; then
                echo "binary_id(dailypapers-$crate::$(basename "$file" .rs))"
            fi
        done
    done | sed 's/dailypapers-cli::/dailypapers::/' | paste -sd '|'
}

if $cargo nextest --version >/dev/null 2>&1; then
    echo "+ $cargo nextest run --workspace   (SQLite)"
    DAILYPAPERS_TEST_STORE=sqlite $cargo nextest run "${profile[@]}" --workspace --no-tests=warn --no-fail-fast
    filter="($(store_tests)) & not (binary(copy) | binary(postgres_server) | binary(server_hardening) | binary(limits))"
    echo "+ $cargo nextest run --workspace   (PostgreSQL: $filter)"
    DAILYPAPERS_TEST_STORE=postgres $cargo nextest run "${profile[@]}" --workspace --no-tests=warn --no-fail-fast \
        -E "$filter"
else
    echo "+ $cargo test --workspace   (SQLite)"
    DAILYPAPERS_TEST_STORE=sqlite $cargo test --release --workspace
    echo "+ $cargo test --workspace   (PostgreSQL)"
    DAILYPAPERS_TEST_STORE=postgres $cargo test --release --workspace
fi
echo "+ $cargo test --workspace --doc"
$cargo test --release --workspace --doc
