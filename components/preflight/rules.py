"""The preflight's rules: what a Node reports (`status.nodeInfo`, capacity) in, findings out.

Each finding names the node, what it reports and the upstream source of its rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from packaging.version import InvalidVersion, Version
from pydantic.alias_generators import to_snake

from components.facts import issues, node_sizes, pins
from components.facts.minors import span
from components.kube.units import major_minor, minor, quantity

Severity = Literal["refused", "warned"]

DISTRO_DOCS = "nestybox/sysbox docs/user-guide/distro-compat.md"
INSTALLER = "sysbox-deploy-k8s.sh"
INSTALL_DOCS = "nestybox/sysbox docs/user-guide/install-k8s.md"

# Ubuntu releases the Kubernetes installer supports, with each one's kernel floor (distro-compat.md).
UBUNTU_KERNEL_FLOORS: dict[str, tuple[int, int]] = {
    "18.04": (5, 3),
    "20.04": (5, 4),
    "22.04": (5, 15),
    "24.04": (6, 8),
}
# The installer's own floors for Ubuntu releases it does not list, and for any other distribution.
OTHER_UBUNTU_FLOOR = (5, 3)
OTHER_DISTRO_FLOOR = (5, 5)
# ID-mapped overlayfs mounts arrive in 5.19; below that Sysbox needs shiftfs (distro-compat.md, design.md).
IDMAPPED_OVERLAY = (5, 19)
ARCHITECTURES = ("amd64", "arm64")


@dataclass(frozen=True)
class Finding:
    node: str
    severity: Severity
    rule: str
    reports: str  # what the node reports
    reason: str
    source: str

    def __str__(self) -> str:
        return f"node {self.node}: {self.rule} {self.reports!r} {self.reason} ({self.source})"


# NodeReport's fields and the `status.nodeInfo` keys they come from.
_NODE_INFO = {
    "os_image": "osImage",
    "kernel": "kernelVersion",
    "runtime": "containerRuntimeVersion",
    "kubelet": "kubeletVersion",
    "architecture": "architecture",
}


@dataclass(frozen=True)
class NodeReport:
    """What a Node object reports about itself."""

    name: str
    os_image: str = ""
    kernel: str = ""
    runtime: str = ""
    kubelet: str = ""
    architecture: str = ""
    cpu: str | None = None
    memory: str | None = None

    @classmethod
    def of(cls, node: Mapping[str, Any]) -> NodeReport:
        """From a Node manifest (camelCase keys, as the API server returns it)."""
        return cls.of_status(node.get("metadata", {}).get("name", ""), node.get("status"))

    @classmethod
    def of_status(cls, name: str, status: Mapping[str, Any] | None, *, python_names: bool = False) -> NodeReport:
        """From a Node's status: camelCase keys, or the Python SDK's snake_case ones (`node_info`, `os_image`)."""
        key = to_snake if python_names else str
        status = status or {}
        info = status.get(key("nodeInfo")) or {}
        # The CPUs and memory a node has; allocatable is that minus what kubelet reserves.
        size = status.get("capacity") or status.get("allocatable") or {}
        reported = {field: info.get(key(api_key)) or "" for field, api_key in _NODE_INFO.items()}
        return cls(name, **reported, cpu=size.get("cpu"), memory=size.get("memory"))

    def finding(self, rule: str, severity: Severity, reason: str, source: str) -> Finding:
        reports = {
            "distribution": self.os_image,
            "kernel": self.kernel,
            "architecture": self.architecture,
            "kubelet": self.kubelet,
            "container runtime": self.runtime,
            "CPUs": self.cpu or "",
            "memory": self.memory or "",
        }[rule]
        return Finding(self.name, severity, rule, reports, reason, source)


@dataclass(frozen=True)
class Terms:
    """How the caller named what the rules judge against: a stack's config keys, or the command's flags."""

    nodes: str  # where a listed node was named
    minor: str  # the declared Kubernetes minor, '{}' standing for it
    source: str  # where that minor came from
    containerd_fix: str  # how the caller turns on the containerd 2.x workaround (nestybox/sysbox#997)


STACK_TERMS = Terms(
    nodes="is listed in cvm:baremetal.nodes or gpuNodes",
    minor="the minor this stack declares (cvm:kubernetesVersion = '{}')",
    source="this stack's config",
    containerd_fix=f"set {issues.SYSBOX_997.fix}: true",
)


@dataclass(frozen=True)
class Role:
    """What the stack asks of a node: the Sysbox installer runs on it, and/or it hosts GPU workspaces."""

    kubernetes: Version  # cvm:kubernetesVersion, the minor the stack declares
    sysbox: pins.SysboxRelease | None  # the release installed on it; None when the installer does not run
    containerd_fix: bool = False  # cvm:sysbox.containerdFix: the stack moves the installer's runtime entry


def _version(text: str) -> Version | None:
    """A runtime's version as packaging reads it ('1.7.27-1', '2.0.5+unknown', '2.1.0-rc.1'), else its numbers."""
    try:
        return Version(text.strip().removeprefix("v"))
    except InvalidVersion:
        return minor(text)


