"""What each platform's CVM nodes are, per Kubernetes minor and image family, and whether the pinned Sysbox works
there; each platform's window and default minor follow from that table.

Pure data and functions (no SDK): the settings refuse a combination upstream says is broken before anything
registers. Each row carries where it was read; what could not be read is written "not published" rather than
guessed. Checked against upstream documents and issues (read 2026-11-28), not by running a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from components.facts.issues import SYSBOX_997, SYSBOX_1025, SYSBOX_1035, KnownIssue
from components.facts.minors import minors
from components.facts.platforms import PLATFORMS, Platform


@dataclass(frozen=True)
class NodeImage:
    """What a CVM node of this row runs. `containerd2` decides the installer's path: containerd >= 2.0.5 gets a
    sysbox-runc runtime added, anything older is switched to the installer's CRI-O (pins.CONTAINERD_IN_PLACE)."""

    os: str
    kernel: str
    runtime: str
    containerd2: bool | None  # None: not published
    source: str
    issues: tuple[KnownIssue, ...] = ()
    # what shows sysbox-runc pods running on this image with the pinned Sysbox: without an open issue a row is
    # accepted, which is not proof that it works
    evidence: str = "unproven: no open issue, and no report of Sysbox 0.7.1 running here"


# The image family each cloud's CVM nodes use: GKE's only Ubuntu image type since 1.24 (the Docker-based
# `UBUNTU` is gone; GKE node-images docs), and AKS's OS SKU whose release follows the minor (AKS
# upgrade-os-version docs). EKS's is the Ubuntu release, cvm:eks.ubuntuVersion.
GKE_IMAGE_TYPE = "UBUNTU_CONTAINERD"
AKS_OS_SKU = "Ubuntu"

# GKE, image type UBUNTU_CONTAINERD.
# No report shows Sysbox 0.7.1 running on GKE; the reports there are failures of 0.7.0 (the installer on a GKE
# 1.33 pool, nestybox/sysbox#987; sysfs on Ubuntu 24.04 with containerd 2, #1013, which 0.7.1 fixed elsewhere).
_GKE_EVIDENCE = "unproven: no report of Sysbox 0.7.1 on GKE; 0.7.0 failed there (nestybox/sysbox#987, #1013)"
_GKE_1_35 = NodeImage(
    "Ubuntu 24.04 (ubuntu-gke-2404-1-35-*)",
    "6.8 (linux-gke)",
    "containerd 2.x (Linux nodes from GKE 1.33)",
    containerd2=True,
    source="GKE node-images docs; GKE docs deprecations/migrate-containerd-2",
    evidence=_GKE_EVIDENCE,
)
_GKE_1_34 = NodeImage(
    "Ubuntu (release not published per minor)",
    "not published",
    "containerd 2.0 (Linux nodes from GKE 1.33)",
    containerd2=True,
    source="GKE docs deprecations/migrate-containerd-2; node-images (no per-minor Ubuntu release table found)",
    evidence=_GKE_EVIDENCE,
)
# AKS, OS SKU `Ubuntu`: Ubuntu 22.04 for 1.25-1.34 and 24.04 from 1.35 (MicrosoftDocs/azure-aks-docs
# articles/aks/upgrade-os-version.md; AKS release notes 2026-01-04).
# On containerd < 2.0.5 the installer switches the node to its own CRI-O. There, from Kubernetes 1.33, pods work
# with `hostUsers: false` (what cvm's sysbox-runc pods set) and fail with the older CRI-O annotation
# (nestybox/sysbox#999 on AKS 1.33, #1019; upstream cri-o/cri-o#10341); one report says the opposite on AKS
# 1.33.1 (#987). No open issue says the CRI-O path fails on AKS 1.34 or EKS 22.04: those rows carry none.
_AKS_2204 = NodeImage(
    "Ubuntu 22.04 (AKSUbuntu-2204gen2containerd)",
    "5.15 (linux-azure; the installer adds shiftfs, nestybox/sysbox#937's log)",
    "containerd 1.7.30 (Azure/AgentBaker PR #7802)",
    containerd2=False,
    source="MicrosoftDocs/azure-aks-docs upgrade-os-version.md; Azure/AgentBaker PR #7802",
)
_AKS_2404 = NodeImage(
    "Ubuntu 24.04 (AKSUbuntu-2404gen2containerd)",
    "6.8 (linux-azure)",
    "containerd 2.x, config `version = 2` (Azure/AgentBaker PR #7798: 2.2.1)",
    containerd2=True,
    source="AKS release notes 2026-01-04; Azure/AgentBaker PR #7798; nestybox/sysbox#997",
    issues=(SYSBOX_997,),
)
# EKS, Canonical's Ubuntu EKS AMIs (ubuntu-cloud-docs, EKS images; eksctl pkg/ami/ssm_resolver.go @99984adb6).
_EKS_2204 = NodeImage(
    "Ubuntu 22.04 (Canonical EKS AMI)",
    "linux-aws (jammy)",
    "containerd 1.7 (Ubuntu archive)",
    containerd2=False,
    source="Canonical ubuntu-cloud-docs, EKS images; nestybox/sysbox docs/user-guide/install-k8s.md (EKS)",
)
# The issue is the kernel and containerd of Canonical's current 24.04 builds, which every minor's 24.04 image
# shares (the same linux-aws package), not Kubernetes 1.35 itself.
_EKS_2404 = NodeImage(
    "Ubuntu 24.04 (Canonical EKS AMI)",
    "6.17.0-*-aws (current stable builds)",
    "containerd 2.2.1",
    containerd2=True,
    source="nestybox/sysbox#1035 (node report); Canonical ubuntu-cloud-docs, EKS images",
    issues=(SYSBOX_1035, SYSBOX_1025),
)


