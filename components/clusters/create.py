"""The cluster of the stack's platform, made from its settings section."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.config import Eks, Settings, SettingsError
from components.facts.platforms import Platform, minor_step
from components.last_run import LastOutputs
from components.lasting import lasting


class Cluster(Protocol):
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]


def create_cluster(settings: Settings, last_outputs: LastOutputs) -> Cluster:
    """The cluster of the stack's platform, with the Kubernetes provider every CVM object is created with.
    `last_outputs` are the stack's own, from its last run (components/last_run.py)."""
    return _BUILDERS[settings.platform](settings, last_outputs)


# The stack output that records the minor the cluster was last deployed at (components/stack.py outputs).
VERSION_OUTPUT = "kubernetesVersion"


def guarded_minor(settings: Settings, last_outputs: LastOutputs) -> pulumi.Output[str]:
    """`cvm:kubernetesVersion`, once checked against the minor this stack last deployed, read from the stack's own
    last outputs: a skipped or backward minor fails the preview with the key, and no cluster or pool input that
    depends on it is ever sent."""
    wanted = settings.kubernetes_version

    def check(outputs: Mapping[str, Any]) -> str:
        previous = outputs.get(VERSION_OUTPUT)
        reason = minor_step(previous if isinstance(previous, str) else None, wanted)
        if reason:
            raise pulumi.RunError(f"cvm:kubernetesVersion = '{wanted}': {reason}")
        return str(wanted)

    # the stack's outputs hold the kubeconfig, a secret, which would make the whole read secret; the minor is not
    return pulumi.Output.unsecret(last_outputs.apply(check))


def _gke(settings: Settings, last_outputs: LastOutputs) -> Cluster:
    with lasting():  # the platform's SDK, loaded by its own stacks only
        from components.clusters import gke

    g, name = settings.gke, settings.name
    assert g is not None  # the settings require it on GKE
    if gke.regional(g.location) and g.node_count % gke.REGIONAL_ZONES:
        each = gke.per_zone(g.location, g.node_count)
        pulumi.log.warn(
            f"cvm:gke.nodeCount = {g.node_count}: {g.location} is a region, whose pool spreads over "
            f"{gke.REGIONAL_ZONES} zones; the pool gets {each} per zone, {each * gke.REGIONAL_ZONES} nodes in all. "
            f"Use a multiple of {gke.REGIONAL_ZONES}, or a zone such as '{g.location}-a'"
        )
    args = gke.GkeClusterArgs(name=name, kubernetes_minor=guarded_minor(settings, last_outputs), gke=g)
    return gke.GkeCluster(name, args)


def _aks(settings: Settings, last_outputs: LastOutputs) -> Cluster:
    with lasting():  # the platform's SDK, loaded by its own stacks only
        from components.clusters import aks

    a, name = settings.aks, settings.name
    assert a is not None  # the settings require it on AKS
    args = aks.AksClusterArgs(name=name, kubernetes_minor=guarded_minor(settings, last_outputs), aks=a)
    return aks.AksCluster(name, args)


def _eks(settings: Settings, last_outputs: LastOutputs) -> Cluster:
    with lasting():  # the platform's SDK, loaded by its own stacks only
        from components.clusters import eks

    args = eks.EksClusterArgs(
        name=settings.name,
        kubernetes_minor=settings.kubernetes_minor,
        version=guarded_minor(settings, last_outputs),
        eks=settings.eks or Eks(),
    )
    return eks.EksCluster(settings.name, args)


def _bare_metal(settings: Settings, _: LastOutputs) -> Cluster:
    with lasting():
        from components.clusters import baremetal
        from components.preflight import rules

    section = settings.baremetal
    assert section is not None  # the settings fill it in for bare metal
    configured = section.kubeconfig.get_secret_value() if section.kubeconfig else None
    try:
        exported = baremetal.resolve_kubeconfig(configured, section.context, os.environ, Path.home())
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None
    sysbox = settings.sysbox.release if settings.sysbox.enabled else None
    gpu_nodes = section.gpu_nodes if settings.gpu.enabled else []
    args = baremetal.BareMetalClusterArgs(
        exported_kubeconfig=exported,
        configured_kubeconfig=configured,
        context=section.context,
        nodes=section.nodes,
        preflight=rules.roles(
            settings.kubernetes_version, sysbox, section.nodes, gpu_nodes, containerd_fix=settings.sysbox.containerd_fix
        ),
    )
    return baremetal.BareMetalCluster(settings.name, args)


_BUILDERS: dict[Platform, Callable[[Settings, LastOutputs], Cluster]] = {
    "gke": _gke,
    "aks": _aks,
    "eks": _eks,
    "baremetal": _bare_metal,
}
