"""An EKS cluster without its default node group, and a managed CVM node group on Canonical's Ubuntu EKS AMI.

- **The AMI is pinned in state.** Either the stack names it (`cvm:eks.amiId`), or Canonical's current image for
  the Ubuntu release, minor and architecture is resolved once and kept in an SSM parameter of the stack's own
  (`/cvm/<cluster>/node-ami/...`, its value ignored after creation), so an unrelated `pulumi up` never rolls the
  nodes. A preview warns when Canonical has published a newer image; docs/operations.md says how to take it.
- **Versions held**: the cluster's upgrade policy is EXTENDED support (facts.platforms.EKS_SUPPORT_TYPE); the node group
  follows the cluster's minor through the AMI of that minor.
- **What workspaces need**: the aws-ebs-csi-driver addon with an IRSA role and a `gp3` StorageClass; VPC CNI
  NetworkPolicy enforcement; CoreDNS as an add-on; every add-on at the newest version for the minor; IMDSv2 only,
  hop limit 2 (the EBS CSI node plugin reads IMDS; workspaces' egress policy keeps them out); a gp3 root disk.
- **Credentials**: the explicit aws provider takes the stack's profile and role to assume (`aws:profile`,
  `aws:assumeRoles`, or their `cvm:eks.*` keys), and the kubeconfig uses the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.config import Eks
from components.facts.eks_ami import AMI_PARAMETER_TAG, architecture, pinned_ami_parameter, ubuntu_ami_parameter
from components.facts.platforms import EKS_SUPPORT_TYPE
from components.kube import register
from components.kube.names import INSTALL_LABEL
from components.lasting import load

# the SDK's modules this cluster uses, loaded with this module (docs/performance.md)
load(aws.ec2, aws.eks, aws.iam, aws.ssm)

# AWS managed policies, by name: their ARNs carry the partition (`aws`, `aws-us-gov`, `aws-cn`), which the
# provider answers (aws.get_partition; awsdocs IAM reference-arns, "ARN format"; kubernetes-sigs/aws-ebs-csi-driver
# docs/install.md, "replace arn:aws: with the local partition").
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
ASSUME_ROLE_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
# The EBS CSI driver: EKS's addon, its controller's service account, and AWS's managed policy for it
# (awsdocs amazon-eks-user-guide ebs-csi.adoc, "Create an IAM role").
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
# CoreDNS as an EKS add-on of cvm's own: pulumi-eks makes it only with its default node group or Fargate, and
# otherwise leaves the self-managed CoreDNS of cluster creation, which no minor upgrade moves (pulumi/pulumi-eks
# nodejs/eks/cluster.ts, `corednsExplicitlyEnabled`; awsdocs amazon-eks-user-guide managing-coredns.adoc).
# kube-proxy and the VPC CNI are pulumi-eks's managed add-ons, at the most recent version for the cluster's
# version (KubeProxyAddonOptions.version, VpcCniOptions.addonVersion docstrings), so they move with the minor.
COREDNS_ADDON = "coredns"
# IMDSv2 only, and a hop limit of 2: the EBS CSI node plugin runs in a pod and reads its instance's volume and
# ENI counts from IMDS; with hop limit 1 it falls back to Kubernetes metadata and assumes one ENI and one volume
# attached, so dense nodes overcommit attachments (kubernetes-sigs/aws-ebs-csi-driver docs/install.md,
# "Metadata"). Workspaces still cannot reach the metadata server: their egress policy excludes 169.254.0.0/16
# but DNS (cvm/workspaces/objects.py), and VPC CNI enforces it (docs/security.md).
METADATA_OPTIONS: dict[str, Any] = {"httpTokens": "required", "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled"}
# Canonical's Ubuntu AMIs boot from /dev/sda1 (their RootDeviceName: `aws ec2 describe-images --query
# 'Images[0].RootDeviceName'`; AWS EC2 docs, "Device names for volumes"); pulumi-eks's `diskSize` maps /dev/xvda,
# the Amazon Linux name, which would add a second, unused volume. Sysbox, its CRI-O and every workspace image
# live on the root disk: gp3, encrypted, sized by cvm:eks.rootVolumeSize.
ROOT_DEVICE = "/dev/sda1"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def gp3_storage_class() -> dict[str, Any]:
    """Block storage for workspace homes: EBS gp3 through the CSI driver, bound where the pod lands
    (kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3"},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Delete",
    }