def _dotted(numbers: tuple[int, ...]) -> str:
    return ".".join(map(str, numbers))


def _distribution(report: NodeReport) -> tuple[list[Finding], tuple[int, int]]:
    """The distribution's findings, and the kernel floor that goes with it."""
    ubuntu = re.match(r"Ubuntu (\d+\.\d+)", report.os_image)
    if ubuntu and ubuntu[1] in UBUNTU_KERNEL_FLOORS:
        return [], UBUNTU_KERNEL_FLOORS[ubuntu[1]]
    if ubuntu:
        reason = (
            f"is not one of the Ubuntu releases Sysbox supports ({', '.join(UBUNTU_KERNEL_FLOORS)}): the installer "
            "only warns, and 25.04/26.04 nodes hit fusermount AppArmor denials (nestybox/sysbox#1005, #947)"
        )
        return [report.finding("distribution", "warned", reason, DISTRO_DOCS)], OTHER_UBUNTU_FLOOR
    if report.os_image.startswith("Debian"):
        reason = "is accepted by the installer, but Sysbox lists its Kubernetes install as work in progress"
        return [report.finding("distribution", "warned", reason, DISTRO_DOCS)], OTHER_DISTRO_FLOOR
    reason = (
        f"is not a distribution the Sysbox installer supports (Ubuntu {', '.join(UBUNTU_KERNEL_FLOORS)}): its "
        "host helper installs packages with apt-get, other distributions are 'WIP' and Flatcar is Sysbox-EE only"
    )
    source = f"{DISTRO_DOCS}; the sysbox-installer-helper unit runs apt-get on the host"
    return [report.finding("distribution", "refused", reason, source)], OTHER_DISTRO_FLOOR


def _kernel(report: NodeReport, floor: tuple[int, int], sysbox: pins.SysboxRelease | None) -> list[Finding]:
    kernel = major_minor(report.kernel)
    if kernel is None:
        return [report.finding("kernel", "refused", "is not a kernel version this check can read", DISTRO_DOCS)]
    if kernel < floor:
        reason = f"is below {_dotted(floor)}, the floor for {report.os_image or 'this distribution'}"
        return [report.finding("kernel", "refused", reason, f"{DISTRO_DOCS}; {INSTALLER} is_supported_kernel")]
    if kernel < IDMAPPED_OVERLAY:
        reason = (
            f"has no ID-mapped overlayfs ({_dotted(IDMAPPED_OVERLAY)}+), so Sysbox needs shiftfs, which the "
            "installer builds with dkms on the node (kernel headers, apt access, Secure Boot off)"
        )
        return [report.finding("kernel", "warned", reason, f"{DISTRO_DOCS}; docs/user-guide/design.md")]
    if sysbox is None:
        return []
    return [
        report.finding("kernel", "warned", f"fails Sysbox {sysbox.version} containers: {issue.symptom}", issue.id)
        for issue in issues.on_kernel(kernel, sysbox.version)
    ]


def _architecture(report: NodeReport) -> list[Finding]:
    if report.architecture in ARCHITECTURES:
        return []
    reason = f"is not {' or '.join(ARCHITECTURES)}, the architectures Sysbox ships for"
    return [report.finding("architecture", "refused", reason, "nestybox/sysbox docs/arch-compat.md")]


