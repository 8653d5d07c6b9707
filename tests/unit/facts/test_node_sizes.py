"""vCPU counts read from cloud size names: what each cloud's naming rule says, and None where it says nothing."""

from __future__ import annotations

import pytest

from components.facts import node_sizes


@pytest.mark.parametrize(
    ("machine_type", "vcpus"),
    [
        ("n2-standard-4", 4),
        ("c3-highcpu-22-lssd", 22),
        ("n2-custom-6-16384", 6),
        ("custom-2-8192-ext", 2),
        ("e2-medium", 2),
        ("f1-micro", 1),
        ("standard-4", None),
    ],
)
def test_gke(machine_type: str, vcpus: int | None) -> None:
    assert node_sizes.gke_vcpus(machine_type) == vcpus


@pytest.mark.parametrize(
    ("vm_size", "vcpus"),
    [("Standard_D4s_v5", 4), ("Standard_E4-2s_v5", 2), ("Standard_DS2_v2", 2), ("Basic_A1", 1), ("D4s_v5", None)],
)
def test_aks(vm_size: str, vcpus: int | None) -> None:
    assert node_sizes.aks_vcpus(vm_size) == vcpus


@pytest.mark.parametrize(
    ("instance_type", "vcpus"),
    [
        ("m6i.xlarge", 4),
        ("c7g.2xlarge", 8),
        ("t3.large", 2),
        ("t3.2large", None),  # not a size EC2 names
        ("m7i.metal-48xl", None),
        ("m6i", None),
    ],
)
def test_eks(instance_type: str, vcpus: int | None) -> None:
    assert node_sizes.eks_vcpus(instance_type) == vcpus


@pytest.mark.parametrize(
    ("platform", "machine", "arch"),
    [
        ("gke", "n2-standard-4", "amd64"),
        ("gke", "n2d-standard-8", "amd64"),  # AMD: x86
        ("gke", "t2a-standard-4", "arm64"),
        ("gke", "c4a-highmem-8-lssd", "arm64"),
        ("gke", "a2-highgpu-1g", "amd64"),  # an "a" series, not an Arm one
        ("aks", "Standard_D4s_v5", "amd64"),
        ("aks", "Standard_D4ps_v5", "arm64"),
        ("aks", "Standard_E8pds_v6", "arm64"),
        ("aks", "Standard_D4as_v5", "amd64"),  # AMD: x86
        ("eks", "m6i.xlarge", "amd64"),
        ("eks", "m7g.xlarge", "arm64"),  # Graviton
        ("eks", "c6gn.2xlarge", "arm64"),
    ],
)
def test_architecture(platform: str, machine: str, arch: str) -> None:
    assert node_sizes.architecture(platform, machine) == arch


def test_architecture_of_bare_metal_is_not_read_from_a_name() -> None:
    with pytest.raises(ValueError, match="no machine-type rule for platform 'baremetal'"):
        node_sizes.architecture("baremetal", "node-1")
