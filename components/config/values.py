"""The value types of the config: each a type with the rule that checks it and the reason it gives."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from packaging.version import Version
from pydantic import AfterValidator, BeforeValidator

from components.config.checks import check, refuse
from components.kube import units

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _dns_label(limit: int, why: str = "") -> AfterValidator:
    return check(
        lambda s: bool(_DNS_LABEL.fullmatch(s)) and len(s) <= limit,
        f"must be a DNS label of at most {limit} characters: lowercase letters, digits and '-', starting and "
        f"ending with a letter or digit{why}",
    )


def dns_subdomain(text: str) -> bool:
    return bool(_DNS_SUBDOMAIN.fullmatch(text)) and len(text) <= 253


# A workspace's volume is `<name>-home`, which must stay a DNS label too.
WorkspaceName = Annotated[str, _dns_label(58, ", so that its volume '<name>-home' is one too")]
NodeName = Annotated[
    str,
    check(dns_subdomain, "must be a Kubernetes node name (a DNS subdomain: lowercase letters, digits, '-' and '.')"),
]

# registry/path[:tag][@sha256:digest], as the distribution reference grammar has it (lower-case paths); the
# parts are RE2 too, for the Coder template's image parameter (components/coder_template).
IMAGE_NAME = (
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
IMAGE_DIGEST = r"sha256:[a-f0-9]{64}"
# Pinned: with a digest, or with an explicit tag other than `latest`. One pattern (Python's: RE2 has no
# lookahead), so that the policy pack applies the very same rule (policy/facts.json, components/policy_facts.py).
PINNED_IMAGE = re.compile(rf"{IMAGE_NAME}(?:(?::{IMAGE_TAG})?@{IMAGE_DIGEST}|:(?!latest$){IMAGE_TAG})")


def pinned_image(reference: str) -> bool:
    """True for an image reference with an explicit tag other than `latest`, or a digest."""
    return PINNED_IMAGE.fullmatch(reference) is not None


Image = Annotated[
    str,
    check(
        pinned_image,
        "must be an image reference pinned to an explicit released tag or a digest "
        "(for example 'ghcr.io/coder/envbox:0.6.7'); untagged and ':latest' are refused",
    ),
]


def _positive_quantity(text: str) -> bool:
    amount = units.quantity(text)
    return amount is not None and amount > 0 and not text.endswith("m")


Quantity = Annotated[
    str, check(_positive_quantity, "must be a positive Kubernetes quantity such as '4Gi', '512Mi' or '20G'")
]
_LINUX_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
UserName = Annotated[
    str,
    check(
        lambda s: bool(_LINUX_USER.fullmatch(s)), "must be a Linux user name such as 'coder' (lowercase, at most 32)"
    ),
]

# Storage that envbox cannot put its overlayfs on ("CVMs do not support NFS volumes", coder/envbox
# dockerutil/image.go): NFS CSI and nfs-subdir provisioner classes, GKE Filestore (its built-in classes end in
# -rwx), AWS EFS and Azure Files over NFS.
NFS_CLASS = re.compile(r"(?i)nfs|efs|filestore|-rwx$")  # the flag inline: the policy pack reads the pattern


def nfs_backed(storage_class: str) -> bool:
    """Whether a StorageClass's name says it is NFS-backed (the policy pack checks live objects with it too)."""
    return bool(NFS_CLASS.search(storage_class))


StorageClassName = Annotated[
    str,
    check(lambda s: bool(_DNS_SUBDOMAIN.fullmatch(s)), "must be the name of a StorageClass (a DNS subdomain)"),
    check(
        lambda s: not nfs_backed(s),
        "looks NFS-backed (NFS CSI, GKE Filestore, AWS EFS, Azure Files NFS), and CVM workspace volumes cannot "
        "be on NFS (coder/envbox: 'CVMs do not support NFS volumes'); use a block-storage class",
    ),
]


def _minor(value: Any) -> Any:
    if isinstance(value, Version):
        return value
    minor = units.minor(value, exact=True) if isinstance(value, str) else None
    if minor is None:
        raise refuse("must be a 'MAJOR.MINOR' string such as '1.35'")
    return minor


KubernetesMinor = Annotated[Version, BeforeValidator(_minor)]


def _name(pattern: str, limit: int, accepted: str, source: str) -> AfterValidator:
    """A cloud's or the kernel's name rule, checked on the whole ASCII string (a trailing newline is refused)."""
    rule = re.compile(pattern)
    return check(
        lambda s: s.isascii() and len(s) <= limit and bool(rule.fullmatch(s)), f"must be {accepted} ({source})"
    )


