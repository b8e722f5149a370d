# Xiaoneng: `make run` to try the platform, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint types unit browser bench install install-dev messages migrate demo chromium assets clean soak

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.dev-installed

messages: install
	@$(BIN)/xiaoneng compilemessages --ignore .venv --ignore var --ignore .git -v 0

migrate: install messages
	$(BIN)/xiaoneng migrate --no-input -v 1
	$(BIN)/xiaoneng createcachetable

demo: migrate
	$(BIN)/xiaoneng demo --if-empty

## run: install, migrate, build the demo city once, serve on http://127.0.0.1:$(PORT) with a worker
run: demo
	$(BIN)/xiaoneng serve --port $(PORT)

## assets: the browser libraries pinned in package-lock.json (ECharts), served locally, no CDN
node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "Installing Debian's nodejs and npm for the browser libraries..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	npm ci --omit=dev --no-audit --no-fund
	@touch $@

assets: node_modules/.installed

## chromium: Debian's Chromium for the browser tests (installed through apt when missing)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

lint: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

types: install-dev
	$(BIN)/mypy src

unit: install-dev messages
	$(BIN)/pytest -m "not browser" -q

browser: install-dev messages chromium
	$(BIN)/pytest -m browser -q

## test: dev dependencies, then lint, types, unit + API + browser tests
test: install-dev messages chromium lint types
	$(BIN)/pytest -q

## bench: every benchmark (PostgreSQL on 127.0.0.1) -> bench/results/latest.md; SCALE=N multiplies the data, BENCH="calendar kpi" runs a selection
bench: install-dev messages
	$(BIN)/python bench/run.py --scale $(or $(SCALE),$(BENCH_SCALE),1) $(BENCH)

## soak: 50 clients racing on the same items, kill -9 of server and worker mid-load, on PostgreSQL (≤ 8 min); then the API fuzzer
soak: install-dev
	$(BIN)/python scripts/soak.py
	$(BIN)/python scripts/fuzz_api.py --seconds 120

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules
