"""The cluster of the stack's platform, made from its settings section."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.config import Eks, Settings, SettingsError


class Cluster(Protocol):
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]


def create_cluster(settings: Settings) -> Cluster:
    """The cluster of the stack's platform, with the Kubernetes provider every CVM object is created with."""
    return _BUILDERS[settings.platform](settings)


def _gke(settings: Settings) -> Cluster:
    from components.clusters import gke

    g, name = settings.gke, settings.name
    assert g is not None  # the settings require it on GKE
    args = gke.GkeClusterArgs(
        name, g.location, settings.kubernetes_minor, g.machine_type, g.node_count, g.deletion_protection, g.project
    )
    return gke.GkeCluster(name, args)


def _aks(settings: Settings) -> Cluster:
    from components.clusters import aks

    a, name = settings.aks, settings.name
    assert a is not None  # the settings require it on AKS
    args = aks.AksClusterArgs(
        name, a.location, settings.kubernetes_minor, a.vm_size, a.node_count, a.resource_group_name
    )
    return aks.AksCluster(name, args)


def _eks(settings: Settings) -> Cluster:
    from components.clusters import eks

    e, name = settings.eks or Eks(), settings.name
    sizes = (e.desired_size, e.min_size, e.max_size)
    args = eks.EksClusterArgs(name, settings.kubernetes_minor, e.instance_type, *sizes, e.ubuntu_version, e.region)
    return eks.EksCluster(name, args)


def _bare_metal(settings: Settings) -> Cluster:
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
        preflight=rules.roles(settings.kubernetes_version, sysbox, section.nodes, gpu_nodes),
    )
    return baremetal.BareMetalCluster(settings.name, args)


_BUILDERS: dict[str, Callable[[Settings], Cluster]] = {"gke": _gke, "aks": _aks, "eks": _eks, "baremetal": _bare_metal}
