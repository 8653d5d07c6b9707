# The README's commands: `make up` (set up, then deploy the dev stack) and `make test`.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup up test lint clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/activate

setup: $(BIN)/activate

up: setup
	./scripts/up.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
