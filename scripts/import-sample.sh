#!/usr/bin/env bash
# Imports the sample data set (the real recorded responses in fixtures/) into
# a data directory:  scripts/import-sample.sh BIN DATA_DIR
# This is the one definition of the sample data set: `make run` serves it and
# scripts/run-server-tests.sh tests against it. Re-running it changes nothing.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BIN DATA_DIR" >&2
  exit 2
fi
bin=$1 dir=$2
case "$bin" in */*) bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" ;; esac
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
cd "$(dirname "$0")/.."
# Each file is the answer to ?date=DAY (its name): older items, which do not
# carry their submission time, are listed on that day, as they were upstream.
for f in fixtures/hf-daily-papers/*.json; do
  "$bin" --data-dir "$dir" ingest hf-daily --feed-day "$(basename "$f" .json)" "$f"
done
# Every recorded arXiv answer but the two that are errors on purpose
# (scripts/run-server-tests.sh checks those on their own).
arxiv=()
for f in fixtures/arxiv-api/*.xml; do
  case "$(basename "$f")" in
    id_abc_*|id_0000.0000_*) ;;
    *) arxiv+=("$f") ;;
  esac
done
"$bin" --data-dir "$dir" ingest arxiv "${arxiv[@]}"
"$bin" --data-dir "$dir" ingest oai fixtures/arxiv-oai/oai_dc-cs-listrecords-5-with-resumption.xml \
  fixtures/arxiv-oai/paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml
"$bin" --data-dir "$dir" ingest snapshot fixtures/arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl
