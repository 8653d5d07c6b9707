"""A GKE cluster with a separate Ubuntu CVM node pool.

The default node pool is removed and the CVM pool is a resource of its own, so changing the pool never
replaces the cluster. The cluster stays on its minor: it follows the REGULAR channel for patches, and a
persistent maintenance exclusion forbids minor upgrades until that minor's end of support (when GKE
upgrades regardless; see the README for moving to the next minor).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.kube import kubeconfig as kube_config
from components.kube import register
from components.kube.names import INSTALL_LABEL

# GKE's only Ubuntu image; the Docker-based "UBUNTU" image is gone since GKE 1.24 (GKE node-images docs).
IMAGE_TYPE = "UBUNTU_CONTAINERD"
# Patches and node upgrades may run in these hours (UTC, weekends); minor upgrades never (the exclusion).
MAINTENANCE_WINDOW: gcp.container.ClusterMaintenancePolicyRecurringWindowArgsDict = {
    "start_time": "2026-01-03T02:00:00Z",
    "end_time": "2026-01-03T08:00:00Z",
    "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
}
NO_MINOR_UPGRADES: gcp.container.ClusterMaintenancePolicyMaintenanceExclusionArgsDict = {
    "exclusion_name": "cvm-sysbox-window",
    "start_time": "2026-01-01T00:00:00Z",
    "exclusion_options": {"scope": "NO_MINOR_UPGRADES", "end_time_behavior": "UNTIL_END_OF_SUPPORT"},
}


def kubeconfig(name: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (pulumi/examples gcp-py-gke)."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin",
            "installHint": "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
        }
    }
    return kube_config.build(
        name, {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate}, user
    )


def node_config(machine_type: str) -> gcp.container.NodePoolNodeConfigArgsDict:
    return {
        "machine_type": machine_type,
        "image_type": IMAGE_TYPE,
        "labels": dict(INSTALL_LABEL),
        # Secure Boot blocks the shiftfs module that the Sysbox installer builds (Sysbox GKE docs)
        "shielded_instance_config": {"enable_secure_boot": False},
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
    }


@dataclass(frozen=True)
class GkeClusterArgs:
    name: str
    location: str
    kubernetes_minor: str
    machine_type: str
    node_count: int
    deletion_protection: bool
    project: str | None = None


class GkeCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Gke", name, None, opts)
        self.cluster = gcp.container.Cluster(
            name,
            name=args.name,
            location=args.location,
            project=args.project,
            min_master_version=args.kubernetes_minor,
            release_channel={"channel": "REGULAR"},
            maintenance_policy={"recurring_window": MAINTENANCE_WINDOW, "maintenance_exclusions": [NO_MINOR_UPGRADES]},
            remove_default_node_pool=True,
            initial_node_count=1,
            deletion_protection=args.deletion_protection,
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`)
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.node_pool = gcp.container.NodePool(
            f"{name}-cvm",
            name="cvm",
            cluster=self.cluster.name,
            location=args.location,
            project=args.project,
            node_count=args.node_count,
            node_config=node_config(args.machine_type),
            management={"auto_repair": True, "auto_upgrade": True},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.master_auth).apply(
                lambda parts: kubeconfig(parts[0], parts[1], parts[2]["cluster_ca_certificate"])
            )
        )
        # objects go on the cluster once its CVM nodes exist
        self.provider = register.provider(
            name, self.kubeconfig, pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool])
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
