"""An EKS cluster without its default node group, and a managed CVM node group on Canonical's Ubuntu EKS AMI.

- **The AMI is pinned in state.** Either the stack names it (`cvm:eks.amiId`), or Canonical's current image for
  the Ubuntu release, minor and architecture is resolved once and kept in an SSM parameter of the stack's own
  (`/cvm/<cluster>/node-ami/...`, its value ignored after creation), so an unrelated `pulumi up` never rolls the
  nodes. A preview warns when Canonical has published a newer image; docs/operations.md says how to take it.
- **Versions held**: the cluster's upgrade policy is EXTENDED support (facts.platforms.EKS_SUPPORT_TYPE); the node group
  follows the cluster's minor through the AMI of that minor.
- **What workspaces need**: the aws-ebs-csi-driver addon with an IRSA role and a `gp3` StorageClass; VPC CNI
  NetworkPolicy enforcement; nodes whose pods cannot reach the instance metadata (IMDSv2 only, hop limit 1).
- **Credentials**: the explicit aws provider takes the stack's profile and role to assume (`aws:profile`,
  `aws:assumeRoles`, or their `cvm:eks.*` keys), and the kubeconfig uses the same.
"""

from __future__ import annotations

import json
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

NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
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
EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
# IMDSv2 only, and a hop limit of 1: the token answer dies one hop out, so pods (a network namespace away) get
# no node credentials (AWS EC2 docs, "Configure the instance metadata options"; EKS best practices, "Restrict
# access to the instance profile"). pulumi-eks sets hop limit 2 on the launch template it makes
# (pulumi/pulumi-eks nodejs/eks/nodes/nodegroup.ts @7bf0c1b1); a transform sets 1. Pods on the host network
# (VPC CNI, kube-proxy) still reach it; the EBS CSI node plugin then reads its zone from the Kubernetes API.
METADATA_OPTIONS = {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"}
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


def metadata_hop_limit(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """A transform for the node group's children: its launch template gets IMDSv2 with hop limit 1."""
    if args.type_ != LAUNCH_TEMPLATE:
        return None
    return pulumi.ResourceTransformResult({**args.props, "metadataOptions": dict(METADATA_OPTIONS)}, args.opts)


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
        self.node_role = aws.iam.Role(f"{name}-node", assume_role_policy=ASSUME_ROLE_EC2, opts=on_aws)
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[1]}", role=self.node_role.name, policy_arn=arn, opts=on_aws
            )
            for arn in NODE_POLICIES
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
        current = aws.ssm.get_parameter_output(
            name=parameter, opts=pulumi.InvokeOutputOptions(provider=self.aws_provider)
        ).value
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
                opts=pulumi.ResourceOptions(parent=self, provider=self.aws_provider, ignore_changes=["insecureValue"]),
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
                transforms=[metadata_hop_limit],
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
            f"{name}-ebs-csi-policy", role=self.ebs_csi_role.name, policy_arn=EBS_CSI_POLICY, opts=on_aws
        )
        # the addon's pods need nodes to run on; EKS picks the addon's default version for the cluster's minor
        self.ebs_csi = aws.eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=args.name,
            addon_name=EBS_CSI_ADDON,
            service_account_role_arn=self.ebs_csi_role.arn,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.aws_provider, depends_on=[self.cluster, self.node_pool, ebs_policy]
            ),
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
