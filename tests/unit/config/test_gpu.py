"""GPUs: bare metal only, NVIDIA only, envbox workspaces only, on listed GPU nodes, with a released plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Settings

GPU_STACK = {
    "platform": "baremetal",
    "gpu": {"enabled": True},
    "baremetal": {"nodes": ["cpu-1"], "gpuNodes": ["gpu-1"]},
}


def test_gpu_workspace_on_bare_metal_with_envbox(
    load: Callable[..., Settings], workspace: Callable[..., dict[str, Any]]
) -> None:
    s = load({**GPU_STACK, "supervisor": {"workspaces": [workspace(gpus=1)]}})
    assert s.supervisor.workspaces[0].gpus == 1


def test_gpu_workspace_needs_envbox_and_gpu_enabled(
    problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    found = problems({**GPU_STACK, "supervisor": {"workspaces": [workspace(gpus=1, runtime="sysbox-runc")]}})
    assert "Sysbox has no GPU support" in found["cvm:supervisor.workspaces[0].gpus"]
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(gpus=1)]}})
    assert "needs gpu.enabled" in found["cvm:supervisor.workspaces[0].gpus"]


def test_gpu_enabled_needs_gpu_nodes(problems: Callable[..., dict[str, str]]) -> None:
    assert "must list" in problems({"platform": "baremetal", "gpu": {"enabled": True}})["cvm:baremetal.gpuNodes"]


@pytest.mark.parametrize("tag", ["v0.20.0", "v0.17.1"])
def test_device_plugin_tag(tag: str, load: Callable[..., Settings]) -> None:
    assert load({"platform": "baremetal", "gpu": {"devicePluginVersion": tag}}).gpu.device_plugin_version == tag


@pytest.mark.parametrize("tag", ["latest", "0.20.0", "v0.20"])
def test_device_plugin_tag_refused(tag: str, problems: Callable[..., dict[str, str]]) -> None:
    assert (
        "released"
        in problems({"platform": "baremetal", "gpu": {"devicePluginVersion": tag}})["cvm:gpu.devicePluginVersion"]
    )
