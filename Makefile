# The README's commands: `make up` (set up, then deploy the dev stack), `make check` (the fast lane: lint, the pure
# and program tests, no Go toolchain) and `make test` (the whole suite); `make setup` also installs the operator's
# command, `cvm`.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup engine node-engine node-packages up down preview refresh destroy fleet lint check fast-tests test coverage clean

# `make up NODE=1`: also run a real node here (root, Linux) and wait for the canary on it
NODE ?=
# `make up CLUSTER=<context>`: a real cluster, that context of your kubeconfig, after a preview and a y/N;
# `YES=1` applies without asking
CLUSTER ?=
YES ?=
# Debian's packages the local node needs (bookworm's, as apt serves them): runc's seccomp, the images
# (mmdebstrap, umoci, skopeo), the local registry, pod networking (bridge, host-local) and iptables
NODE_PACKAGES := libseccomp-dev pkg-config mmdebstrap umoci skopeo docker-registry containernetworking-plugins iptables ipset

# The development environment is installed by uv (PyPI's newest on 2026-12-08): the same pins as pip would install,
# in 20 s where pip took 3 minutes unpacking the cloud SDKs (README's `make check` figure). The users' own path
# (README, the stack workflow) stays plain pip.
UV_VERSION := 0.13.10
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python
$(BIN)/activate: requirements.txt $(wildcard requirements/*.txt) policy/requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) -r requirements-dev.txt
	$(UV) --no-deps -e .  # the `cvm` command (pyproject.toml)
	touch $(BIN)/activate

setup: $(BIN)/activate

# The local engine and control plane, built from the Go module proxy (cached; 2,463 s cold, brand-new machine, loaded).
# `make test` runs the builds niced (TOOLCHAIN below) beside its fast lane.
TOOLCHAIN := ./scripts/toolchain.sh
engine:
	@command -v openssl >/dev/null || (apt-get update -qq && apt-get install -y -qq openssl)
	$(TOOLCHAIN) all

node-packages:
	@[ "$$(dpkg-query -W -f='$${db:Status-Abbrev}\n' $(NODE_PACKAGES) 2>/dev/null | grep -c '^ii')" = "$(words $(NODE_PACKAGES))" ] \
	|| (apt-get update -qq && apt-get install -y -qq $(NODE_PACKAGES))

# kubelet, kube-scheduler, kubectl, containerd, runc, kube-router, local-path (620 s cold once `engine` is built)
node-engine: node-packages
	$(TOOLCHAIN) node

# the engine driver, after `engine` (and `node-engine`) said what they found: it asks the toolchain again, which then
# says only what it builds (each cache line once per `make up`, issue 25)
DRIVER := CVM_TOOLCHAIN_TOLD=1 env -u KUBECONFIG $(BIN)/python -m localcluster.engine

# The dev stack on a local control plane started here, with the engine built here; on a real cluster only when
# named (CLUSTER): a kubeconfig present is never used, nor touched, without it.
up: setup
	@if [ -n "$(CLUSTER)" ]; then CLUSTER="$(CLUSTER)" YES="$(YES)" ./scripts/up.sh; \
	else if [ -n "$$KUBECONFIG" ] || [ -f "$$HOME/.kube/config" ]; then \
	echo "make up: the local cluster; your kubeconfig is not used (name a real cluster: make up CLUSTER=<context>)"; fi; \
	if [ -n "$(NODE)" ]; then $(MAKE) --no-print-directory engine node-engine && $(DRIVER) up --node; \
	else $(MAKE) --no-print-directory engine && $(DRIVER) up; fi; fi

# Day 2 on the local cluster `make up` started (with its node, when one runs): what `make up` would do, the
# state read back from the cluster, the stack deleted (the control plane keeps running), `cvm fleet` on the
# local stacks (FLAGS: its flags). On a real cluster these are `pulumi preview|refresh|destroy` and `cvm fleet`.
FLAGS ?=
preview refresh destroy: setup
	@if [ -n "$(CLUSTER)" ]; then echo "make $@ is the local cluster's; on a real one: pulumi $@ --stack dev" >&2; exit 2; fi
	env -u KUBECONFIG $(BIN)/python -m localcluster.engine $@

fleet: setup
	env -u KUBECONFIG $(BIN)/python -m localcluster.engine fleet $(FLAGS)

down: setup
	$(BIN)/python -m localcluster.cluster stop
	@if [ "$$(id -u)" = 0 ]; then $(BIN)/python -m localcluster.node check; fi

# the linters; .pre-commit-config.yaml runs the same ones (tests/unit/files/test_lanes.py)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The fast lane, on a clean clone without Go: the linters and, beside them (`-j2`: each is one process, and a
# machine's first mypy, over the cloud SDKs, takes about as long), the pure and program tests (pytest markers by
# folder, tests/conftest.py). `COVERAGE=1`: the same run also measures their coverage (below), so `.ci/run`'s
# `make test COVERAGE=1` runs each lane once.
COVERAGE ?=
# pytest-xdist spreads them over the cores (two here: 3 min 7 s in one process, 2 min 6 s in two, beside a build)
FAST_LANE = $(BIN)/pytest -m "pure or program" --numprocesses=auto --maxprocesses=4 tests/unit tests/program
# (inside `make test`'s -j2 run they take its jobs as they come: a build holds one)
check:
	$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j2) lint fast-tests
fast-tests: setup
	$(FAST_LANE) $(if $(COVERAGE),$(COVERAGE_ARGS))

# The whole suite: the fast lane, then the engine and node lanes on the locally built engine. The builds run beside
# the venv and the fast lane (`-j2`): pip, mypy and pytest keep one core busy, the Go builds fill the other, niced
# so that the fast lane keeps its pace. A failing fast lane still waits for a build under way (its result is cached).
# Their output is not synchronised (make's -O holds a command's output until it ends: a build's, 40 minutes cold).
test:
	$(MAKE) --no-print-directory -j2 check engine node-engine TOOLCHAIN="nice -n 10 $(TOOLCHAIN)"
	$(BIN)/pytest -m "engine or node" tests/engine tests/node

# The line and branch coverage of components/ and policy/ by the pure and program lanes ([tool.coverage] in
# pyproject.toml); its TOTAL row is the figure. `make coverage` is `make check COVERAGE=1` without the linters.
COVERAGE_ARGS := --cov --cov-report=term:skip-covered
coverage: setup
	$(FAST_LANE) $(COVERAGE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis .e2e .coverage cvm.egg-info
