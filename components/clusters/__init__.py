"""One module per platform; each gives the CVM layer the same thing: a Kubernetes provider and a kubeconfig.

Only the chosen platform's module is imported, so a stack loads its own cloud's SDK and no other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.settings import Settings, SettingsError


class Cluster(Protocol):
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]


def create_cluster(settings: Settings) -> Cluster:
    """The cluster of the stack's platform, with the Kubernetes provider every CVM object is created with."""
    if settings.platform != "baremetal":
        raise pulumi.RunError(
            f"cvm:platform = {settings.platform!r}: managed clusters are not built yet (GKE, AKS and EKS come with "
            "the managed-clusters issue); use 'baremetal' with an existing cluster"
        )
    from components.clusters import baremetal

    section = settings.baremetal
    assert section is not None  # the settings fill it in for bare metal
    configured = section.kubeconfig.get_secret_value() if section.kubeconfig else None
    try:
        exported = baremetal.resolve_kubeconfig(configured, section.context, os.environ, Path.home())
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None
    args = baremetal.BareMetalClusterArgs(
        exported_kubeconfig=exported, configured_kubeconfig=configured, context=section.context, nodes=section.nodes
    )
    return baremetal.BareMetalCluster(settings.name, args)
