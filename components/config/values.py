"""The value types of the config: each a type with the rule that checks it and the reason it gives."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from packaging.version import Version
from pydantic import AfterValidator, BeforeValidator

from components.config.checks import check, refuse
from components.facts import namespaces
from components.kube import units

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _dns_label(limit: int, why: str = "") -> AfterValidator:
    return check(
        lambda s: len(s) <= limit and bool(_DNS_LABEL.fullmatch(s)),
        f"must be a DNS label of at most {limit} characters: lowercase letters, digits and '-', starting and "
        f"ending with a letter or digit{why}",
    )


def dns_subdomain(text: str) -> bool:
    return len(text) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(text))


# A workspace's volume is `<name>-home`, which must stay a DNS label too.
WorkspaceName = Annotated[str, _dns_label(58, ", so that its volume '<name>-home' is one too")]
NodeName = Annotated[
    str,
    check(dns_subdomain, "must be a Kubernetes node name (a DNS subdomain: lowercase letters, digits, '-' and '.')"),
]

# Image references: the distribution reference grammar, transcribed from github.com/distribution/reference
# regexp.go (commit 0965666a6ade2e06035fe352e38344be1e68951a), with Go's `\w` and `[[:xdigit:]]` spelled in
# ASCII. The parts are RE2 too: the Coder template's image parameter (components/coder_template) and the policy
# pack use the very same text. Digests: sha256 only, the one algorithm go-digest and the kubelet take.
_ALPHANUMERIC = "[a-z0-9]+"
_SEPARATOR = "(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
IMAGE_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?"
_PATH_COMPONENT = f"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
IMAGE_PATH = f"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
IMAGE_NAME = f"(?:{IMAGE_DOMAIN}/)?{IMAGE_PATH}"
IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
IMAGE_DIGEST = r"sha256:[a-f0-9]{64}"
# Pinned: with a digest, or with an explicit tag other than `latest`. One pattern (Python's: RE2 has no
# lookahead), so that the policy pack applies the very same rule (policy/facts.json, components/policy_facts.py).
PINNED_IMAGE = re.compile(rf"{IMAGE_NAME}(?:(?::{IMAGE_TAG})?@{IMAGE_DIGEST}|:(?!latest$){IMAGE_TAG})")
_REFERENCE = re.compile(
    rf"(?:(?P<domain>{IMAGE_DOMAIN})/)?(?P<path>{IMAGE_PATH})(?::(?P<tag>{IMAGE_TAG}))?(?:@(?P<digest>{IMAGE_DIGEST}))?"
)
# reference.go: RepositoryNameTotalLengthMax, on the path (the name without its domain).
MAX_REPOSITORY = 255
# Longer than any reference the rules below accept (a 253-character host, port, path, tag and digest): refused
# before the pattern runs, so that a huge value costs nothing.
_MAX_REFERENCE = 1024
IMAGE_ACCEPTED = (
    "[registry[:port]/]path[:tag][@sha256:digest]: a registry host (or [IPv6]) with a port of 1-65535, a "
    f"lowercase path of at most {MAX_REPOSITORY} characters, a tag of at most 128 (distribution reference grammar)"
)


def image_problem(reference: str) -> str | None:
    """What keeps `reference` from being an image reference pinned to a tag other than `latest` or a digest."""
    match = _REFERENCE.fullmatch(reference) if len(reference) <= _MAX_REFERENCE else None
    if match is None:
        return f"is not an image reference: {IMAGE_ACCEPTED}"
    port = re.search(r":([0-9]+)$", match["domain"] or "")
    if port is not None and not 1 <= int(port[1]) <= 65535:
        return f"has port {port[1]}, not 1-65535: {IMAGE_ACCEPTED}"
    if len(match["path"]) > MAX_REPOSITORY:
        return f"has a repository of {len(match['path'])} characters, more than {MAX_REPOSITORY}: {IMAGE_ACCEPTED}"
    if match["digest"] is None and match["tag"] in (None, "latest"):
        return (
            "must be pinned to an explicit released tag or a digest (for example 'ghcr.io/coder/envbox:0.6.7'); "
            "untagged and ':latest' are refused"
        )
    return None


def pinned_image(reference: str) -> bool:
    """True for an image reference with an explicit tag other than `latest`, or a digest."""
    return image_problem(reference) is None


def _image(reference: str) -> str:
    found = image_problem(reference)
    if found is not None:
        raise refuse(found)
    return reference


Image = Annotated[str, AfterValidator(_image)]


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
    check(dns_subdomain, "must be the name of a StorageClass (a DNS subdomain of at most 253 characters)"),
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

_RESERVED = ", ".join([*(f"'{n}'" for n in namespaces.RESERVED), *(f"'{p}*'" for p in namespaces.RESERVED_PREFIXES)])
WorkspaceNamespace = Annotated[
    str,
    _dns_label(56, ", so that '<namespace>-envbox', envbox workspaces' namespace, is one too"),
    check(
        lambda s: not namespaces.reserved(s),
        f"is a namespace of Kubernetes, the cloud or a common add-on ({_RESERVED}); workspaces need one of their own",
    ),
]

# Sane upper bounds: beyond them the number is a typo, and the cloud or the scheduler would refuse it anyway.
MAX_NODES = 1000  # GKE and AKS node pools and EKS node groups top out at 1000 nodes or below
MAX_CPUS = 256
MAX_GPUS = 16
MAX_BYTES = {"memory": 4 * 1024**4, "disk": 64 * 1024**4}  # 4 TiB of memory, 64 TiB of disk (PD and EBS maxima)
# Sane lower bounds, so that a lost unit ('4' for '4Gi') is refused, not scheduled. Memory: 512Mi, the smallest
# pod GKE Autopilot runs (cloud.google.com, Autopilot resource requests: minimum 0.5 GiB) and about what envbox's
# own dockerd and sysbox-fs leave room for beside a shell; disk: 1Gi, the smallest volume GKE's PD, EBS gp3 and
# Azure Disk provision (each rounds a smaller claim up to 1 GiB), below which an image layer does not fit.
MIN_BYTES = {"memory": 512 * 1024**2, "disk": 1024**3}
_BYTE_SUFFIXES = ("k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def _bytes(kind: str, example: str) -> AfterValidator:
    low, high = MIN_BYTES[kind], MAX_BYTES[kind]

    def validate(text: str) -> str:
        amount = units.quantity(text)
        if amount is None or not text.endswith(_BYTE_SUFFIXES):
            raise refuse(
                f"must be a quantity of bytes with its unit, such as '{example}' (Ki, Mi, Gi, Ti, or k, M, G, T)"
            )
        if not low <= amount <= high:
            raise refuse(f"must be between {_binary(low)} and {_binary(high)} of {kind}")
        return text

    return AfterValidator(validate)


def _binary(amount: int) -> str:
    """512 * 1024**2 -> '512Mi': the largest binary unit that divides the amount."""
    power, unit = next((p, u) for p, u in ((4, "Ti"), (3, "Gi"), (2, "Mi"), (0, "")) if amount % 1024**p == 0)
    return f"{amount // 1024**power}{unit}"


Memory = Annotated[str, _bytes("memory", "4Gi")]
Disk = Annotated[str, _bytes("disk", "20Gi")]


def _whole_number(value: Any) -> Any:
    # pydantic reads true as 1: a boolean where a count is meant is a slip, not a count
    if isinstance(value, bool):
        raise refuse("must be a whole number, not true or false")
    return value


# A count (nodes, CPUs, GPUs, hours): bounds are added where it is used.
Count = Annotated[int, BeforeValidator(_whole_number)]


# innerEnv is set on envbox's outer, privileged container, which copies it into the inner one (CODER_INNER_ENVS):
# a variable that changes how envbox, its dockerd or the dynamic linker run there is refused. envbox reads
# CODER_* (coder/envbox cli/docker.go, commit 8b99d48910ea6bbe732da804734108b04f353105), its Docker client
# DOCKER_* (dockerclient.FromEnv: DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY); the
# dynamic linker LD_* (ld.so(8): LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT); Go programs GODEBUG and, for TLS trust,
# SSL_CERT_FILE and SSL_CERT_DIR (crypto/x509); every program PATH and HOME. ENVBOX_* is kept for envbox's own.
RESERVED_ENV = ("PATH", "HOME", "GODEBUG", "SSL_CERT_FILE", "SSL_CERT_DIR")
RESERVED_ENV_PREFIXES = ("CODER_", "ENVBOX_", "DOCKER_", "LD_")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise refuse("must be an environment variable name: letters, digits and '_', at most 128, not a digit first")
    if name.upper() in RESERVED_ENV or name.upper().startswith(RESERVED_ENV_PREFIXES):
        reserved = ", ".join([*RESERVED_ENV, *(f"{p}*" for p in RESERVED_ENV_PREFIXES)])
        raise refuse(f"would change envbox's privileged container, not only the workspace; refused: {reserved}")
    return name


EnvName = Annotated[str, AfterValidator(_env_name)]
# All of one workspace's innerEnv names and values: its Deployment must stay far below etcd's request limit
# (1.5 MiB, etcd --max-request-bytes, etcd.io "System limits"), which the API server's writes go through with the
# rest of the object and its managed fields; 256 KiB leaves that room.
MAX_INNER_ENV_BYTES = 256 * 1024


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
