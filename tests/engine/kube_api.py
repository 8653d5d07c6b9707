"""The API server of the local control plane, through the Kubernetes Python client: what the engine scenarios
read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client, config


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
