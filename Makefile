# The README's commands: `make up` (set up, then deploy the dev stack) and `make test`; `make setup` also
# installs the operator's command, `cvm`.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup engine node-engine node-packages up down lint test clean

# `make up NODE=1`: also run a real node here (root, Linux) and wait for the canary on it
NODE ?=
# Debian's packages the local node needs (bookworm's, as apt serves them): runc's seccomp, the images
# (mmdebstrap, umoci, skopeo), the local registry, pod networking (bridge, host-local) and iptables
NODE_PACKAGES := libseccomp-dev pkg-config mmdebstrap umoci skopeo docker-registry containernetworking-plugins iptables

$(BIN)/activate: requirements.txt $(wildcard requirements/*.txt) policy/requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .  # the `cvm` command (pyproject.toml)
	touch $(BIN)/activate

setup: $(BIN)/activate

# The local engine and control plane, built from the Go module proxy (cached; about 30 minutes cold).
engine:
	@command -v openssl >/dev/null || (apt-get update -qq && apt-get install -y -qq openssl)
	./scripts/toolchain.sh all

# With a cluster in your kubeconfig: `pulumi up` of the dev stack there. Without one: the same on a local
# control plane started here, with the engine built here.
node-packages:
	@[ "$$(dpkg-query -W -f='$${db:Status-Abbrev}\n' $(NODE_PACKAGES) 2>/dev/null | grep -c '^ii')" = "$(words $(NODE_PACKAGES))" ] \
	|| (apt-get update -qq && apt-get install -y -qq $(NODE_PACKAGES))

# kubelet, kube-scheduler, kubectl, containerd and runc (about 5 minutes cold once `engine` is built)
node-engine: node-packages
	./scripts/toolchain.sh node

up: setup
	@if [ -n "$$KUBECONFIG" ] || [ -f "$$HOME/.kube/config" ]; then ./scripts/up.sh; \
	elif [ -n "$(NODE)" ]; then $(MAKE) engine node-engine && $(BIN)/python -m e2e.engine up --node; \
	else $(MAKE) engine && $(BIN)/python -m e2e.engine up; fi

down: setup
	$(BIN)/python -m e2e.control_plane stop
	@if [ "$$(id -u)" = 0 ]; then $(BIN)/python -m e2e.node check; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: lint engine node-engine
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .e2e cvm.egg-info