# Each cloud's own rules for the strings cvm hands it, so that a typo is refused here and not at apply.
GcpProject = Annotated[
    str,
    _name(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", 30, "a Google Cloud project ID: 6-30 lowercase letters, digits and '-'",
          "Google Cloud resource-manager docs"),
]  # fmt: skip
GcpLocation = Annotated[
    str,
    _name(r"[a-z]+-[a-z]+[0-9]+(-[a-z])?", 40, "a Google Cloud region or zone such as 'europe-west4' or 'us-east1-b'",
          "GKE locations"),
]  # fmt: skip
AzureLocation = Annotated[
    str,
    _name(
        r"[a-z]+[a-z0-9]*", 40, "an Azure region name such as 'westeurope' or 'eastus2'", "az account list-locations"
    ),
]
AzureResourceGroup = Annotated[
    str,
    _name(r"[-\w.()]*[-\w()]", 90, "an Azure resource group name: 1-90 letters, digits, '_', '-', '.', '(' and ')', "
          "not ending in '.'", "Azure resource naming rules"),
]  # fmt: skip
AwsRegion = Annotated[
    str, _name(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+", 30, "an AWS region such as 'eu-west-1'", "AWS regions")
]
GcpResourceName = Annotated[
    str,
    _name(r"([-a-z0-9/.:]*/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?", 300,
          "a Compute Engine network or subnetwork name (or self link) such as 'cvm-vpc'", "Compute Engine naming"),
]  # fmt: skip
AzureSubnetId = Annotated[
    str,
    _name(r"/subscriptions/[-0-9a-fA-F]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.Network/virtualNetworks/"
          r"[-\w.]+/subnets/[-\w.]+", 1000, "a subnet's resource ID "
          "('/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>')",
          "Azure resource IDs"),
]  # fmt: skip
AwsVpcId = Annotated[str, _name(r"vpc-[0-9a-f]{8,17}", 21, "a VPC ID such as 'vpc-0123456789abcdef0'", "Amazon VPC")]
AwsSubnetId = Annotated[
    str, _name(r"subnet-[0-9a-f]{8,17}", 24, "a subnet ID such as 'subnet-0123456789abcdef0'", "Amazon VPC")
]
AwsProfile = Annotated[
    str, _name(r"[-\w.@+]+", 128, "an AWS shared-config profile name such as 'platform-admin'", "AWS CLI profiles")
]
IamRoleArn = Annotated[
    str,
    _name(r"arn:aws[-a-z]*:iam::[0-9]{12}:role/[-\w+=,.@/]+", 2048,
          "an IAM role ARN such as 'arn:aws:iam::123456789012:role/deployer'", "IAM identifiers"),
]  # fmt: skip
AmiId = Annotated[str, _name(r"ami-[0-9a-f]{8,17}", 21, "an AMI ID such as 'ami-0123456789abcdef0'", "Amazon EC2")]
MachineType = Annotated[
    str,
    _name(r"[A-Za-z0-9][-_.A-Za-z0-9]*", 64, "a machine type name such as 'n2-standard-4'", "the cloud's size list"),
]
ContextName = Annotated[
    str, _name(r"[^\s]+", 253, "a kubeconfig context name (no spaces or control characters)", "kubeconfig")
]

# Namespaces Kubernetes keeps for itself: workspaces must not share them (kubernetes.io Namespaces docs).
RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def reserved_namespace(name: str) -> bool:
    return name in RESERVED_NAMESPACES or name.startswith("kube-")


WorkspaceNamespace = Annotated[
    str,
    _dns_label(56, ", so that '<namespace>-envbox', envbox workspaces' namespace, is one too"),
    check(
        lambda s: not reserved_namespace(s),
        "is a namespace Kubernetes reserves ('default' and 'kube-*'); workspaces need one of their own",
    ),
]

# Sane upper bounds: beyond them the number is a typo, and the cloud or the scheduler would refuse it anyway.
MAX_NODES = 1000  # GKE and AKS node pools and EKS node groups top out at 1000 nodes or below
MAX_CPUS = 256
MAX_GPUS = 16
MAX_BYTES = {"memory": 4 * 1024**4, "disk": 64 * 1024**4}  # 4 TiB of memory, 64 TiB of disk (PD and EBS maxima)


def _at_most(kind: str) -> AfterValidator:
    limit = MAX_BYTES[kind]
    reason = f"is more {kind} than any CVM node offers (at most {limit // 1024**4}Ti)"
    return check(lambda s: (units.quantity(s) or 0) <= limit, reason)


Memory = Annotated[Quantity, _at_most("memory")]
Disk = Annotated[Quantity, _at_most("disk")]


# An environment variable's name; CODER_* is envbox's own (coder/envbox README, cli/docker.go).
EnvName = Annotated[
    str,
    check(
        lambda s: bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", s)) and not s.upper().startswith("CODER_"),
        "must be an environment variable name (letters, digits, '_'), not starting with CODER_ (envbox's own)",
    ),
]


def _bridge(text: str) -> bool:
    try:
        address = ipaddress.ip_interface(text)
    except ValueError:
        return False
    return address.version == 4 and text.isascii() and "/" in text


# The bridge of envbox's own dockerd (the outer one, which runs the inner container; coder/envbox 0.6.7
# cli/docker.go), as envbox hands it to dockerd: an address with its prefix, like envbox's default
# 172.19.0.1/30 (coder/envbox dockerutil/network.go).
BridgeCidr = Annotated[str, check(_bridge, "must be an IPv4 address with a prefix, such as '172.19.0.1/30'")]
ObjectName = Annotated[str, check(dns_subdomain, "must be the name of a Kubernetes object (a DNS subdomain)")]
