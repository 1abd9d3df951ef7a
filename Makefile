# Daily Papers: build, run, test.
#
#   make run         build, import the sample data on first run, serve on http://127.0.0.1:8080
#   make test        install test deps, Rust tests, release build, server-level tests
#   make lint        rustfmt check and clippy with warnings as errors
#   make bench       ingestion and serving benchmarks (BENCH_ARGS=... passes arguments to bench ingest)
#   make screenshot  run the browser test and refresh docs/screenshot.png

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO    ?= cargo
BIN      ?= target/release/dailypapers
DATA_DIR ?= data
ADDR     ?= 127.0.0.1:8080
DB       := $(DATA_DIR)/dailypapers.sqlite3
# Arguments after `dailypapers bench ingest`.
BENCH_ARGS ?=

# Sample data: recorded real responses (fixtures/README.md says where from).
HF_FIXTURES       := $(sort $(wildcard fixtures/hf-daily-papers/*.json))
# Leave out the intentionally bad arXiv API responses: the malformed id `abc`
# (an HTTP 400 error feed) and the missing id 0000.0000 (0 entries).
ARXIV_FIXTURES    := $(sort $(filter-out fixtures/arxiv-api/id_abc_% fixtures/arxiv-api/id_0000.0000_%,\
                       $(wildcard fixtures/arxiv-api/*.xml)))
OAI_FIXTURES      := fixtures/arxiv-oai/oai_dc-cs-listrecords-5-with-resumption.xml \
                     fixtures/arxiv-oai/paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml
SNAPSHOT_FIXTURES := $(sort $(wildcard fixtures/arxiv-snapshot/*.jsonl))

.PHONY: all build run sample-data test test-deps test-rust test-server lint bench screenshot

all: build

build:
	$(CARGO) build --release

# Imports the sample data only when the database does not exist yet. An
# import that exits 3 (some records rejected, the rest imported) is reported
# and accepted; any other failure removes the half-made database so that the
# next run starts over.
sample-data: build
	@if [ -f "$(DB)" ]; then \
	    echo "$(DB) exists: not importing the sample data"; \
	else \
	    echo "importing the sample data into $(DATA_DIR)/"; \
	    mkdir -p "$(DATA_DIR)"; \
	    imp() { \
	        local rc=0; \
	        echo "+ dailypapers ingest $$1 ($$(( $$# - 1 )) files)"; \
	        $(BIN) --data-dir "$(DATA_DIR)" ingest "$$@" || rc=$$?; \
	        if [ "$$rc" -eq 3 ]; then echo "note: some $$1 records were rejected (exit 3); the rest were imported"; rc=0; fi; \
	        return "$$rc"; \
	    }; \
	    if ! { imp hf-daily $(HF_FIXTURES) && \
	           imp arxiv $(ARXIV_FIXTURES) && \
	           imp oai $(OAI_FIXTURES) && \
	           imp snapshot $(SNAPSHOT_FIXTURES); }; then \
	        echo "sample data import failed; removing $(DB)" >&2; \
	        rm -f "$(DB)" "$(DB)-wal" "$(DB)-shm"; \
	        exit 1; \
	    fi; \
	fi

run: sample-data
	$(BIN) --data-dir "$(DATA_DIR)" serve --addr $(ADDR)

test-deps:
	scripts/install-test-deps.sh

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	    echo "+ $(CARGO) nextest run --workspace --no-tests=warn"; \
	    $(CARGO) nextest run --workspace --no-tests=warn; \
	    echo "+ $(CARGO) test --workspace --doc"; \
	    $(CARGO) test --workspace --doc; \
	else \
	    echo "+ $(CARGO) test --workspace"; \
	    $(CARGO) test --workspace; \
	fi

test-server: build
	scripts/run-server-tests.sh $(BIN)

test: test-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-server

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: build test-deps
	$(BIN) bench ingest $(BENCH_ARGS)
	scripts/bench-serve.sh

screenshot: test-deps build
	scripts/run-server-tests.sh --only browser $(BIN)
	mkdir -p docs
	cp target/screenshots/front.png docs/screenshot.png
	@echo "updated docs/screenshot.png"
