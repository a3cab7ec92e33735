# Two commands matter: `make run` (the product on embedded defaults) and `make test` (everything CI checks).
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: help install install-dev browser run test lint typecheck unit fmt bench scenarios

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

PIP_OPTS ?= --no-compile
PIP = $(BIN)/python -m pip install -q --disable-pip-version-check $(PIP_OPTS)

# `make run` needs the runtime dependencies only; the dev tools (pytest, playwright, mypy,
# ruff, ...) are installed on top by the targets that use them. A current pip resolves and
# unpacks about twice as fast as the one a fresh venv comes with; --no-compile leaves the
# bytecode to the first import (only the modules actually used).
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed
	$(PIP) -e '.[dev]'
	touch $@

install: $(BIN)/.installed ## create the virtual environment and install the runtime dependencies

install-dev: $(BIN)/.installed-dev ## install the development tools as well (tests, lint, types)

run: install ## migrate the database and serve on embedded defaults (SQLite, HCP sandbox, guided intake)
	$(BIN)/voice-agent db upgrade
	$(BIN)/voice-agent serve

lint: install-dev ## ruff
	$(BIN)/ruff check .

typecheck: install-dev ## mypy --strict on voice_agent and hcp
	$(BIN)/mypy

CHROMIUM ?= /usr/bin/chromium

browser: ## Debian's Chromium for the dashboard's browser tests (apt, as root)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; fi; }

unit: install-dev browser ## the pytest suite
	$(BIN)/pytest

test: lint typecheck unit ## everything CI checks: lint, types and the whole test suite

fmt: install-dev ## format the code
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: install-dev ## run the benchmarks and print their figures
	for b in bench/*.py; do $(BIN)/python $$b; done

scenarios: install ## play the starter caller scenarios against the sandbox (also part of `make test`)
	$(BIN)/voice-agent scenarios run
