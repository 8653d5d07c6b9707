"""An AKS cluster: one small system pool inline, and a separate Ubuntu CVM agent pool.

The `patch` upgrade channel keeps the cluster on its minor (Azure applies patches only), and both the patches
and the weekly node-image reimages run only inside the stack's maintenance window (planned maintenance
configurations `aksManagedAutoUpgradeSchedule` and `aksManagedNodeOSUpgradeSchedule`). The CVM pool is its own
AgentPool resource on the cluster's minor, so changing it never touches the cluster. The system pool is inline
and on the cluster's minor too: a cluster update moves the control plane, then the system pool, and then the
CVM pool follows (it depends on the cluster). Azure CNI Overlay powered by Cilium enforces NetworkPolicies.

Node identity: the kubelet's managed identity, which AKS creates, needs no role for CVMs (AcrPull only for a
private Azure Container Registry); the cluster's system-assigned identity gets Network Contributor on an
existing subnet (AKS docs, "Use a managed identity"), which an operator grants when cvm:aks.subnetId is set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import containerservice, resources

from components.config import Aks
from components.facts.compatibility import AKS_OS_SKU
from components.facts.platforms import AKS_NODE_OS_SCHEDULE
from components.kube import register
from components.kube.names import CVM_TAINT, INSTALL_LABEL
from components.lasting import load

# the SDK's modules this cluster uses, loaded with this module (docs/performance.md)
load(containerservice, resources)

SYSTEM_VM_SIZE = "Standard_D2s_v5"  # runs only system pods; the CVM pool holds the workspaces
# The planned maintenance configurations AKS reads by name (AKS docs, planned maintenance): cluster patches of
# the `patch` channel here, and node-image updates of the `NodeImage` channel (facts.platforms.AKS_NODE_OS_SCHEDULE).
AUTO_UPGRADE_SCHEDULE = "aksManagedAutoUpgradeSchedule"
# Azure CNI Overlay powered by Cilium: pod IPs from an overlay, Cilium as dataplane and NetworkPolicy engine
# (AKS docs, "Configure Azure CNI Powered by Cilium"; azure-native ContainerServiceNetworkProfile).
NETWORK_PROFILE: containerservice.ContainerServiceNetworkProfileArgsDict = {
    "network_plugin": "azure",
    "network_plugin_mode": "overlay",
    "network_dataplane": "cilium",
    "network_policy": "cilium",
}


# Long Term Support: the Premium tier and the AKSLongTermSupport plan together, for any supported minor from 1.27
# (MicrosoftDocs/azure-aks-docs articles/aks/long-term-support.md; azure-native KubernetesSupportPlan,
# ManagedClusterSKUTier). The runway for Sysbox while 1.34 is the last AKS minor the installer works on
# (docs/operations.md, "AKS's runway"). Unset, the stack sends neither, so a cluster keeps the tier it has.
LONG_TERM_SUPPORT: dict[str, Any] = {
    "sku": {"name": "Base", "tier": "Premium"},
    "support_plan": "AKSLongTermSupport",
}


def maintenance_window(day: str, start: str, hours: int) -> containerservice.MaintenanceWindowArgsDict:
    """Every week on `day` from `start` (UTC) for `hours` (AKS wants at least 4)."""
    return {
        "schedule": {"weekly": {"day_of_week": day, "interval_weeks": 1}},
        "start_time": start,
        "duration_hours": hours,
        "utc_offset": "+00:00",
    }


def dns_prefix(cluster_name: str) -> str:
    """The cluster's DNS prefix: AKS takes 1-54 letters, digits and '-', starting and ending with a letter or
    digit (AKS API reference, dnsPrefix), while a cluster name may also hold '_' and run to 63."""
    return cluster_name.replace("_", "-")[:54].strip("-")


def decode_kubeconfig(value: str) -> str:
    """The credentials API returns the kubeconfig base64-encoded (pulumi/examples azure-py-aks)."""
    return base64.b64decode(value).decode()


@dataclass(frozen=True, kw_only=True)
class AksClusterArgs:
    name: str
    kubernetes_minor: pulumi.Input[str]
    aks: Aks  # cvm:aks, validated


class AksCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Aks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.aks.resource_group_name is None:
            group: pulumi.Input[str] = resources.ResourceGroup(
                f"{name}-rg", location=args.aks.location, opts=pulumi.ResourceOptions(parent=self, protect=True)
            ).name
        else:
            group = args.aks.resource_group_name
        self.cluster = containerservice.ManagedCluster(
            name,
            resource_name_=args.name,
            resource_group_name=group,
            location=args.aks.location,
            dns_prefix=dns_prefix(args.name),
            kubernetes_version=args.kubernetes_minor,
            identity=containerservice.ManagedClusterIdentityArgsDict(
                type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgsDict(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            network_profile=NETWORK_PROFILE,
            **(LONG_TERM_SUPPORT if args.aks.long_term_support else {}),
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgsDict(
                    name="system",
                    mode="System",
                    count=1,
                    vm_size=SYSTEM_VM_SIZE,
                    os_type="Linux",
                    os_sku=AKS_OS_SKU,
                    type="VirtualMachineScaleSets",
                    vnet_subnet_id=args.aks.subnet_id,
                    # without it a minor change moves only the control plane, and AKS refuses the next upgrade
                    # once the pool is more than two minors behind ("the node pool minor version must be within
                    # two minor versions of the control plane": azure-native 3.29.0
                    # ManagedClusterAgentPoolProfile `orchestrator_version`); a `<major.minor>` takes the newest
                    # GA patch, and the same minor again triggers no upgrade (same docstring)
                    orchestrator_version=args.kubernetes_minor,
                )
            ],
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`). The
            # inline pools are not ignored, so the system pool's version is sent; the `cvm` pool is its own
            # AgentPool, which a cluster update neither adds nor deletes (pulumi/pulumi-azure-native#1686,
            # #579: a pool missing from agentPoolProfiles is left alone); after a `pulumi refresh` the preview
            # may show it leaving agentPoolProfiles (#1575), which changes nothing in Azure
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.node_pool = containerservice.AgentPool(
            f"{name}-cvm",
            agent_pool_name="cvm",
            resource_group_name=group,
            resource_name_=self.cluster.name,
            mode="User",
            os_type="Linux",
            # Ubuntu 22.04 up to Kubernetes 1.34, 24.04 from 1.35 (AKS upgrade-os-version docs)
            os_sku=AKS_OS_SKU,
            vm_size=args.aks.vm_size,
            count=args.aks.node_count,
            orchestrator_version=args.kubernetes_minor,
            node_labels=dict(INSTALL_LABEL),
            # only workspaces and the installer land here; the system pool keeps CoreDNS and the rest. Taints
            # change in place (azure-native replaces a pool only for vmSize and gpuInstanceProfile)
            node_taints=[f"{CVM_TAINT}=true:NoSchedule"],
            type="VirtualMachineScaleSets",
            vnet_subnet_id=args.aks.subnet_id,
            opts=child,
        )
        window = maintenance_window(args.aks.maintenance_day, args.aks.maintenance_start, args.aks.maintenance_hours)
        self.maintenance = [
            containerservice.MaintenanceConfiguration(
                f"{name}-{config}",
                config_name=config,
                resource_group_name=group,
                resource_name_=self.cluster.name,
                maintenance_window=window,
                opts=child,
            )
            for config in (AUTO_UPGRADE_SCHEDULE, AKS_NODE_OS_SCHEDULE)
        ]
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group, resource_name=self.cluster.name
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda configs: decode_kubeconfig(configs[0].value))
        )
        # objects go on the cluster once its CVM nodes exist
        self.provider = register.provider(
            name, self.kubeconfig, pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool])
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