def _rows(first: str, last: str, image: NodeImage) -> dict[Version, NodeImage]:
    return dict.fromkeys(minors(first, last), image)


# cloud -> image family (GKE image type, AKS OS SKU, EKS Ubuntu release) -> minor -> node image.
NODE_IMAGES: dict[str, dict[str, dict[Version, NodeImage]]] = {
    "gke": {GKE_IMAGE_TYPE: {Version("1.34"): _GKE_1_34, Version("1.35"): _GKE_1_35}},
    "aks": {AKS_OS_SKU: {Version("1.34"): _AKS_2204, **_rows("1.35", "1.36", _AKS_2404)}},
    "eks": {
        # Canonical publishes 1.35 only for 24.04 and 26.04; 1.31-1.34 for 22.04 and 24.04 (Canonical
        # ubuntu-cloud-docs, EKS images; 26.04 is not a release Sysbox supports, install-k8s.md). 1.31 is
        # outside Sysbox 0.7's window and EKS's support (OFFERS)
        "22.04": _rows("1.31", "1.34", _EKS_2204),
        "24.04": _rows("1.31", "1.35", _EKS_2404),
    },
}


def node_image(platform: str, family: str, minor: Version) -> NodeImage | None:
    return NODE_IMAGES.get(platform, {}).get(family, {}).get(minor)


def families_for(platform: str, minor: Version) -> list[str]:
    return [family for family, rows in NODE_IMAGES.get(platform, {}).items() if minor in rows]


@dataclass(frozen=True)
class Offer:
    """The minors a platform supports today, and where that was read."""

    kubernetes: tuple[Version, ...]
    source: str


# Support as of December 2026: GKE release notes and endoflife.date (1.34 only on the EXTENDED channel),
# github.com/Azure/AKS/releases/tag/2026-09-04 (GA N-2), awsdocs amazon-eks-user-guide kubernetes-versions.adoc
# (standard 1.35-1.36; extended, at extra cost, 1.32, 1.33 and from 2026-12-02 1.34; 1.31's ended 2026-11-26).
# EKS clusters are on the EXTENDED support policy (platforms.EKS_SUPPORT_TYPE), so its extended minors count.
# Bare metal is bounded by the minors whose schemas this program validates its objects against
# (tests/program/test_schemas.py).
OFFERS: dict[Platform, Offer] = {
    "gke": Offer(minors("1.34", "1.35"), "GKE release notes 2026-09; 1.34 only on the EXTENDED channel"),
    "aks": Offer(minors("1.34", "1.36"), "Azure/AKS release 2026-09-04 (GA N-2)"),
    "eks": Offer(
        minors("1.32", "1.36"), "awsdocs amazon-eks-user-guide kubernetes-versions.adoc; 1.32-1.34 in extended support"
    ),
    "baremetal": Offer(minors("1.29", "1.36"), "schemas validated by tests/"),
}


def _window(platform: Platform) -> tuple[Version, ...]:
    """A cloud's minors that both the cloud offers and a node image of the table runs; on bare metal, every minor
    offered (the operator's nodes, which the preflight checks)."""
    offered = OFFERS[platform].kubernetes
    if platform not in NODE_IMAGES:
        return offered
    return tuple(m for m in offered if families_for(platform, m))


