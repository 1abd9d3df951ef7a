#!/usr/bin/env bash
# Ingest while serving: `bench ingest` of N records alone, then into a store
# on which `serve` embeds in the background (the model from `make model`),
# and both rates. The two writers share the store; the second figure says
# what an import costs beside a busy server.
#
#   scripts/bench-ingest-while-serving.sh [N]     (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
bin=${DAILYPAPERS_BIN:-target/release/dailypapers}
model=${DAILYPAPERS_MODEL_DIR:-$PWD/models/all-MiniLM-L6-v2}
[ -x "$bin" ] || cargo build --release --bin dailypapers
[ -f "$model/model.safetensors" ] || scripts/fetch-model.sh "$model"
dir=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

echo "== alone: bench ingest --records $n"
"$bin" bench ingest --records "$n" --store-dir "$dir/alone" 2>/dev/null | grep -E "rate"
rm -rf "$dir/alone"

echo "== while serve embeds over the same store"
# A backlog for the embedder: 20,000 papers (the ids of the timed import's
# first records, with other text: those count as updated there).
"$bin" bench gen-snapshot 20000 "$dir/backlog.json" --seed 1 >/dev/null
"$bin" --data-dir "$dir/busy" ingest snapshot "$dir/backlog.json" >/dev/null 2>&1
DAILYPAPERS_SCHEDULE=false DAILYPAPERS_LOG=info DAILYPAPERS_MODEL_DIR="$model" \
    "$bin" --data-dir "$dir/busy" serve --addr 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
pid=$!
sleep 8
"$bin" bench ingest --records "$n" --seed 7 --store-dir "$dir/busy" 2>/dev/null | grep -E "rate"
url=$(grep -o 'http://[0-9.:]*' "$dir/serve.log" | head -1)
curl -s "$url/api/status" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("papers:", s["store"]["papers"], "embedding backlog:", s["search"]["embeddingBacklog"])'
echo "lock errors in the server log: $(grep -ci 'database is locked' "$dir/serve.log" || true)"
