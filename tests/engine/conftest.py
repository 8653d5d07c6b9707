"""What the scenarios on the local control plane share: a fresh control plane per test module, and the API
server through the Kubernetes client (kube_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcluster import cluster as local_cluster
from tests.engine.kube_api import Cluster


@pytest.fixture(scope="module")
def kubeconfig(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh control plane and fresh Pulumi state for the module's scenario, with Node objects for the
    module's `NODES` and `GPU_NODES`."""
    nodes = [*getattr(request.module, "NODES", []), *getattr(request.module, "GPU_NODES", [])]
    local_cluster.stop()
    path = local_cluster.start(nodes)
    yield path
    local_cluster.stop()


@pytest.fixture(scope="module")
def cluster(kubeconfig: Path) -> Cluster:
    return Cluster(kubeconfig)