# The minors a stack may declare on each platform.
WINDOWS: dict[Platform, tuple[Version, ...]] = {platform: _window(platform) for platform in PLATFORMS}

# The Kubernetes minor a new stack gets on each platform when cvm:kubernetesVersion is not set: on a cloud, the
# newest one that the pinned Sysbox accepts and on whose default node image no known issue stops sysbox-runc pods.
#   gke 1.35: Ubuntu 24.04, kernel 6.8, containerd 2.x; Sysbox 0.7.1 fixed the sysfs bug of 0.7.0 there.
#   aks 1.34: the last minor on Ubuntu 22.04 with containerd 1.7: the installer's CRI-O path, untouched by #997.
#   eks 1.34 on Ubuntu 22.04: containerd 1.7, the CRI-O path; 24.04 images have #1035 (every minor), and
#       Canonical publishes no 22.04 image past 1.34. 1.34 entered extended support on 2026-12-02, at extra cost
#       (awsdocs kubernetes-versions.adoc); the cluster's upgrade policy is EXTENDED.
#   baremetal 1.35: the newest minor the pinned Sysbox accepts.
DEFAULT_MINOR: dict[Platform, Version] = {
    "gke": Version("1.35"),
    "aks": Version("1.34"),
    "eks": Version("1.34"),
    "baremetal": Version("1.35"),
}
DEFAULT_EKS_UBUNTU = "22.04"


# Kubernetes runs pods in user namespaces (`hostUsers: false`) by default from 1.33: the UserNamespacesSupport
# gate is beta and off in 1.30-1.32, on from 1.33 (kubernetes/website feature-gates/UserNamespacesSupport.md at
# 02e08b9e), and the API server drops `hostUsers` where it is off. Below 1.33 a node the installer moved to
# CRI-O (Sysbox 0.6.7, or 0.7.x on containerd < 2.0.5) therefore needs CRI-O's own annotation (nestybox/sysbox
# docs/user-guide/install-k8s.md at 27cb713f, "Launching Pods on Sysbox"); from 1.33 that annotation beside
# `hostUsers: false` breaks CRI-O's pods (nestybox/sysbox#999, #1019; cri-o/cri-o#10341).
USER_NAMESPACES_BY_DEFAULT = Version("1.33")
CRIO_USERNS_ANNOTATION = {"io.kubernetes.cri-o.userns-mode": "auto:size=65536"}


def sysbox_pod_annotations(minor: Version) -> dict[str, str]:
    """The annotations of a sysbox-runc pod on a cluster of this minor: CRI-O's user namespace below 1.33, on
    every node, since which runtime a node ends on is the installer's choice; containerd passes a pod's
    annotations to the runtime only when its runtime entry lists them (`pod_annotations`, containerd
    docs/cri/config.md), which the installer's sysbox-runc entry does not (sysbox-deploy-k8s.sh), so a
    containerd node ignores it."""
    return dict(CRIO_USERNS_ANNOTATION) if minor < USER_NAMESPACES_BY_DEFAULT else {}


def blocking_issues(platform: str, family: str, minor: Version, sysbox: str) -> list[KnownIssue]:
    """The open issues that stop sysbox-runc pods of Sysbox `sysbox` on this platform's nodes."""
    image = node_image(platform, family, minor)
    return [issue for issue in (image.issues if image else ()) if sysbox in issue.sysbox]


def ways_out(platform: str, family: str, sysbox: str, accepted: frozenset[Version]) -> list[str]:
    """What the operator can change to reach a combination with no known issue: another minor (among those the
    platform and Sysbox accept), another image family, or (always) envbox-only workspaces without Sysbox."""
    found = []
    for other_family, rows in NODE_IMAGES.get(platform, {}).items():
        for other_minor in sorted(rows, reverse=True):
            if other_minor in accepted and not blocking_issues(platform, other_family, other_minor, sysbox):
                if other_family == family:
                    found.append(f'cvm:kubernetesVersion "{other_minor}"')
                elif platform == "eks":
                    found.append(f'cvm:eks.ubuntuVersion "{other_family}" with cvm:kubernetesVersion "{other_minor}"')
                break
    found.append("cvm:sysbox.enabled false with envbox workspaces (envbox brings its own Sysbox)")
    return found
