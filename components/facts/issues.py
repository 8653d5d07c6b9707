"""The known upstream Sysbox issues: what each one breaks, on which nodes, and in which releases.

One record per issue, read by all that tell it: the settings refuse a node image that has one (node_images.py
lists them per row), the preflight warns about a node whose kernel meets one, the Sysbox component warns
about the ones its platform may meet, and the workspace supervisor about those of the Sysbox envbox
bundles. A stack that knowingly runs a broken combination (to test a fix, or with a node image it pinned
itself) lists the issue in `cvm:sysbox.acceptKnownIssues`.

Read from the issues themselves (github.com/nestybox/sysbox/issues, 2026-11-28), not by running a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.facts.platforms import PLATFORMS, Platform


@dataclass(frozen=True, kw_only=True)
class KnownIssue:
    """An open upstream problem that stops `sysbox-runc` pods (or the installer) on some nodes."""

    id: str  # owner/repo#number, what `cvm:sysbox.acceptKnownIssues` lists
    sysbox: tuple[str, ...]  # the Sysbox releases it is reported against (and not fixed in)
    symptom: str
    # the nodes it is reported on: their image or OS, kernel and container runtime ("" where any)
    os: str
    kernel: str = ""
    runtime: str = ""
    status: str  # open, or where it is fixed, and related reports
    # a node whose kernel (major, minor) is at least this meets it, whatever its image: the preflight's rule
    kernel_from: tuple[int, int] | None = None
    # the platforms on which every stack with an affected release is warned (its nodes may meet it on any minor)
    warned_on: tuple[Platform, ...] = ()
    # a node whose containerd (major, minor) is at least this meets it, unless the stack applies `fix`
    containerd_from: tuple[int, int] | None = None
    fix: str = ""  # the config key with which cvm works around it, when it does

    @property
    def url(self) -> str:
        repo, number = self.id.split("#")
        return f"https://github.com/{repo}/issues/{number}"

    @property
    def what(self) -> str:
        """The issue in one sentence: what fails, where, and its status."""
        node = ", ".join(
            part for part in (self.os, f"kernel {self.kernel}" if self.kernel else "", self.runtime) if part
        )
        return f"{self.symptom}{f' on {node} nodes' if node else ''} ({self.status})"


SYSBOX_1035 = KnownIssue(
    id="nestybox/sysbox#1035",
    sysbox=("0.7.1",),
    symptom="every sysbox-runc pod fails writing net.ipv4.ip_unprivileged_port_start ('permission denied')",
    os="Ubuntu 24.04 EKS",
    kernel="6.17.0-*-aws",
    runtime="containerd 2.2.1",
    status="open; reported on EKS 1.35",
    kernel_from=(6, 17),
)
SYSBOX_1025 = KnownIssue(
    id="nestybox/sysbox#1025",
    sysbox=("0.7.0",),
    symptom="sysfs cannot be mounted in sysbox-runc pods",
    os="Ubuntu 24.04",
    kernel="6.x",
    runtime="containerd 2.x",
    status="also nestybox/sysbox#1013; fixed in 0.7.1: set cvm:sysbox.version to 0.7.1",
    warned_on=PLATFORMS,
)
# How containerd 2.x drops the installer's entry: components/cvm/containerd_fix.py (containerd v2.2.9
# plugins/cri/runtime/plugin.go `migrateConfig`; nestybox/sysbox-pkgr sysbox-deploy-k8s.sh @da2d2bff).
SYSBOX_997 = KnownIssue(
    id="nestybox/sysbox#997",
    sysbox=("0.7.0", "0.7.1"),
    symptom=(
        "the installer writes its runtime under `io.containerd.grpc.v1.cri`, which containerd 2.x does not read "
        "from a config of version 3, nor from a `version = 2` one that has runtimes under "
        "`io.containerd.cri.v1.runtime` (AKS's), so pods fail 'the handler sysbox-runc is not known'"
    ),
    os="AKS Ubuntu 24.04 (Kubernetes 1.35+) and other",
    runtime="containerd 2.x",
    status=(
        "open; see also #1033, #1013. cvm:sysbox.containerdFix puts the runtime where containerd reads it. "
        "On AKS 1.34 (Ubuntu 22.04, containerd 1.7) the installer switches the nodes to CRI-O instead; envbox "
        "workspaces are not affected"
    ),
    warned_on=("aks",),
    containerd_from=(2, 0),
    fix="cvm:sysbox.containerdFix",
)
SYSBOX_721 = KnownIssue(
    id="nestybox/sysbox#721",
    sysbox=("0.6.7", "0.7.0", "0.7.1"),
    symptom="the Sysbox installer is known to finish on only some nodes and to need restarts",
    os="EKS",
    status="open; check each node's `sysbox-runtime` label",
    warned_on=("eks",),
)

SYSBOX_998 = KnownIssue(
    id="nestybox/sysbox#998",
    sysbox=("0.7.0",),
    symptom=(
        "sysbox-fs can deadlock when many inner containers start or stop at once, hanging that workspace and the "
        "node's other Sysbox containers until Sysbox restarts"
    ),
    os="",  # any node
    status="fixed in Sysbox 0.7.1 by nestybox/sysbox-fs#119 and #121",
    warned_on=PLATFORMS,
)

# The issues of the Sysbox that envbox bundles (facts/pins.py ENVBOX_SYSBOX), which every envbox workspace meets:
# no envbox release is known to bundle 0.7.1 (pins.py), so the stacks that run one are warned.
ENVBOX_ISSUES = (SYSBOX_998,)

# The issues that stop sysbox-runc pods, by id: the settings refuse a node image that has one, unless
# `cvm:sysbox.acceptKnownIssues` lists it. #721 is only warned: the installer may be restarted.
ISSUES: dict[str, KnownIssue] = {issue.id: issue for issue in (SYSBOX_1035, SYSBOX_1025, SYSBOX_997)}
KNOWN_ISSUES = (*ISSUES.values(), SYSBOX_721, SYSBOX_998)


def warned(platform: str, sysbox: str, fixes: frozenset[str] = frozenset()) -> list[KnownIssue]:
    """The issues every stack of this platform and Sysbox release is warned about, but those the stack works
    around (`fixes`: the config keys it turns on)."""
    return [
        issue
        for issue in KNOWN_ISSUES
        if platform in issue.warned_on and sysbox in issue.sysbox and not (issue.fix and issue.fix in fixes)
    ]


def on_containerd(containerd: tuple[int, int], sysbox: str) -> list[KnownIssue]:
    """The issues a node on this containerd (major, minor) meets under Sysbox `sysbox`, unless worked around."""
    return [
        issue
        for issue in KNOWN_ISSUES
        if issue.containerd_from is not None and containerd >= issue.containerd_from and sysbox in issue.sysbox
    ]


def on_kernel(kernel: tuple[int, int], sysbox: str) -> list[KnownIssue]:
    """The issues a node with this kernel meets under Sysbox `sysbox`, whatever its image."""
    return [
        issue
        for issue in KNOWN_ISSUES
        if issue.kernel_from is not None and kernel >= issue.kernel_from and sysbox in issue.sysbox
    ]
