"""What a good CVM node reports in its Node status: a 4-CPU GKE Ubuntu 24.04 node of the 1.35 default on
containerd 2.1. The program tests' fake cluster answers reads of Nodes with it, and the local control plane
registers its Node objects with it (with its own kubelet version)."""

from __future__ import annotations

from typing import Any

GOOD_NODE: dict[str, Any] = {
    "nodeInfo": {
        "architecture": "amd64",
        "containerRuntimeVersion": "containerd://2.1.4",
        "kernelVersion": "6.8.0-1015-gke",
        "kubeletVersion": "v1.35.1-gke.1396000",
        "kubeProxyVersion": "",
        "osImage": "Ubuntu 24.04.1 LTS",
        "operatingSystem": "linux",
        "bootID": "",
        "machineID": "",
        "systemUUID": "",
    },
    "capacity": {"cpu": "4", "memory": "16393460Ki", "pods": "110"},
    "allocatable": {"cpu": "3920m", "memory": "13497588Ki", "pods": "110"},
}


def node_status(**overrides: str) -> dict[str, Any]:
    """GOOD_NODE's status with some of what it reports changed: `status.nodeInfo` keys, or `cpu`/`memory`
    capacity."""
    size = {key: overrides.pop(key) for key in ("cpu", "memory") if key in overrides}
    return {
        **GOOD_NODE,
        "nodeInfo": {**GOOD_NODE["nodeInfo"], **overrides},
        "capacity": {**GOOD_NODE["capacity"], **size},
    }
