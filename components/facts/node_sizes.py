"""vCPU counts and CPU architectures read from the names of cloud machine types.

Sysbox asks for at least 4 vCPU per CVM node (nestybox/sysbox docs/user-guide/install-k8s.md). Each cloud
encodes the vCPU count in its size names by a documented rule, so we read it from the name instead of
keeping a catalogue. A name that the rule cannot read returns None: we refuse only sizes known to be small.
"""

from __future__ import annotations

import re
from decimal import Decimal

from components.facts import eks_ami

# "at least 4 CPUs and 4 GB RAM" per node (nestybox/sysbox docs/user-guide/install-k8s.md)
MIN_VCPUS = 4
MIN_MEMORY = Decimal(4 * 10**9)

# GKE: <series>-<type>-<vCPUs>[-suffix], custom types <series>-custom-<vCPUs>-<MiB>, and the shared-core
# types, which have at most 2 vCPU (cloud.google.com/compute/docs/general-purpose-machines).
_GKE_SHARED_CORE = {"e2-micro": 2, "e2-small": 2, "e2-medium": 2, "f1-micro": 1, "g1-small": 1}
_GKE_CUSTOM = re.compile(r"^(?:[a-z0-9]+-)?custom-([0-9]+)-[0-9]+(?:-ext)?$")
_GKE_STANDARD = re.compile(r"^[a-z][a-z0-9]*-[a-z]+-([0-9]+)(?:-[a-z0-9]+)*$")

# AKS: Standard_<family letters><vCPUs>[-<active vCPUs>]<features>_<version>; a constrained size such as
# Standard_E4-2s_v5 has only the second number of active vCPUs
# (learn.microsoft.com azure/virtual-machines/vm-naming-conventions).
_AKS = re.compile(r"^(?:Standard|Basic)_[A-Z]+([0-9]+)(?:-([0-9]+))?[a-z]*(?:_[A-Za-z0-9]+)*$")

# EKS (EC2): <family>.<size>; "large" is 2 vCPU, "xlarge" 4, "<n>xlarge" 4n, smaller sizes fewer
# (docs.aws.amazon.com/ec2/latest/instancetypes). "metal" sizes are whole hosts.
_EC2 = re.compile(r"^[a-z][a-z0-9-]*\.([0-9]*)(nano|micro|small|medium|large|xlarge|metal(?:-[0-9]+xl)?)$")
_EC2_SMALL = {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2}


def gke_vcpus(machine_type: str) -> int | None:
    if machine_type in _GKE_SHARED_CORE:
        return _GKE_SHARED_CORE[machine_type]
    match = _GKE_CUSTOM.fullmatch(machine_type) or _GKE_STANDARD.fullmatch(machine_type)
    return int(match.group(1)) if match else None


def aks_vcpus(vm_size: str) -> int | None:
    match = _AKS.fullmatch(vm_size)
    if not match:
        return None
    return int(match.group(2) or match.group(1))


def eks_vcpus(instance_type: str) -> int | None:
    match = _EC2.fullmatch(instance_type)
    if not match:
        return None
    multiple, size = match.groups()
    if size in _EC2_SMALL:
        return _EC2_SMALL[size] if not multiple else None
    if size == "xlarge":
        return 4 * int(multiple or 1)
    return None  # metal: the whole host, many cores


# The CPU architecture of a cloud's CVM nodes, read from the machine type's name as the vCPUs are (a node pool
# is one type, so one architecture): Coder's agent binary and the agent's `arch` must match it.
# GKE: the Arm series end in "a" after the generation digit (T2A, C4A, N4A; cloud.google.com/compute/docs/
# instances/arm-on-compute); AMD's end in "d" and are x86.
_GKE_ARM = re.compile(r"^[a-z]+[0-9]+a-")
# AKS: a "p" among the size's lowercase feature letters is an Arm CPU (learn.microsoft.com azure/
# virtual-machines/vm-naming-conventions), as Standard_D4ps_v5 or Standard_E8pds_v6.
_AKS_FEATURES = re.compile(r"^(?:Standard|Basic)_[A-Z]+[0-9]+(?:-[0-9]+)?([a-z]*)(?:_[A-Za-z0-9]+)*$")


def architecture(platform: str, machine: str) -> str:
    """`amd64` or `arm64` for a cloud's machine type: GKE's machine type, AKS's VM size, EKS's instance type."""
    if platform == "gke":
        return "arm64" if _GKE_ARM.match(machine) else "amd64"
    if platform == "aks":
        features = _AKS_FEATURES.fullmatch(machine)
        return "arm64" if features and "p" in features.group(1) else "amd64"
    if platform == "eks":
        return eks_ami.architecture(machine)
    raise ValueError(f"no machine-type rule for platform {platform!r}: only gke, aks and eks name their machines")
