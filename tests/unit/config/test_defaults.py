"""What a stack gets without saying: every default docs/configuration.md promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from packaging.version import Version

from components.config import Settings


def test_defaults_follow_design(load: Callable[..., Settings]) -> None:
    s = load({"platform": "baremetal"})
    assert (s.kubernetes_minor, s.name, s.sysbox.enabled, s.sysbox.version) == ("1.35", "cvm-dev", True, "0.7.1")
    assert (s.gpu.enabled, s.gpu.vendor, s.gpu.device_plugin_version) == (False, "nvidia", "v0.20.0")
    assert s.supervisor.namespace == "cvm-workspaces" and s.supervisor.canary
    assert s.supervisor.envbox_image == "ghcr.io/coder/envbox:0.6.7"
    assert s.baremetal is not None and s.baremetal.nodes == [] and not s.skip_await


def test_workspace_defaults(load: Callable[..., Settings], workspace: Callable[..., dict[str, Any]]) -> None:
    w = load({"platform": "baremetal", "supervisor": {"workspaces": [workspace()]}}).supervisor.workspaces[0]
    assert (w.username, w.runtime, w.cpus, w.memory, w.disk, w.gpus, w.agent_token) == (
        "coder",
        "envbox",
        2,
        "4Gi",
        "20Gi",
        0,
        None,
    )


def test_cloud_defaults(load: Callable[..., Settings]) -> None:
    gke = load({"platform": "gke", "gke": {"location": "europe-west4"}, "gcp:project": "acme-cvm"}).gke
    assert gke is not None and (gke.project, gke.machine_type, gke.node_count, gke.deletion_protection) == (
        "acme-cvm",
        "n2-standard-4",
        2,
        True,
    )
    aks = load({"platform": "aks", "aks": {"location": "westeurope"}}).aks
    assert aks is not None and (aks.vm_size, aks.node_count, aks.resource_group_name) == ("Standard_D4s_v5", 2, None)
    eks = load({"platform": "eks", "eks": {}, "aws:region": "eu-west-1"}).eks
    assert eks is not None and (eks.region, eks.instance_type, eks.ubuntu_version) == (
        "eu-west-1",
        "m6i.xlarge",
        "22.04",
    )
    assert (eks.min_size, eks.desired_size, eks.max_size) == (1, 2, 4)


def test_cloud_locations_fall_back_to_the_providers_own(load: Callable[..., Settings]) -> None:
    """gcp:region and azure-native:location stand in for a missing location (what `pulumi new` asks for); a
    location set in the section wins."""
    gke = load({"platform": "gke", "gcp:region": "europe-west4"}).gke
    assert gke is not None and gke.location == "europe-west4"
    gke = load({"platform": "gke", "gke": {"location": "europe-west4-a"}, "gcp:region": "europe-west4"}).gke
    assert gke is not None and gke.location == "europe-west4-a"
    aks = load({"platform": "aks", "azure-native:location": "westeurope"}).aks
    assert aks is not None and aks.location == "westeurope"


def test_plain_strings_from_pulumi_config_are_typed(load: Callable[..., Settings]) -> None:
    s = load({"platform": "baremetal", "skipAwait": "true", "kubernetesVersion": "1.33"})
    assert s.skip_await is True and s.kubernetes_version == Version("1.33")
