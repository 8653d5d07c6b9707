"""The platforms a stack can run on, and what cvm sets on each cloud's cluster so that its minor holds.

The platform list is spelled here once: `Platform` for types, `PLATFORMS` and `CLOUDS` for code.
"""

from __future__ import annotations

from typing import Literal, get_args

from packaging.version import Version

Platform = Literal["gke", "aks", "eks", "baremetal"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)
CLOUDS: tuple[Platform, ...] = tuple(p for p in PLATFORMS if p != "baremetal")

# GKE: the EXTENDED channel holds a minor, with the NO_MINOR_UPGRADES exclusion, until shortly before the end of
# its extended support; on REGULAR the exclusion ends with standard support (GKE docs, release channels and
# maintenance exclusions). 1.34 is offered only on EXTENDED.
GKE_CHANNEL = "EXTENDED"
# EKS: EXTENDED keeps a minor for 26 months (12 more after standard support, at extra cost); STANDARD upgrades
# it automatically at the end of standard support (awsdocs amazon-eks-user-guide kubernetes-versions.adoc,
# "cluster upgrade policy"; pulumi-eks Cluster.upgradePolicy defaults to EXTENDED).
EKS_SUPPORT_TYPE = "EXTENDED"
# AKS: the planned maintenance configuration, read by name, that keeps the `NodeImage` channel's node-image
# updates inside a window (AKS docs, planned maintenance); clusters/aks.py makes it, the policy pack asks for it.
AKS_NODE_OS_SCHEDULE = "aksManagedNodeOSUpgradeSchedule"


def minor_step(previous: str | None, wanted: Version) -> str | None:
    """Why the cluster cannot go from `previous` (the minor this stack last deployed, its `kubernetesVersion`
    output) to `wanted` in one `pulumi up`, or None when it can: control plane and CVM nodes move together, one
    minor at a time and never back (GKE, AKS and EKS refuse a downgrade and a skipped minor on the control
    plane: GKE upgrading-a-cluster, AKS upgrade-cluster, EKS update-cluster docs)."""
    if not previous:
        return None  # a new stack, or one deployed before the output existed
    try:
        before = Version(previous)
    except ValueError:
        return None
    if (wanted.major, wanted.minor) == (before.major, before.minor):
        return None
    if wanted < before:
        return (
            f"the cluster runs Kubernetes {before} (this stack's last kubernetesVersion output) and no cloud moves "
            f'a cluster back a minor; set cvm:kubernetesVersion "{before}"'
        )
    if wanted.major != before.major or wanted.minor > before.minor + 1:
        step = f"{before.major}.{before.minor + 1}"
        return (
            f"the cluster runs Kubernetes {before} (this stack's last kubernetesVersion output); clusters move one "
            f'minor at a time: set cvm:kubernetesVersion "{step}", `pulumi up`, then go on'
        )
    return None
