"""EKS under mocks (issue 16): the default Sysbox works on, the AMI pinned in state, the upgrade policy, EBS CSI
and a gp3 class, VPC CNI network policy, metadata out of the pods' reach, credentials, an existing VPC, and the
refusals (nestybox/sysbox#1035)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.clusters import eks
from tests.harness import Run, run_program

EKS: dict[str, Any] = {"platform": "eks", "aws:region": "eu-west-1"}
CLUSTER, GROUP = "eks:index:Cluster", "eks:index:ManagedNodeGroup"
PIN = "aws:ssm/parameter:Parameter"
CURRENT = "ami-0123456789abcdef0"  # what the mocked SSM parameter answers


@pytest.fixture(scope="module")
def run() -> Run:
    return run_program(EKS)


def test_the_default_is_134_on_ubuntu_2204(run: Run) -> None:
    assert run.one(CLUSTER, "cvm-dev").inputs["version"] == "1.34"
    parameter = "/aws/service/canonical/ubuntu/eks/22.04/1.34/stable/current/amd64/hvm/ebs-gp2/ami-id"
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in run.calls


def test_extended_support_minors_get_their_22_04_image() -> None:
    run = run_program({**EKS, "kubernetesVersion": "1.33"})
    assert run.one(CLUSTER, "cvm-dev").inputs["version"] == "1.33"
    parameter = "/aws/service/canonical/ubuntu/eks/22.04/1.33/stable/current/amd64/hvm/ebs-gp2/ami-id"
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in run.calls


def test_the_upgrade_policy_is_stated(run: Run) -> None:
    assert run.one(CLUSTER, "cvm-dev").inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_the_ami_is_resolved_once_and_kept_in_state(run: Run) -> None:
    (pin,) = run.of_type(PIN)
    assert pin.name == "cvm-dev-node-ami-22.04-1.34-amd64"
    assert pin.inputs["name"] == "/cvm/cvm-dev/node-ami/22.04/1.34/amd64"
    assert pin.inputs["insecureValue"] == CURRENT and pin.inputs["dataType"] == "aws:ec2:image"
    group = run.one(GROUP, "cvm-dev-cvm")
    assert group.inputs["amiId"] == CURRENT and not group.is_secret("amiId")
    assert not any("newer Ubuntu EKS image" in w for w in run.warnings)


def test_the_pin_holds_its_value_against_later_images() -> None:
    # what keeps it: the engine ignores `insecureValue` once the parameter exists (ignore_changes)
    assert 'ignore_changes=["insecureValue"]' in Path(eks.__file__ or "").read_text()


def test_a_pinned_ami_is_used_and_a_newer_one_is_warned() -> None:
    run = run_program({**EKS, "eks": {"amiId": "ami-0aaaaaaaaaaaaaaaa"}})
    assert not run.of_type(PIN)
    assert run.one(GROUP, "cvm-dev-cvm").inputs["amiId"] == "ami-0aaaaaaaaaaaaaaaa"
    (warning,) = [w for w in run.warnings if "newer Ubuntu EKS image" in w]
    assert CURRENT in warning and "ami-0aaaaaaaaaaaaaaaa" in warning and "docs/operations.md" in warning


def test_a_new_minor_or_release_is_a_new_pin() -> None:
    run = run_program({**EKS, "eks": {"instanceType": "m7g.xlarge"}})
    (pin,) = run.of_type(PIN)
    assert pin.name == "cvm-dev-node-ami-22.04-1.34-arm64"
    assert pin.inputs["name"] == "/cvm/cvm-dev/node-ami/22.04/1.34/arm64"


def test_ebs_csi_with_its_own_role_and_a_gp3_class(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.harness as harness

    outputs = {
        **harness.CLOUD_OUTPUTS[CLUSTER],
        "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "oidcProviderUrl": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    }
    monkeypatch.setitem(harness.CLOUD_OUTPUTS, CLUSTER, outputs)
    run = run_program(EKS)
    assert run.one(CLUSTER, "cvm-dev").inputs["createOidcProvider"] is True
    addon = run.one("aws:eks/addon:Addon", "cvm-dev-ebs-csi").inputs
    assert addon["addonName"] == "aws-ebs-csi-driver" and addon["clusterName"] == "cvm-dev"
    role = run.one("aws:iam/role:Role", "cvm-dev-ebs-csi").inputs
    statement = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Federated": outputs["oidcProviderArn"]}
    assert statement["Condition"]["StringEquals"] == {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }
    policies = {r.inputs["policyArn"] for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert eks.policy_arn("aws", eks.EBS_CSI_POLICY) in policies
    storage = run.one("kubernetes:storage.k8s.io/v1:StorageClass", "gp3")
    assert storage.inputs["provisioner"] == "ebs.csi.aws.com" and storage.inputs["parameters"]["type"] == "gp3"
    assert storage.inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage.provider is not None and "cvm-dev-provider" in storage.provider


def test_network_policy_is_enforced_by_the_vpc_cni(run: Run) -> None:
    assert run.one(CLUSTER, "cvm-dev").inputs["vpcCniOptions"] == {"enableNetworkPolicy": True}


def test_nodes_require_imdsv2_with_a_hop_for_the_ebs_csi_pods_and_a_root_disk(run: Run) -> None:
    assert run.one(GROUP, "cvm-dev-cvm").inputs["enableIMDSv2"] is True
    template = pulumi.ResourceTransformArgs(
        custom=True,
        type_=eks.LAUNCH_TEMPLATE,
        name="cvm-dev-cvm-launchTemplate",
        props={"imageId": CURRENT, "metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 1}},
        opts=pulumi.ResourceOptions(),
    )
    transform = eks.launch_template(250)
    result = transform(template)
    # hop limit 2: the EBS CSI node plugin, in a pod, reads IMDS (aws-ebs-csi-driver docs/install.md)
    assert result is not None and result.props["metadataOptions"] == {
        "httpTokens": "required",
        "httpPutResponseHopLimit": 2,
        "httpEndpoint": "enabled",
    }
    assert result.props["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/sda1",
            "ebs": {"volumeSize": 250, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
        }
    ]
    assert result.props["imageId"] == CURRENT
    other = pulumi.ResourceTransformArgs(
        custom=True, type_="aws:iam/role:Role", name="r", props={}, opts=pulumi.ResourceOptions()
    )
    assert transform(other) is None


def test_the_root_disk_size_is_config_and_bounded() -> None:
    from components.config import Eks

    assert Eks().root_volume_size == 100
    assert Eks.model_validate({"rootVolumeSize": 500}).root_volume_size == 500
    with pytest.raises(ValueError, match="rootVolumeSize"):
        Eks.model_validate({"rootVolumeSize": 8})


def test_the_ami_pin_is_deleted_before_its_replacement_is_created(run: Run) -> None:
    # a fixed SSM name: created first, the replacement fails with ParameterAlreadyExists (docs/operations.md)
    (pin,) = run.of_type(PIN)
    assert pin.delete_before_replace and pin.ignore_changes == ("insecureValue",)


def test_policy_arns_follow_the_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.harness as harness

    monkeypatch.setitem(harness.INVOKE_RESULTS, "aws:index/getPartition:getPartition", {"partition": "aws-us-gov"})
    run = run_program({**EKS, "aws:region": "us-gov-west-1"})
    arns = {r.inputs["policyArn"] for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert arns == {f"arn:aws-us-gov:iam::aws:policy/{p}" for p in (*eks.NODE_POLICIES, eks.EBS_CSI_POLICY)}


def test_addons_follow_the_minor(run: Run) -> None:
    coredns = run.one("aws:eks/addon:Addon", "cvm-dev-coredns").inputs
    assert coredns["addonName"] == "coredns" and coredns["resolveConflictsOnCreate"] == "OVERWRITE"
    for name in ("cvm-dev-coredns", "cvm-dev-ebs-csi"):
        addon = run.one("aws:eks/addon:Addon", name)
        assert addon.inputs["addonVersion"] == "v1.0.0-eksbuild.1"
        assert any(d.endswith("::cvm-dev-cvm") for d in addon.dependencies)
    asked = {a["addonName"]: a for token, a in run.calls if token == "aws:eks/getAddonVersion:getAddonVersion"}
    assert set(asked) == {"coredns", "aws-ebs-csi-driver"}
    assert all(a["kubernetesVersion"] == "1.34" and a["mostRecent"] is True for a in asked.values())


def test_node_role_keeps_only_the_node_policies(run: Run) -> None:
    node = {
        r.inputs["policyArn"]
        for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs["role"] == "cvm-dev-node"
    }
    assert node == {eks.policy_arn("aws", p) for p in eks.NODE_POLICIES}


def test_profile_and_assumed_role_reach_the_provider_and_the_kubeconfig() -> None:
    role = "arn:aws:iam::123456789012:role/deployer"
    run = run_program({**EKS, "aws:profile": "platform", "aws:assumeRoles": [{"roleArn": role}]})
    provider = run.one("pulumi:providers:aws", "cvm-dev-aws").inputs
    assert provider["region"] == "eu-west-1" and provider["profile"] == "platform"
    assert json.loads(provider["assumeRoles"]) == [{"roleArn": role, "sessionName": "cvm-cvm-dev"}]
    assert run.one(CLUSTER, "cvm-dev").inputs["providerCredentialOpts"] == {"profileName": "platform", "roleArn": role}


def test_cvm_keys_win_over_the_aws_ones() -> None:
    run = run_program({**EKS, "aws:profile": "platform", "eks": {"profile": "cvm-admin"}})
    assert run.one("pulumi:providers:aws", "cvm-dev-aws").inputs["profile"] == "cvm-admin"


def test_an_existing_vpc() -> None:
    subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    run = run_program({**EKS, "eks": {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": subnets}})
    cluster = run.one(CLUSTER, "cvm-dev").inputs
    assert cluster["vpcId"] == "vpc-0123456789abcdef0" and cluster["privateSubnetIds"] == subnets


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("amiId", "ubuntu-24.04", "an AMI ID"),
        ("vpcId", "default", "a VPC ID"),
        ("privateSubnetIds", ["subnet-1"], "a subnet ID"),
        ("assumeRoleArn", "deployer", "an IAM role ARN"),
    ],
)
def test_bad_keys_are_refused(key: str, value: Any, reason: str) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_program({**EKS, "eks": {key: value}})
    assert f"cvm:eks.{key}" in str(raised.value) and reason in str(raised.value)


def test_ubuntu_2404_is_refused_before_anything_registers() -> None:
    into = Run()
    with pytest.raises(pulumi.RunError) as raised:
        run_program({**EKS, "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "24.04"}}, into=into)
    message = str(raised.value)
    assert "https://github.com/nestybox/sysbox/issues/1035" in message
    assert 'cvm:eks.ubuntuVersion "22.04" with cvm:kubernetesVersion "1.34"' in message
    assert into.resources == []


def test_ubuntu_2404_with_a_pinned_ami_and_the_issue_accepted() -> None:
    config = {
        **EKS,
        "kubernetesVersion": "1.35",
        "eks": {"ubuntuVersion": "24.04", "amiId": "ami-0bbbbbbbbbbbbbbbb"},
        "sysbox": {"acceptKnownIssues": ["nestybox/sysbox#1035"]},
    }
    run = run_program(config)
    assert run.one(GROUP, "cvm-dev-cvm").inputs["amiId"] == "ami-0bbbbbbbbbbbbbbbb"


def test_pure_pieces() -> None:
    assert eks.newer_image("ami-1", "ami-1") is None and eks.newer_image("", "ami-2") is None
    assert "ami-2" in (eks.newer_image("ami-1", "ami-2") or "")
    policy = json.loads(eks.ebs_csi_trust_policy("arn:x", "oidc.example/id/1"))
    assert "oidc.example/id/1:sub" in policy["Statement"][0]["Condition"]["StringEquals"]


def test_values_the_eks_api_takes_as_the_pinned_sdks_spell_them() -> None:
    import re

    import pulumi_aws as aws
    import pulumi_eks

    # the add-on conflict modes are the CreateAddon/UpdateAddon enums pulumi-eks 4.4.0 carries
    assert "OVERWRITE" in {m.value for m in pulumi_eks.ResolveConflictsOnCreate}
    assert "OVERWRITE" in {m.value for m in pulumi_eks.ResolveConflictsOnUpdate}
    # the root disk's fields are pulumi-aws 7.51.1's launch-template block device fields (a typo is a TypeError)
    (mapping,) = eks.root_disk(100)

    def snake(name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    ebs = aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(**{snake(k): v for k, v in mapping["ebs"].items()})
    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(device_name=mapping["deviceName"], ebs=ebs)
    options = {snake(k): v for k, v in eks.METADATA_OPTIONS.items()}
    assert aws.ec2.LaunchTemplateMetadataOptionsArgs(**options).http_put_response_hop_limit == 2
