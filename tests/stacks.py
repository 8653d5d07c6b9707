"""Stack configs the tests share."""

from __future__ import annotations

from typing import Any

from tests.harness import Run, run_program

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: lab, context: {cluster: lab, user: admin}}]
users: [{name: admin, user: {token: t}}]
current-context: lab
"""

# The full bare-metal stack: GPUs on, one GPU node, three workspaces (envbox, sysbox-runc, envbox with
# a GPU) and the canary, talking to a Coder deployment.
FULL: dict[str, Any] = {
    "platform": "baremetal",
    "gpu": {"enabled": True},
    "baremetal": {"kubeconfig": KUBECONFIG, "nodes": ["cpu-1", "cpu-2"], "gpuNodes": ["gpu-1"]},
    "supervisor": {
        "coderUrl": "https://coder.example.com",
        "storageClass": "local-path",
        "workspaces": [
            {"name": "alice", "image": "ghcr.io/acme/workspace:2026.11", "agentToken": "alice-token"},
            {
                "name": "bob",
                "image": "ghcr.io/acme/workspace:2026.11",
                "runtime": "sysbox-runc",
                "agentToken": "bob-token",
                "cpus": 4,
                "memory": "8Gi",
                "disk": "50Gi",
            },
            {"name": "carol", "image": "ghcr.io/acme/cuda-workspace:12.6", "gpus": 1, "agentToken": "carol-token"},
        ],
    },
}
SECRET_KEYS = ("baremetal", "supervisor")


# The same without Sysbox on the nodes: every workspace, the canary too, runs under envbox.
ENVBOX_ONLY: dict[str, Any] = {
    **FULL,
    "sysbox": {"enabled": False},
    "supervisor": {
        **FULL["supervisor"],
        "workspaces": [w for w in FULL["supervisor"]["workspaces"] if w.get("runtime") != "sysbox-runc"],
    },
}


def full(**overrides: Any) -> Run:
    return run_program({**FULL, **overrides}, secret_keys=SECRET_KEYS)
