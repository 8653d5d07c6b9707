"""GKE, AKS and EKS under mocks: the cluster, its Ubuntu CVM pool, and the CVM layer on its provider."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pulumi
import pytest
import yaml

from components.clusters import eks as eks_module
from tests.harness import CLOUDS, PROVIDER_TYPE, ROOT, Run, run_program

CloudStack = Callable[[str], Run]


def test_cvm_layer_runs_on_the_clusters_provider(
    cloud: tuple[str, Run], sysbox_objects: set[tuple[str, str]], supervisor_objects: set[tuple[str, str]]
) -> None:
    platform, run = cloud
    storage = {("kubernetes:storage.k8s.io/v1:StorageClass", "gp3")} if platform == "eks" else set()  # EBS CSI
    assert {(r.type, r.name) for r in run.kubernetes_objects} == sysbox_objects | supervisor_objects | storage
    (provider,) = run.of_type(PROVIDER_TYPE)
    assert provider.name == "cvm-dev-provider"
    assert provider.is_secret("kubeconfig")
    for resource in run.kubernetes_objects:
        assert resource.provider is not None and f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider
    assert not run.of_type("kubernetes:core/v1:NodePatch")  # the pool labels its nodes


def test_outputs(cloud: tuple[str, Run]) -> None:
    platform, run = cloud
    assert run.outputs["platform"] == platform and run.outputs["clusterName"] == "cvm-dev"
    default = {"gke": "1.35", "aks": "1.34", "eks": "1.34"}[platform]  # facts/compatibility.py DEFAULT_MINOR
    assert run.outputs["kubernetesVersion"] == default and run.outputs["runtimeClassName"] == "sysbox-runc"
    assert run.secret_outputs == {"kubeconfig"} and run.outputs["kubeconfig"]


# What each cloud stack protects: the cluster, and on AKS the resource group it made (deleting the group deletes
# the cluster); a pool may be replaced, the cluster never silently.
PROTECTED = {
    "gke": {("gcp:container/cluster:Cluster", "cvm-dev")},
    "aks": {
        ("azure-native:containerservice:ManagedCluster", "cvm-dev"),
        ("azure-native:resources:ResourceGroup", "cvm-dev-rg"),
    },
    "eks": {("eks:index:Cluster", "cvm-dev")},
}


def test_clusters_are_protected(cloud: tuple[str, Run]) -> None:
    platform, run = cloud
    assert run.protected == PROTECTED[platform]


def test_gke(cloud_stack: CloudStack) -> None:
    run = cloud_stack("gke")
    cluster = run.one("gcp:container/cluster:Cluster", "cvm-dev").inputs
    assert cluster["name"] == "cvm-dev" and cluster["location"] == "europe-west4"
    assert cluster["removeDefaultNodePool"] is True and cluster["initialNodeCount"] == 1
    assert cluster["minMasterVersion"] == "1.35" and cluster["deletionProtection"] is True
    assert cluster["releaseChannel"] == {"channel": "EXTENDED"}
    (exclusion,) = cluster["maintenancePolicy"]["maintenanceExclusions"]
    assert exclusion["exclusionOptions"] == {"scope": "NO_MINOR_UPGRADES", "endTimeBehavior": "UNTIL_END_OF_SUPPORT"}
    pool = run.one("gcp:container/nodePool:NodePool", "cvm-dev-cvm").inputs
    assert pool["nodeCount"] == 1 and pool["cluster"] == "cvm-dev"  # per zone: 2 over a region's 3 zones
    config = pool["nodeConfig"]
    assert config["imageType"] == "UBUNTU_CONTAINERD" and config["machineType"] == "n2-standard-4"
    assert config["labels"] == {"sysbox-install": "yes"}
    assert config["shieldedInstanceConfig"] == {"enableSecureBoot": False}
    kubeconfig = yaml.safe_load(run.outputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


def test_aks(cloud_stack: CloudStack) -> None:
    run = cloud_stack("aks")
    group = run.one("azure-native:resources:ResourceGroup", "cvm-dev-rg").inputs
    assert group["location"] == "westeurope"
    cluster = run.one("azure-native:containerservice:ManagedCluster", "cvm-dev").inputs
    assert cluster["resourceName"] == "cvm-dev" and cluster["kubernetesVersion"] == "1.34"
    assert cluster["autoUpgradeProfile"]["upgradeChannel"] == "patch"
    (system,) = cluster["agentPoolProfiles"]
    assert system["mode"] == "System" and system["count"] == 1
    pool = run.one("azure-native:containerservice:AgentPool", "cvm-dev-cvm").inputs
    assert pool["osSKU"] == "Ubuntu" and pool["osType"] == "Linux" and pool["mode"] == "User"
    assert pool["vmSize"] == "Standard_D4s_v5" and pool["count"] == 2 and pool["orchestratorVersion"] == "1.34"
    assert pool["nodeLabels"] == {"sysbox-install": "yes"}
    assert (
        "azure-native:containerservice:listManagedClusterUserCredentials",
        {"resourceGroupName": "cvm-dev-rg", "resourceName": "cvm-dev"},
    ) in run.calls
    assert yaml.safe_load(run.outputs["kubeconfig"])["kind"] == "Config"  # decoded from base64


def test_aks_uses_a_named_resource_group() -> None:
    run = run_program({"platform": "aks", "aks": {"location": "westeurope", "resourceGroupName": "platform"}})
    assert not run.of_type("azure-native:resources:ResourceGroup")
    assert run.one("azure-native:containerservice:AgentPool", "cvm-dev-cvm").inputs["resourceGroupName"] == "platform"


def test_eks(cloud_stack: CloudStack) -> None:
    run = cloud_stack("eks")
    cluster = run.one("eks:index:Cluster", "cvm-dev").inputs
    assert cluster["name"] == "cvm-dev" and cluster["version"] == "1.34" and cluster["skipDefaultNodeGroup"] is True
    parameter = "/aws/service/canonical/ubuntu/eks/22.04/1.34/stable/current/amd64/hvm/ebs-gp2/ami-id"
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in run.calls
    group = run.one("eks:index:ManagedNodeGroup", "cvm-dev-cvm").inputs
    assert group["amiId"] == "ami-0123456789abcdef0" and group["operatingSystem"] == "AL2"
    assert group["instanceTypes"] == ["m6i.xlarge"] and group["labels"] == {"sysbox-install": "yes"}
    assert group["scalingConfig"] == {"desiredSize": 2, "minSize": 1, "maxSize": 4}
    policies = {r.inputs["policyArn"] for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert policies == {eks_module.policy_arn("aws", p) for p in (*eks_module.NODE_POLICIES, eks_module.EBS_CSI_POLICY)}


def test_eks_region_and_sizes() -> None:
    run = run_program(
        {
            "platform": "eks",
            "eks": {"instanceType": "m7g.2xlarge", "ubuntuVersion": "22.04", "desiredSize": 3},
            "aws:region": "eu-west-1",
        }
    )
    assert run.one("pulumi:providers:aws", "cvm-dev-aws").inputs["region"] == "eu-west-1"
    parameter = "/aws/service/canonical/ubuntu/eks/22.04/1.34/stable/current/arm64/hvm/ebs-gp2/ami-id"
    assert ("aws:ssm/getParameter:getParameter", {"name": parameter}) in run.calls


@pytest.mark.parametrize(
    ("platform", "key", "size"),
    [
        ("gke", "machineType", "e2-standard-2"),
        ("aks", "vmSize", "Standard_D2s_v5"),
        ("eks", "instanceType", "m6i.large"),
    ],
)
def test_small_nodes_are_refused(platform: str, key: str, size: str) -> None:
    section = {**CLOUDS[platform].get(platform, {}), key: size}
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"platform": platform, platform: section})
    assert f"  - cvm:{platform}.{key} = '{size}': has 2 vCPU; CVM nodes need at least 4" in str(raised.value)


CLOUD_SDKS = {"gke": "pulumi_gcp", "aks": "pulumi_azure_native", "eks": "pulumi_aws"}


@pytest.mark.parametrize("platform", CLOUDS)
def test_a_stack_loads_only_its_own_cloud_sdk(platform: str) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        from tests.harness import run_program
        run_program({CLOUDS[platform]!r})
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules if m.startswith("pulumi_")}})))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    others = {sdk for p, sdk in CLOUD_SDKS.items() if p != platform}
    assert CLOUD_SDKS[platform] in loaded and not loaded & others, loaded