def _kubelet(report: NodeReport, role: Role, terms: Terms) -> list[Finding]:
    kubelet = minor(report.kubelet)
    if kubelet is None:
        return [report.finding("kubelet", "refused", "is not a kubelet version this check can read", INSTALLER)]
    findings: list[Finding] = []
    if kubelet != role.kubernetes:
        reason = f"is not {terms.minor.format(role.kubernetes)}"
        findings.append(report.finding("kubelet", "refused", reason, terms.source))
    if role.sysbox is not None and kubelet not in role.sysbox.kubernetes:
        reason = (
            f"is outside Sysbox {role.sysbox.version}'s window {span(role.sysbox.kubernetes)}: "
            "its installer refuses the node"
        )
        findings.append(report.finding("kubelet", "refused", reason, role.sysbox.source))
    return findings


def _runtime(report: NodeReport, role: Role, terms: Terms) -> list[Finding]:
    sysbox = role.sysbox
    if sysbox is None:  # no installer on this node, so nothing touches its runtime
        return []
    kind, _, text = report.runtime.partition("://")
    version = _version(text)
    if sysbox.keeps_containerd and kind == "containerd" and version is not None and version >= pins.CONTAINERD_IN_PLACE:
        if role.containerd_fix:
            return []
        # the installer keeps this containerd, and writes its runtime where a 2.x config may not be read
        return [
            report.finding(
                "container runtime",
                "warned",
                f"meets {issue.id} unless the config is `version = 2` with no runtimes under "
                f"`io.containerd.cri.v1.runtime`: {issue.symptom}; {terms.containerd_fix} to work around it",
                issue.url,
            )
            for issue in issues.on_containerd((version.major, version.minor), sysbox.version)
        ]
    why = (
        f"is not containerd {pins.CONTAINERD_IN_PLACE}+"
        if sysbox.keeps_containerd
        else f"meets Sysbox {sysbox.version}, which always switches nodes to CRI-O"
    )
    reason = (
        f"{why}: the installer puts its own CRI-O on the node, points kubelet at it and restarts kubelet, "
        "which takes every pod on the node down for about a minute"
    )
    source = f"{INSTALL_DOCS} 'Containerd Requirement'; CHANGELOG 0.7.0"
    return [report.finding("container runtime", "warned", reason, source)]


def _size(report: NodeReport) -> list[Finding]:
    findings: list[Finding] = []
    cpus = quantity(report.cpu or "")
    if cpus is not None and cpus < node_sizes.MIN_VCPUS:
        reason = f"are fewer than the {node_sizes.MIN_VCPUS} Sysbox recommends per node"
        findings.append(report.finding("CPUs", "warned", reason, INSTALL_DOCS))
    memory = quantity(report.memory or "")
    if memory is not None and memory < node_sizes.MIN_MEMORY:
        reason = "is less than the 4 GB Sysbox recommends per node"
        findings.append(report.finding("memory", "warned", reason, INSTALL_DOCS))
    return findings


def check_node(report: NodeReport, role: Role, terms: Terms = STACK_TERMS) -> list[Finding]:
    """Every finding for one node that reported itself; `terms` name what the caller declared."""
    distribution, floor = _distribution(report)
    return [
        *distribution,
        *_kernel(report, floor, role.sysbox),
        *_architecture(report),
        *_kubelet(report, role, terms),
        *_runtime(report, role, terms),
        *_size(report),
    ]


def check_nodes(
    reports: Mapping[str, NodeReport | None], roles: Mapping[str, Role], terms: Terms = STACK_TERMS
) -> list[Finding]:
    """Every finding for every node the caller lists (`roles`); a listed node without a report is refused.

    (In a stack's run an absent Node never gets here: the engine's read of it fails the run first.)
    """
    findings: list[Finding] = []
    for name, role in roles.items():
        report = reports.get(name)
        if report is None:
            reason = f"{terms.nodes}, but the cluster has no such Node"
            findings.append(Finding(name, "refused", "presence", "absent", reason, "kubectl get nodes"))
        else:
            findings += check_node(report, role, terms)
    return findings


def roles(
    kubernetes: Version,
    sysbox: pins.SysboxRelease | None,
    nodes: Sequence[str],
    gpu_nodes: Sequence[str],
    *,
    containerd_fix: bool = False,
) -> dict[str, Role]:
    """What the stack asks of each listed node: Sysbox's installer on `nodes` (when enabled), envbox on GPU nodes.

    GPU workspaces run under envbox, whose own Sysbox needs the same distribution and kernel but not the
    installer, so the runtime and Sysbox-window rules apply to the installer's nodes only.
    """
    listed = dict.fromkeys([*nodes, *gpu_nodes])
    return {name: Role(kubernetes, sysbox if name in nodes else None, containerd_fix) for name in listed}
