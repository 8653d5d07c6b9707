"""One module per platform; each gives the CVM layer the same thing: a Kubernetes provider and a kubeconfig.

Only the chosen platform's module is imported, so a stack loads its own cloud's SDK and no other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.settings import Eks, Settings, SettingsError


class Cluster(Protocol):
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]


def create_cluster(settings: Settings) -> Cluster:
    """The cluster of the stack's platform, with the Kubernetes provider every CVM object is created with."""
    name, minor = settings.name, settings.kubernetes_minor
    if settings.gke is not None:
        from components.clusters import gke

        g = settings.gke
        return gke.GkeCluster(
            name,
            gke.GkeClusterArgs(name, g.location, minor, g.machine_type, g.node_count, g.deletion_protection, g.project),
        )
    if settings.aks is not None:
        from components.clusters import aks

        a = settings.aks
        return aks.AksCluster(
            name, aks.AksClusterArgs(name, a.location, minor, a.vm_size, a.node_count, a.resource_group_name)
        )
    if settings.platform == "eks":
        from components.clusters import eks

        e = settings.eks or Eks()
        sizes = (e.desired_size, e.min_size, e.max_size)
        return eks.EksCluster(
            name, eks.EksClusterArgs(name, minor, e.instance_type, *sizes, e.ubuntu_version, e.region)
        )
    return _bare_metal(settings)


def _bare_metal(settings: Settings) -> Cluster:
    from components import preflight
    from components.clusters import baremetal

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
        preflight=preflight.roles(settings.kubernetes_version, sysbox, section.nodes, gpu_nodes),
    )
    return baremetal.BareMetalCluster(settings.name, args)
