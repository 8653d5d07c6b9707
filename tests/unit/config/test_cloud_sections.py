"""The cloud sections: node sizes, EKS's Ubuntu and pool sizes, locations, and cluster names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Settings, SettingsError, load_settings


@pytest.mark.parametrize(
    ("platform", "section", "key", "value", "accepted"),
    [
        ("gke", {"location": "europe-west4"}, "machineType", "n2-standard-4", True),
        ("gke", {"location": "europe-west4"}, "machineType", "n2-standard-2", False),
        ("gke", {"location": "europe-west4"}, "machineType", "e2-medium", False),
        ("gke", {"location": "europe-west4"}, "machineType", "n2-custom-2-8192", False),
        ("gke", {"location": "europe-west4"}, "machineType", "a2-highgpu-1g", True),  # not readable: not refused
        ("aks", {"location": "westeurope"}, "vmSize", "Standard_D4s_v5", True),
        ("aks", {"location": "westeurope"}, "vmSize", "Standard_B2s", False),
        ("aks", {"location": "westeurope"}, "vmSize", "Standard_E4-2s_v5", False),  # constrained: 2 active vCPUs
        ("aks", {"location": "westeurope"}, "vmSize", "Standard_DS2_v2", False),
        ("eks", {}, "instanceType", "m6i.xlarge", True),
        ("eks", {}, "instanceType", "c7g.2xlarge", True),
        ("eks", {}, "instanceType", "t3.large", False),
        ("eks", {}, "instanceType", "m6g.medium", False),
    ],
)
def test_four_vcpus(
    platform: str,
    section: dict[str, Any],
    key: str,
    value: str,
    *,
    accepted: bool,
    load: Callable[..., Settings],
    problems: Callable[..., dict[str, str]],
) -> None:
    config = {"platform": platform, platform: {**section, key: value}}
    if accepted:
        load(config)
    else:
        assert "at least 4" in problems(config)[f"cvm:{platform}.{key}"]


def test_eks_ubuntu_release_matches_the_kubernetes_minor(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]]
) -> None:
    assert load({"platform": "eks", "eks": {"ubuntuVersion": "22.04"}}).eks is not None
    found = problems({"platform": "eks", "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "22.04"}})
    assert "1.31-1.34" in found["cvm:eks.ubuntuVersion"]
    assert (
        "'22.04', '24.04'" in problems({"platform": "eks", "eks": {"ubuntuVersion": "26.04"}})["cvm:eks.ubuntuVersion"]
    )


def test_eks_sizes_are_ordered(problems: Callable[..., dict[str, str]]) -> None:
    assert "minSize (3) <= desiredSize (2)" in problems({"platform": "eks", "eks": {"minSize": 3}})["cvm:eks.maxSize"]


def test_cloud_sections_need_their_location_and_match_the_platform(problems: Callable[..., dict[str, str]]) -> None:
    assert "is required" in problems({"platform": "gke"})["cvm:gke.location"]
    assert "is required" in problems({"platform": "aks", "aks": {}})["cvm:aks.location"]
    assert (
        "platform is 'baremetal'" in problems({"platform": "baremetal", "gke": {"location": "europe-west4"}})["cvm:gke"]
    )


def test_cluster_names_follow_each_cloud(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]]
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"cvm:platform": "gke", "cvm:gke": '{"location": "europe-west4"}'}, "Prod_EU")
    assert "the default, from stack 'Prod_EU'" in str(raised.value)
    assert load({"platform": "aks", "aks": {"location": "westeurope"}, "clusterName": "Team_A"}).name == "Team_A"
    assert "cvm:clusterName" in problems(
        {"platform": "gke", "gke": {"location": "europe-west4"}, "clusterName": "Team_A"}
    )
