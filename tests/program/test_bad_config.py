"""Bad config ends the run with one clean message naming the key, before anything reaches the monitor."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tests.harness import Run, run_program

BAD_CONFIGS = {
    "unknown platform": ({"platform": "vsphere"}, "cvm:platform"),
    "1.36 with Sysbox 0.7.1": (
        {"platform": "baremetal", "kubernetesVersion": "1.36", "sysbox": {"version": "0.7.1"}},
        "cvm:kubernetesVersion",
    ),
    "1.35 with Sysbox 0.6.7": (
        {"platform": "baremetal", "kubernetesVersion": "1.35", "sysbox": {"version": "0.6.7"}},
        "cvm:kubernetesVersion",
    ),
    "GPUs on a cloud": (
        {"platform": "gke", "gke": {"location": "europe-west4"}, "gpu": {"enabled": True}},
        "cvm:gpu.enabled",
    ),
    "an AMD GPU": ({"platform": "baremetal", "gpu": {"vendor": "amd"}}, "cvm:gpu.vendor"),
    "NFS storage": (
        {"platform": "baremetal", "supervisor": {"storageClass": "nfs-csi"}},
        "cvm:supervisor.storageClass",
    ),
    "a name that is not a DNS label": (
        {"platform": "baremetal", "supervisor": {"workspaces": [{"name": "Alice", "image": "ubuntu:24.04"}]}},
        "cvm:supervisor.workspaces[0].name",
    ),
    # 57 characters: '<namespace>-envbox', where envbox workspaces go, would pass the 63 of a DNS label
    "a namespace too long for its envbox twin": (
        {"platform": "baremetal", "supervisor": {"namespace": "w" * 57}},
        "cvm:supervisor.namespace",
    ),
    "the kube-system namespace": (
        {"platform": "baremetal", "supervisor": {"namespace": "kube-system"}},
        "cvm:supervisor.namespace",
    ),
    "the default namespace": (
        {"platform": "baremetal", "supervisor": {"namespace": "default"}},
        "cvm:supervisor.namespace",
    ),
    "two workspaces with one name": (
        {"platform": "baremetal", "supervisor": {"workspaces": [{"name": "alice", "image": "ubuntu:24.04"}] * 2}},
        "cvm:supervisor.workspaces[1].name",
    ),
}


@pytest.mark.parametrize(("config", "key"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_config_registers_nothing(config: dict[str, Any], key: str) -> None:
    run = Run()
    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, into=run)
    assert f"  - {key}" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # one clean message, no chain
    assert run.resources == [] and run.calls == []  # nothing reached the monitor, not even the first resource


def test_the_same_recording_sees_a_good_config_register() -> None:
    """What makes the check above able to fail: a run recorded the same way, of a good config, records."""
    run = Run()
    run_program({"platform": "baremetal"}, secret_keys=("baremetal",), into=run)
    assert ("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s") in {
        (r.type, r.name) for r in run.resources
    }
