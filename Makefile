# Two commands matter: `make run` (the product on embedded defaults) and `make test` (everything CI checks).
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: help install browser run test lint typecheck unit fmt bench scenarios

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed ## create the virtual environment and install the project

run: install ## migrate the database and serve on embedded defaults (SQLite, HCP sandbox, guided intake)
	$(BIN)/voice-agent db upgrade
	$(BIN)/voice-agent serve

lint: install ## ruff
	$(BIN)/ruff check .

typecheck: install ## mypy --strict on voice_agent and hcp
	$(BIN)/mypy

CHROMIUM ?= /usr/bin/chromium

browser: ## Debian's Chromium for the dashboard's browser tests (apt, as root)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; fi; }

unit: install browser ## the pytest suite
	$(BIN)/pytest

test: lint typecheck unit ## everything CI checks: lint, types and the whole test suite

fmt: install ## format the code
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: install ## run the benchmarks and print their figures
	for b in bench/*.py; do $(BIN)/python $$b; done

scenarios: install ## play the starter caller scenarios against the sandbox (also part of `make test`)
	$(BIN)/voice-agent scenarios run
