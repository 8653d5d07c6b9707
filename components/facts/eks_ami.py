"""Which Ubuntu EKS AMI a CVM node group runs: Canonical's public SSM parameters (pure, no AWS SDK)."""

from __future__ import annotations

import re

# The node group's tag that records where its AMI came from, for people and for the policy pack.
AMI_PARAMETER_TAG = "cvm/ami-parameter"
CANONICAL_PARAMETERS = "/aws/service/canonical/ubuntu/eks/"


def architecture(instance_type: str) -> str:
    """Graviton families carry a 'g' after the generation digit (m7g, c6gn, r8gd); the rest are x86."""
    family = instance_type.split(".", 1)[0]
    match = re.fullmatch(r"[a-z]+[0-9]+([a-z-]*)", family)
    return "arm64" if match and "g" in match.group(1) else "amd64"


def ubuntu_ami_parameter(ubuntu: str, kubernetes_minor: str, instance_type: str) -> str:
    """Canonical's SSM parameter for the current Ubuntu EKS AMI (eksctl pkg/ami/ssm_resolver.go)."""
    volume = "ebs-gp2" if ubuntu in ("20.04", "22.04") else "ebs-gp3"
    arch = architecture(instance_type)
    return f"{CANONICAL_PARAMETERS}{ubuntu}/{kubernetes_minor}/stable/current/{arch}/hvm/{volume}/ami-id"


# Where a stack keeps the AMI it resolved once (clusters/eks.py): an SSM parameter of its own, per cluster,
# Ubuntu release, minor and architecture (SSM names: letters, digits, '_', '.', '-' and '/').
PINNED_PARAMETERS = "/cvm/"


def pinned_ami_parameter(cluster: str, ubuntu: str, kubernetes_minor: str, arch: str) -> str:
    return f"{PINNED_PARAMETERS}{cluster}/node-ami/{ubuntu}/{kubernetes_minor}/{arch}"
