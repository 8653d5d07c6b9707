"""A GKE cluster with a separate Ubuntu CVM node pool.

The default node pool is removed and the CVM pool is a resource of its own, so changing the pool never
replaces the cluster. The cluster stays on its minor: it is on the EXTENDED channel, and a persistent
maintenance exclusion forbids minor upgrades until shortly before the end of that minor's extended support
(facts/platforms.py GKE_CHANNEL). The pool starts at the control plane's version and from then on node
auto-upgrade patches it inside the maintenance window; a minor move of the pool is the runbook's step
(docs/operations.md). Nodes, the temporary default pool's too, run as a service account of their own with only
the default node role, pods see GKE's metadata server (not the node's credentials), and Dataplane V2 enforces
NetworkPolicies.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.config import Gke
from components.facts.compatibility import GKE_IMAGE_TYPE
from components.facts.platforms import GKE_CHANNEL
from components.kube import kubeconfig as kube_config
from components.kube import register
from components.kube.names import INSTALL_LABEL
from components.lasting import load

# the SDK's modules this cluster uses, loaded with this module (docs/performance.md)
load(gcp.container, gcp.organizations, gcp.projects, gcp.serviceaccount)

IMAGE_TYPE = GKE_IMAGE_TYPE
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


# The one role GKE asks a node service account to have: logs, metrics and image pulls, nothing else (GKE docs,
# "Use least privilege IAM service accounts", roles/container.defaultNodeServiceAccount).
NODE_ROLE = "roles/container.defaultNodeServiceAccount"
# GKE spreads a regional pool over three of the region's zones unless told otherwise, and `node_count` is per
# zone (GKE docs, regional clusters; pulumi_gcp NodePool.node_count).
REGIONAL_ZONES = 3
# Dataplane V2 (Cilium) enforces NetworkPolicy without an add-on (GKE docs, Dataplane V2).
DATAPATH = "ADVANCED_DATAPATH"


def regional(location: str) -> bool:
    """'europe-west4' is a region, 'europe-west4-a' a zone (GKE locations)."""
    return not re.fullmatch(r".+-[a-z]", location)


def per_zone(location: str, total: int) -> int:
    """The pool's `node_count` for `total` nodes: on a region it is per zone, so spread the total over the zones
    (rounded up: a total that does not divide gives a few more nodes, never fewer)."""
    return math.ceil(total / REGIONAL_ZONES) if regional(location) else total


def node_account_id(cluster_name: str) -> str:
    """The node service account's ID: 6-30 lowercase letters, digits and '-', starting with a letter, not ending
    in '-' (IAM service accounts docs); derived from a GKE cluster name (1-40, same letters)."""
    return f"{cluster_name[:24].rstrip('-')}-nodes"


def workload_pool(project: str) -> str:
    """The workload identity pool GKE_METADATA needs on the cluster (GKE docs, Workload Identity Federation)."""
    return f"{project}.svc.id.goog"


def default_pool_config(service_account: pulumi.Input[str]) -> gcp.container.ClusterNodeConfigArgsDict:
    """The default pool GKE builds at creation and cvm removes at once (`remove_default_node_pool`): without a
    service account it runs as the Compute Engine default one, and creation fails in projects where that account
    is disabled or stripped of roles (pulumi_gcp container.Cluster `node_config`, ClusterNodeConfig
    `service_account`: "If not specified, the 'default' service account is used"; GKE docs, "Use least privilege
    IAM service accounts")."""
    return {"service_account": service_account, "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"]}


def node_config(machine_type: str, service_account: pulumi.Input[str]) -> gcp.container.NodePoolNodeConfigArgsDict:
    return {
        "machine_type": machine_type,
        "image_type": IMAGE_TYPE,
        "labels": dict(INSTALL_LABEL),
        # Secure Boot blocks the shiftfs module that the Sysbox installer builds (Sysbox GKE docs)
        "shielded_instance_config": {"enable_secure_boot": False},
        # with a dedicated account the scope is cloud-platform and IAM decides (GKE docs, service accounts)
        "service_account": service_account,
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        # pods reach GKE's metadata server, which hides the node's credentials (GKE docs, Workload Identity)
        "workload_metadata_config": {"mode": "GKE_METADATA"},
    }


@dataclass(frozen=True, kw_only=True)
class GkeClusterArgs:
    name: str
    kubernetes_minor: pulumi.Input[str]
    gke: Gke  # cvm:gke, validated


class GkeCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Gke", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project: pulumi.Input[str] = (
            args.gke.project if args.gke.project is not None else gcp.organizations.get_client_config_output().project
        )
        self.node_account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=node_account_id(args.name),
            display_name=f"CVM nodes of GKE cluster {args.name}",
            project=args.gke.project,
            opts=child,
        )
        self.node_role = gcp.projects.IAMMember(
            f"{name}-nodes-role",
            project=project,
            role=NODE_ROLE,
            member=self.node_account.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=child,
        )
        self.cluster = gcp.container.Cluster(
            name,
            name=args.name,
            location=args.gke.location,
            project=args.gke.project,
            network=args.gke.network,
            subnetwork=args.gke.subnetwork,
            min_master_version=args.kubernetes_minor,
            release_channel={"channel": GKE_CHANNEL},
            maintenance_policy={"recurring_window": MAINTENANCE_WINDOW, "maintenance_exclusions": [NO_MINOR_UPGRADES]},
            datapath_provider=DATAPATH,
            workload_identity_config={"workload_pool": pulumi.Output.from_input(project).apply(workload_pool)},
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=default_pool_config(self.node_account.email),
            deletion_protection=args.gke.deletion_protection,
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`). The
            # datapath cannot change on an existing cluster (GKE Dataplane V2 docs): a cluster made before cvm
            # set it keeps its own, and docs/operations.md says how to turn on NetworkPolicy there. The default
            # pool's config only matters at creation (the pool is gone after it) and would replace the cluster
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                ignore_changes=["datapathProvider", "nodeConfig"],
                depends_on=[self.node_role],
            ),
        )
        self.node_pool = gcp.container.NodePool(
            f"{name}-cvm",
            name="cvm",
            cluster=self.cluster.name,
            location=args.gke.location,
            project=args.gke.project,
            # the control plane's version at creation, then node auto-upgrade's: a `version` that followed the
            # control plane would surge-upgrade every node at the first `up` after GKE patched the control plane,
            # outside the window ("if this field and auto_upgrade are both specified, they will fight each
            # other ... setting both is highly discouraged": pulumi_gcp container.NodePool `version`, 10.2.0)
            version=self.cluster.master_version,
            node_count=per_zone(args.gke.location, args.gke.node_count),
            node_config=node_config(args.gke.machine_type, self.node_account.email),
            management={"auto_repair": True, "auto_upgrade": True},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_role], ignore_changes=["version"]),
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
