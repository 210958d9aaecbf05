# Two commands on a fresh machine with Python 3.11: `make build`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export MMM_DUCKDB_PATH ?= $(CURDIR)/warehouse/mmm.duckdb
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# dbt through a wrapper that waits (up to MMM_DUCKDB_LOCK_TIMEOUT s, default 60) when a reader holds the DuckDB
# file's lock, instead of failing at once (scripts/dbt_lock_wait.py)
DBT := $(BIN)/python $(CURDIR)/scripts/dbt_lock_wait.py

.PHONY: setup build test pytest dbt-test demo-data benchmark benchmark-staging benchmark-build benchmark-peers benchmark-pooling benchmark-scale benchmark-meridian-geo benchmark-challenger benchmark-refresh docs contracts-doc dashboard clean

$(BIN)/.installed: requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

setup: $(BIN)/.installed

# PySpark for src/tests/test_spark.py only (the `spark` extra, ~850 MB with its jars): `make build` never installs it
$(BIN)/.spark-installed: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[spark]"
	touch $@

## build: install (if needed) and run `dbt build` on the shipped demo data into $(MMM_DUCKDB_PATH)
build: setup
	mkdir -p $(dir $(MMM_DUCKDB_PATH))
	$(DBT) build

## test: install (if needed), run pytest, then every dbt test (dbt build runs the data and unit tests)
test: setup pytest dbt-test

pytest: setup $(BIN)/.spark-installed
	$(BIN)/python -m pytest

dbt-test: setup
	mkdir -p $(dir $(MMM_DUCKDB_PATH))
	$(DBT) build

## demo-data: regenerate the shipped demo folder (deterministic: same seed, same files)
demo-data: setup
	$(BIN)/python -m mmm.demo --seed 7 --out data/demo

## benchmark: engine accuracy and speed against known truth (demo seeds + public sets); not a test
benchmark: setup
	$(BIN)/python scripts/benchmark_engine.py

## benchmark-staging: the data layer on ~1 million raw spend rows (time, peak memory)
benchmark-staging: setup
	$(BIN)/python scripts/benchmark_staging.py

## benchmark-build: the whole demo `dbt build` timed and broken down by node kind
benchmark-build: setup
	$(BIN)/python scripts/benchmark_build.py

## benchmark-peers: ours vs PyMC-Marketing (and Meridian) on simulated + public truth; hours; peers in own venvs,
## cached in benchmarks/results/cache. Options: make benchmark-peers PEERS_ARGS="--quick" (--seeds N, --generators ...,
## --systems ..., --refit-peers)
benchmark-peers: setup
	$(BIN)/python scripts/benchmark_peers.py $(PEERS_ARGS)

## benchmark-challenger: challenger warning rates, synergy and time-varying recovery on generator data (not a test)
benchmark-challenger: setup
	$(BIN)/python scripts/benchmark_challenger.py

## benchmark-pooling: per-market ROI error with partial pooling vs independent fits (20 markets, 5 seeds)
benchmark-pooling: setup
	$(BIN)/python scripts/benchmark_pooling.py

## benchmark-meridian-geo: pooled vs independent fits on Meridian's public 40-geo set (no truth: spread, shrinkage, time)
benchmark-meridian-geo: setup
	$(BIN)/python scripts/benchmark_meridian_geo.py

## benchmark-scale: the whole dbt build on 10, 100 and 1,000 generated markets (wall time, peak memory, per market)
benchmark-scale: setup
	$(BIN)/python scripts/benchmark_scale.py
## benchmark-refresh: refresh stability (ROI leaving the previous interval) and change detection against known truth
benchmark-refresh: setup
	$(BIN)/python scripts/benchmark_refresh.py

docs: setup
	$(DBT) docs generate && $(DBT) docs serve --port 8080

## contracts-doc: regenerate docs/contracts.md from the marts' YAML (the public contract)
contracts-doc: setup
	$(BIN)/python -m mmm.contracts --write

dashboard: setup
	$(BIN)/streamlit run dashboard/app.py --server.headless true --server.port 8501 --client.toolbarMode viewer

clean:
	rm -rf target logs warehouse