def ebs_csi_trust_policy(oidc_provider_arn: str, oidc_provider_url: str) -> str:
    """Only the EBS CSI controller's service account may assume the role, through the cluster's OIDC provider
    (IRSA; awsdocs amazon-eks-user-guide associate-service-account-role.adoc)."""
    issuer = oidc_provider_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{issuer}:sub": EBS_CSI_SERVICE_ACCOUNT, f"{issuer}:aud": "sts.amazonaws.com"}
                    },
                }
            ],
        }
    )


def policy_arn(partition: str, policy: str) -> str:
    """An AWS managed policy's ARN in the stack's partition."""
    return f"arn:{partition}:iam::aws:policy/{policy}"


def root_disk(size_gib: int) -> list[dict[str, Any]]:
    """The launch template's block device for the root volume (aws.ec2.LaunchTemplateBlockDeviceMapping)."""
    ebs = {"volumeSize": size_gib, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}
    return [{"deviceName": ROOT_DEVICE, "ebs": ebs}]


def launch_template(
    root_volume_gib: int,
) -> Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]:
    """A transform for the node group's children: its launch template gets IMDSv2 with hop limit 2 and the root
    disk (pulumi-eks makes the template for a custom AMI: nodejs/eks/nodes/nodegroup.ts)."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != LAUNCH_TEMPLATE:
            return None
        props = {
            **args.props,
            "metadataOptions": dict(METADATA_OPTIONS),
            "blockDeviceMappings": root_disk(root_volume_gib),
        }
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform


def newer_image(pinned: str, current: str) -> str | None:
    """The preview's warning when Canonical's current image is not the one the nodes run."""
    if not pinned or not current or pinned == current:
        return None
    return (
        f"Canonical has published a newer Ubuntu EKS image ({current}) than the CVM nodes run ({pinned}); "
        "take it when you choose: docs/operations.md, 'EKS node images'"
    )


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    name: str
    kubernetes_minor: str
    version: pulumi.Input[str]  # the same minor, checked against the stack's last one (create.guarded_minor)
    eks: Eks  # cvm:eks, validated


class EksCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Eks", name, None, opts)
        # the args class, not a dict: a provider's nested inputs go out as JSON, and only the class knows the
        # camelCase names the provider reads
        roles = (
            [aws.ProviderAssumeRoleArgs(role_arn=args.eks.assume_role_arn, session_name=f"cvm-{args.name}"[:64])]
            if args.eks.assume_role_arn
            else []
        )
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=args.eks.region,
            profile=args.eks.profile,
            assume_roles=roles or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, provider=self.aws_provider)
        invoke = pulumi.InvokeOutputOptions(provider=self.aws_provider)
        partition = aws.get_partition_output(opts=invoke).partition

        def arn(policy: str) -> pulumi.Output[str]:
            return partition.apply(lambda p: policy_arn(p, policy))

        self.node_role = aws.iam.Role(f"{name}-node", assume_role_policy=ASSUME_ROLE_EC2, opts=on_aws)
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=arn(policy),
                opts=on_aws,
            )
            for policy in NODE_POLICIES
        ]
        credentials: eks.KubeconfigOptionsArgsDict = {}
        if args.eks.profile:
            credentials["profile_name"] = args.eks.profile
        if args.eks.assume_role_arn:
            credentials["role_arn"] = args.eks.assume_role_arn
        self.cluster = eks.Cluster(
            name,
            name=args.name,
            version=args.version,
            upgrade_policy={"support_type": EKS_SUPPORT_TYPE},
            skip_default_node_group=True,
            instance_roles=[self.node_role],
            create_oidc_provider=True,
            # VPC CNI's network policy agent enforces NetworkPolicy (awsdocs amazon-eks-user-guide
            # cni-network-policy.adoc; pulumi-eks VpcCniOptions.enableNetworkPolicy)
            vpc_cni_options={"enable_network_policy": True},
            vpc_id=args.eks.vpc_id,
            private_subnet_ids=args.eks.private_subnet_ids or None,
            public_subnet_ids=args.eks.public_subnet_ids or None,
            provider_credential_opts=credentials or None,
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`)
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.aws_provider}, protect=True),
        )
        parameter = ubuntu_ami_parameter(args.eks.ubuntu_version, args.kubernetes_minor, args.eks.instance_type)
        current = aws.ssm.get_parameter_output(name=parameter, opts=invoke).value
        ami: pulumi.Input[str]
        if args.eks.ami_id is not None:
            ami = args.eks.ami_id
        else:
            arch = architecture(args.eks.instance_type)
            # Canonical's image of today, kept: a new minor, release or architecture is a new parameter
            self.ami_pin = aws.ssm.Parameter(
                f"{name}-node-ami-{args.eks.ubuntu_version}-{args.kubernetes_minor}-{arch}",
                name=pinned_ami_parameter(args.name, args.eks.ubuntu_version, args.kubernetes_minor, arch),
                type="String",
                data_type="aws:ec2:image",
                # an AMI ID is no secret: `insecureValue` keeps it readable in previews and state
                insecure_value=current,
                description=f"CVM node AMI pinned from {parameter}",
                # the name is fixed, so `pulumi up --replace` must delete the old parameter before it creates the
                # new one: created first, the new one fails with ParameterAlreadyExists (`overwrite` is false on
                # create; pulumi_aws ssm.Parameter docstring, 7.51.1), and `overwrite=True` would have the old
                # one's delete remove the new value
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=self.aws_provider,
                    ignore_changes=["insecureValue"],
                    delete_before_replace=True,
                ),
            )
            ami = self.ami_pin.insecure_value
        pulumi.Output.all(ami, current).apply(_warn_if_newer)
        self.node_pool = eks.ManagedNodeGroup(
            f"{name}-cvm",
            cluster=self.cluster,
            node_role=self.node_role,
            ami_id=ami,
            # user data that runs /etc/eks/bootstrap.sh, which Canonical's EKS images ship (the script
            # eksctl's Ubuntu bootstrapper calls too)
            operating_system=eks.OperatingSystem.AL2,
            enable_imd_sv2=True,
            instance_types=[args.eks.instance_type],
            scaling_config={
                "desired_size": args.eks.desired_size,
                "min_size": args.eks.min_size,
                "max_size": args.eks.max_size,
            },
            labels=dict(INSTALL_LABEL),
            # where the AMI came from, for people and for the policy pack
            tags={AMI_PARAMETER_TAG: parameter},
            opts=pulumi.ResourceOptions(
                parent=self,
                providers={"aws": self.aws_provider},
                depends_on=attachments,
                transforms=[launch_template(args.eks.root_volume_size)],
            ),
        )
        self.ebs_csi_role = aws.iam.Role(
            f"{name}-ebs-csi",
            assume_role_policy=pulumi.Output.all(self.cluster.oidc_provider_arn, self.cluster.oidc_provider_url).apply(
                lambda parts: ebs_csi_trust_policy(str(parts[0]), str(parts[1]))
            ),
            opts=on_aws,
        )
        ebs_policy = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi-policy",
            role=self.ebs_csi_role.name,
            policy_arn=arn(EBS_CSI_POLICY),
            opts=on_aws,
        )

        def addon_version(addon: str) -> pulumi.Output[str]:
            # the newest version for the stack's minor: a minor upgrade moves the add-on after the control plane
            # (awsdocs amazon-eks-user-guide update-cluster.adoc, "update the add-ons"; aws.eks.get_addon_version)
            return aws.eks.get_addon_version_output(
                addon_name=addon, kubernetes_version=args.kubernetes_minor, most_recent=True, opts=invoke
            ).version

        # the add-ons' pods need nodes to run on
        after_nodes = pulumi.ResourceOptions(
            parent=self, provider=self.aws_provider, depends_on=[self.cluster, self.node_pool]
        )
        self.ebs_csi = aws.eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=args.name,
            addon_name=EBS_CSI_ADDON,
            addon_version=addon_version(EBS_CSI_ADDON),
            service_account_role_arn=self.ebs_csi_role.arn,
            opts=pulumi.ResourceOptions.merge(after_nodes, pulumi.ResourceOptions(depends_on=[ebs_policy])),
        )
        self.coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=args.name,
            addon_name=COREDNS_ADDON,
            addon_version=addon_version(COREDNS_ADDON),
            # takes over the self-managed CoreDNS that cluster creation installed (CreateAddon API)
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=after_nodes,
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.cluster.kubeconfig_json)
        # objects go on the cluster once its CVM nodes exist
        self.provider = register.provider(
            name, self.kubeconfig, pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool])
        )
        self.storage_class = register.create(
            gp3_storage_class(),
            pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self.ebs_csi]),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})


def _warn_if_newer(parts: list[Any]) -> None:
    message = newer_image(str(parts[0] or ""), str(parts[1] or ""))
    if message:
        pulumi.log.warn(message)
