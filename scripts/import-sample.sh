#!/usr/bin/env bash
# Imports the sample data set (the real recorded responses in fixtures/) into
# a data directory:  scripts/import-sample.sh BIN DATA_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 dir=$2
# Each file is the answer to ?date=DAY (its name): older items, which do not
# carry their submission time, are listed on that day, as they were upstream.
for f in fixtures/hf-daily-papers/*.json; do
  "$bin" --data-dir "$dir" ingest hf-daily --feed-day "$(basename "$f" .json)" "$f"
done
# Every recorded arXiv answer but the two that are errors on purpose.
"$bin" --data-dir "$dir" ingest arxiv $(ls fixtures/arxiv-api/*.xml | grep -v -e id_abc_ -e id_0000.0000_)
"$bin" --data-dir "$dir" ingest oai fixtures/arxiv-oai/oai_dc-cs-listrecords-5-with-resumption.xml \
  fixtures/arxiv-oai/paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml
"$bin" --data-dir "$dir" ingest snapshot fixtures/arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl
