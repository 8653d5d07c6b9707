"""An AKS cluster: one small system pool inline, and a separate Ubuntu CVM agent pool.

The `patch` upgrade channel keeps the cluster on its minor (Azure applies patches only). The CVM pool is
its own AgentPool resource, so changing it never touches the cluster; the cluster ignores the pools it
reports back (pulumi/pulumi-azure-native#1575, #2719).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerservice, resources

from components.kube import register
from components.kube.names import INSTALL_LABEL

SYSTEM_VM_SIZE = "Standard_D2s_v5"  # runs only system pods; the CVM pool holds the workspaces


def dns_prefix(cluster_name: str) -> str:
    """The cluster's DNS prefix: AKS takes 1-54 letters, digits and '-', starting and ending with a letter or
    digit (AKS API reference, dnsPrefix), while a cluster name may also hold '_' and run to 63."""
    return cluster_name.replace("_", "-")[:54].strip("-")


def decode_kubeconfig(value: str) -> str:
    """The credentials API returns the kubeconfig base64-encoded (pulumi/examples azure-py-aks)."""
    return base64.b64decode(value).decode()


@dataclass(frozen=True)
class AksClusterArgs:
    name: str
    location: str
    kubernetes_minor: str
    vm_size: str
    node_count: int
    resource_group_name: str | None = None


class AksCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Aks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.resource_group_name is None:
            group: pulumi.Input[str] = resources.ResourceGroup(
                f"{name}-rg", location=args.location, opts=pulumi.ResourceOptions(parent=self, protect=True)
            ).name
        else:
            group = args.resource_group_name
        self.cluster = containerservice.ManagedCluster(
            name,
            resource_name_=args.name,
            resource_group_name=group,
            location=args.location,
            dns_prefix=dns_prefix(args.name),
            kubernetes_version=args.kubernetes_minor,
            identity=containerservice.ManagedClusterIdentityArgsDict(
                type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgsDict(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgsDict(
                    name="system",
                    mode="System",
                    count=1,
                    vm_size=SYSTEM_VM_SIZE,
                    os_type="Linux",
                    os_sku="Ubuntu",
                    type="VirtualMachineScaleSets",
                )
            ],
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`)
            opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=["agentPoolProfiles"]),
        )
        self.node_pool = containerservice.AgentPool(
            f"{name}-cvm",
            agent_pool_name="cvm",
            resource_group_name=group,
            resource_name_=self.cluster.name,
            mode="User",
            os_type="Linux",
            # Ubuntu 22.04 up to Kubernetes 1.34, 24.04 from 1.35 (AKS upgrade-os-version docs)
            os_sku="Ubuntu",
            vm_size=args.vm_size,
            count=args.node_count,
            orchestrator_version=args.kubernetes_minor,
            node_labels=dict(INSTALL_LABEL),
            type="VirtualMachineScaleSets",
            opts=child,
        )
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
