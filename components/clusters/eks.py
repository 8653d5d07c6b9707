"""An EKS cluster without its default node group, and a managed CVM node group on Canonical's Ubuntu EKS AMI.

The AMI is read from Canonical's public SSM parameter for the chosen Ubuntu release, Kubernetes minor and
architecture, so the nodes stay on the cluster's minor. EKS itself never upgrades a minor before the end
of extended support.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.clusters.eks_ami import AMI_PARAMETER_TAG, ubuntu_ami_parameter
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


@dataclass(frozen=True)
class EksClusterArgs:
    name: str
    kubernetes_minor: str
    instance_type: str
    desired_size: int
    min_size: int
    max_size: int
    ubuntu_version: str
    region: str | None = None


class EksCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:Eks", name, None, opts)
        self.aws_provider = aws.Provider(f"{name}-aws", region=args.region, opts=pulumi.ResourceOptions(parent=self))
        on_aws = pulumi.ResourceOptions(parent=self, provider=self.aws_provider)
        self.node_role = aws.iam.Role(f"{name}-node", assume_role_policy=ASSUME_ROLE_EC2, opts=on_aws)
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{arn.rsplit('/', 1)[1]}", role=self.node_role.name, policy_arn=arn, opts=on_aws
            )
            for arn in NODE_POLICIES
        ]
        self.cluster = eks.Cluster(
            name,
            name=args.name,
            version=args.kubernetes_minor,
            skip_default_node_group=True,
            instance_roles=[self.node_role],
            # replacing a cluster loses everything on it: it must be asked for (`pulumi state unprotect`)
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.aws_provider}, protect=True),
        )
        parameter = ubuntu_ami_parameter(args.ubuntu_version, args.kubernetes_minor, args.instance_type)
        ami = aws.ssm.get_parameter_output(name=parameter, opts=pulumi.InvokeOutputOptions(provider=self.aws_provider))
        self.node_pool = eks.ManagedNodeGroup(
            f"{name}-cvm",
            cluster=self.cluster,
            node_role=self.node_role,
            ami_id=ami.value,
            # user data that runs /etc/eks/bootstrap.sh, which Canonical's EKS images ship (the script
            # eksctl's Ubuntu bootstrapper calls too)
            operating_system=eks.OperatingSystem.AL2,
            instance_types=[args.instance_type],
            scaling_config={"desired_size": args.desired_size, "min_size": args.min_size, "max_size": args.max_size},
            labels=dict(INSTALL_LABEL),
            # where the AMI came from, for people and for the policy pack
            tags={AMI_PARAMETER_TAG: parameter},
            opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.aws_provider}, depends_on=attachments),
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.cluster.kubeconfig_json)
        # objects go on the cluster once its CVM nodes exist
        self.provider = register.provider(
            name, self.kubeconfig, pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool])
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})
