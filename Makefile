# The README's commands: `make up` (set up, then deploy the dev stack) and `make test`.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup engine up down lint test clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/activate

setup: $(BIN)/activate

# The local engine and control plane, built from the Go module proxy (cached; about 30 minutes cold).
engine:
	@command -v openssl >/dev/null || (apt-get update -qq && apt-get install -y -qq openssl)
	./scripts/toolchain.sh all

# With a cluster in your kubeconfig: `pulumi up` of the dev stack there. Without one: the same on a local
# control plane started here, with the engine built here.
up: setup
	@if [ -n "$$KUBECONFIG" ] || [ -f "$$HOME/.kube/config" ]; then ./scripts/up.sh; \
	else $(MAKE) engine && $(BIN)/python -m e2e.engine up; fi

down: setup
	$(BIN)/python -m e2e.control_plane stop

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: lint engine
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .e2e
