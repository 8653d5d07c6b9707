"""What the scenarios on the local control plane share: a fresh control plane per test module, and the API
server through the Kubernetes client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from e2e import control_plane


class Cluster:
    """The API server, through the Kubernetes Python client; objects come back as plain manifests."""

    def __init__(self, kubeconfig: Path):
        self.api = config.new_client_from_config(str(kubeconfig))  # type: ignore[no-untyped-call]
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.node = client.NodeV1Api(self.api)
        self.rbac = client.RbacAuthorizationV1Api(self.api)
        self.networking = client.NetworkingV1Api(self.api)

    def get(self, read: Callable[..., Any], *args: str) -> dict[str, Any]:
        """`read(*args)` as the manifest the server returned (camelCase keys)."""
        return self.api.sanitize_for_serialization(read(*args))  # type: ignore[no-any-return]

    def labels(self, node: str) -> dict[str, str]:
        return self.get(self.core.read_node, node)["metadata"].get("labels", {})  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def kubeconfig(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh control plane and fresh Pulumi state for the module's scenario, with Node objects for the
    module's `NODES` and `GPU_NODES`."""
    nodes = [*getattr(request.module, "NODES", []), *getattr(request.module, "GPU_NODES", [])]
    control_plane.stop()
    path = control_plane.start(nodes)
    yield path
    control_plane.stop()


@pytest.fixture(scope="module")
def cluster(kubeconfig: Path) -> Cluster:
    return Cluster(kubeconfig)
