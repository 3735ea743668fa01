# All set-up lives here, so that `make run` and `make test` work on a fresh Debian machine
# with Python 3.11 and nothing else installed by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export CWB_DATA_DIR ?= $(CURDIR)/data/sample
export CWB_WAREHOUSE ?= $(CURDIR)/data/warehouse/cwb.duckdb
export CWB_OUTPUT_DIR ?= $(CURDIR)/data/output
SAMPLE_SCALE ?= 1.0
# The virtualenv's tools first on PATH (dagster-dbt looks up `dbt` there when it prepares the manifest).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup run test test-fast ui sample lint lock browser dbt-manifest docs clean validate

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.8
# Bytecode compiled at install (uv does not by default; with PYTHONDONTWRITEBYTECODE set, as on CI, every
# start would compile dagster and dbt again: the code location loads in about half the time).
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

setup: $(STAMP) dbt-manifest
	@mkdir -p $(DAGSTER_HOME) && cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# dbt's manifest is prepared once here (never parsed at import time).
dbt-manifest: $(STAMP)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .

# dbt's documentation site (models, columns, contracts, tests, lineage) with the catalog read from the
# built warehouse (CWB_WAREHOUSE): run `make run` first. Open the index.html it names in a browser, or
# serve it with `cd dbt_project && ../.venv/bin/dbt docs serve --profiles-dir .`.
docs: setup
	@[ -f $(CWB_WAREHOUSE) ] || { echo "No warehouse at $(CWB_WAREHOUSE): run \`make run\` first (dbt docs reads the catalog from it)"; exit 1; }
	cd dbt_project && ../$(BIN)/dbt docs generate --quiet --profiles-dir . --project-dir .
	@echo
	@echo "dbt docs: $(CURDIR)/dbt_project/target/index.html (with manifest.json and catalog.json beside it)"

# Debian's Chromium for the dashboard browser tests (the test tool never downloads a browser).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

sample: setup
	$(BIN)/python -m ingestion.synthetic --out $(CWB_DATA_DIR) --scale $(SAMPLE_SCALE)

run: setup
	@[ -f $(CWB_DATA_DIR)/ground_truth/creditors.csv ] || $(MAKE) --no-print-directory sample
	@mkdir -p $(dir $(CWB_WAREHOUSE)) $(CWB_OUTPUT_DIR)
	time $(BIN)/python -m dagster asset materialize --select '*' -m orchestration.definitions
	@echo
	@echo "DuckDB warehouse (working): $(CWB_WAREHOUSE)"
	@echo "Published marts (read-only, for analysts): $(CWB_OUTPUT_DIR)/cwb_marts.duckdb"
	@echo "Dashboard (HTML): $(CWB_OUTPUT_DIR)/dashboard.html"

test: setup browser
	$(BIN)/python -m pytest

ui: setup
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions

validate: setup
	$(BIN)/dagster definitions validate -m orchestration.definitions

lint: setup
	$(BIN)/ruff check .

lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) data/sample data/warehouse data/output dbt_project/target dbt_project/logs .dagster_home
