"""The NVIDIA device plugin under mocks, and the GPU refusals from the issue."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tests.harness import FULL, SECRET_KEYS, Run, run_program


def test_device_plugin_on_gpu_nodes_only(full_stack: Run) -> None:
    plugin = full_stack.one("kubernetes:apps/v1:DaemonSet", "kube-system/nvidia-device-plugin-daemonset").manifest
    spec = plugin["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["containers"][0]["image"] == "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"
    assert spec["containers"][0]["resources"] == {
        "requests": {"cpu": "10m", "memory": "64Mi"},
        "limits": {"memory": "256Mi"},
    }
    patches = {
        (p.name, tuple(p.manifest["metadata"]["labels"].items()))
        for p in full_stack.of_type("kubernetes:core/v1:NodePatch")
    }
    assert patches == {
        ("cpu-1", (("sysbox-install", "yes"),)),
        ("cpu-2", (("sysbox-install", "yes"),)),
        ("gpu-1", (("nvidia.com/gpu.present", "true"),)),
    }


def test_no_device_plugin_without_gpus() -> None:
    run = run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, SECRET_KEYS)
    assert not [r for r in run.of_type("kubernetes:apps/v1:DaemonSet") if "nvidia" in r.name]


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (
            {
                **FULL,
                "supervisor": {"workspaces": [{"name": "g", "image": "u:1", "gpus": 1, "runtime": "sysbox-runc"}]},
            },
            "cvm:supervisor.workspaces[0].gpus",
        ),
        (
            {
                **FULL,
                "gpu": {"enabled": False},
                "supervisor": {"workspaces": [{"name": "g", "image": "u:1", "gpus": 1}]},
            },
            "cvm:supervisor.workspaces[0].gpus",
        ),
        ({"platform": "aks", "aks": {"location": "westeurope"}, "gpu": {"enabled": True}}, "cvm:gpu.enabled"),
    ],
    ids=["GPU under sysbox-runc", "GPU while gpu.enabled is false", "GPUs on a cloud"],
)
def test_gpu_refusals(config: dict[str, Any], key: str) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, SECRET_KEYS)
    assert f"  - {key}" in str(raised.value)
