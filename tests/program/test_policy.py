"""The policy pack's rules, called directly: what the program registers passes every one, and each
mandatory rule has resources that break it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import rules
from tests.harness import Registered, Run, run_program

POLICY = {p.name: p for p in rules.POLICIES}


def options(*, protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resource(resource_type: str, props: dict[str, Any], *, protect: bool = False) -> PolicyResource:
    urn = f"urn:pulumi:test::cvm::{resource_type}::r"
    return PolicyResource(resource_type, props, urn, "r", options(protect=protect), None, None, [], {})


def violations(name: str, resources: list[PolicyResource], config: dict[str, Any] | None = None) -> list[str]:
    policy, found = POLICY[name], []

    def report(message: str, urn: str | None = None) -> None:  # pulumi_policy's ReportViolation
        del urn  # the tests compare messages
        found.append(message)

    if isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(resources), report)
    else:
        assert isinstance(policy, ResourceValidationPolicy)
        for r in resources:
            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None, config)
            for validate in policy.validate if isinstance(policy.validate, list) else [policy.validate]:
                validate(args, report)
    return found


def from_program(registered: list[Registered]) -> list[PolicyResource]:
    """The resources as the pack sees them, with the `protect` each was registered with."""
    return [resource(r.type, r.manifest, protect=r.protect) for r in registered]


@pytest.fixture(scope="module")
def stacks(full_stack: Run, cloud_stack: Callable[[str], Run]) -> dict[str, list[PolicyResource]]:
    return {
        "baremetal": from_program(full_stack.resources),
        **{platform: from_program(cloud_stack(platform).resources) for platform in ("gke", "aks", "eks")},
    }


def test_the_pack_is_what_the_issue_asks() -> None:
    mandatory = {p.name for p in rules.POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY}
    assert mandatory == {
        "privileged-only-for-cvms", "cvm-pools-on-ubuntu", "kubernetes-in-sysbox-window",
        "gpu-plugin-only-on-bare-metal", "no-nfs-workspace-volumes", "images-pinned",
        "cvm-minor-held", "node-metadata-protected",
    }  # fmt: skip
    assert POLICY["cluster-deletion-protection"].enforcement_level == EnforcementLevel.ADVISORY


@pytest.mark.parametrize("name", POLICY)
@pytest.mark.parametrize("platform", ["baremetal", "gke", "aks", "eks"])
def test_what_the_program_registers_passes(stacks: dict[str, list[PolicyResource]], platform: str, name: str) -> None:
    assert violations(name, stacks[platform]) == []


def _find(resources: list[PolicyResource], resource_type: str, name: str | None = None) -> PolicyResource:
    for r in resources:
        if r.resource_type == resource_type and (name is None or (r.props.get("metadata") or {}).get("name") == name):
            return r
    raise AssertionError(f"no {resource_type} {name}")


def _edited(r: PolicyResource, edit: Any, *, protect: bool | None = None) -> PolicyResource:
    props = copy.deepcopy(dict(r.props))
    edit(props)
    return resource(r.resource_type, props, protect=r.opts.protect if protect is None else protect)


def test_privileged_only_for_cvms(stacks: dict[str, list[PolicyResource]]) -> None:
    bare = stacks["baremetal"]
    canary = _find(bare, "kubernetes:apps/v1:Deployment", "cvm-canary")  # sysbox-runc: not privileged

    def privileged(props: dict[str, Any]) -> None:
        props["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}

    assert violations("privileged-only-for-cvms", [_edited(canary, privileged)]) == [
        "container 'workspace' is privileged; only the Sysbox installer and envbox may be"
    ]
    pod = resource(
        "kubernetes:core/v1:Pod",
        {
            "metadata": {"name": "debug"},
            "spec": {"containers": [{"name": "sh", "image": "busybox:1.37", "securityContext": {"privileged": True}}]},
        },
    )
    assert len(violations("privileged-only-for-cvms", [pod])) == 1
    plugin = _find(bare, "kubernetes:apps/v1:DaemonSet", "nvidia-device-plugin-daemonset")
    assert len(violations("privileged-only-for-cvms", [_edited(plugin, privileged)])) == 1


def test_cvm_pools_on_ubuntu(stacks: dict[str, list[PolicyResource]]) -> None:
    gke = _find(stacks["gke"], "gcp:container/nodePool:NodePool")
    cos = _edited(gke, lambda p: p["nodeConfig"].update(imageType="COS_CONTAINERD"))
    assert violations("cvm-pools-on-ubuntu", [cos]) == [
        "CVM node pool with image type 'COS_CONTAINERD'; it must be UBUNTU_CONTAINERD"
    ]
    aks = _find(stacks["aks"], "azure-native:containerservice:AgentPool")
    assert len(violations("cvm-pools-on-ubuntu", [_edited(aks, lambda p: p.update(osSKU="AzureLinux"))])) == 1
    eks = _find(stacks["eks"], "eks:index:ManagedNodeGroup")
    amazon = _edited(eks, lambda p: p.update(tags={}, amiType="AL2023_x86_64_STANDARD"))
    assert len(violations("cvm-pools-on-ubuntu", [amazon])) == 1
    unlabelled = _edited(gke, lambda p: p["nodeConfig"].update(imageType="COS_CONTAINERD", labels={}))
    assert violations("cvm-pools-on-ubuntu", [unlabelled]) == []  # not a CVM pool


def test_kubernetes_in_sysbox_window(stacks: dict[str, list[PolicyResource]]) -> None:
    gke = stacks["gke"]
    cluster = _find(gke, "gcp:container/cluster:Cluster")
    newer = [r if r is not cluster else _edited(cluster, lambda p: p.update(minMasterVersion="1.36")) for r in gke]
    assert violations("kubernetes-in-sysbox-window", newer) == [
        "Kubernetes 1.36 is outside Sysbox 0.7.1's window 1.32-1.35"
    ]
    aks = stacks["aks"]
    pool = _find(aks, "azure-native:containerservice:AgentPool")
    older = [r if r is not pool else _edited(pool, lambda p: p.update(orchestratorVersion="1.31.4")) for r in aks]
    assert len(violations("kubernetes-in-sysbox-window", older)) == 1
    without_sysbox = [r for r in newer if (r.props.get("metadata") or {}).get("name") != "sysbox-deploy-k8s"]
    assert violations("kubernetes-in-sysbox-window", without_sysbox) == []


def test_gpu_plugin_only_on_bare_metal(stacks: dict[str, list[PolicyResource]]) -> None:
    plugin = _find(stacks["baremetal"], "kubernetes:apps/v1:DaemonSet", "nvidia-device-plugin-daemonset")
    assert violations("gpu-plugin-only-on-bare-metal", [plugin]) == []
    assert len(violations("gpu-plugin-only-on-bare-metal", [*stacks["eks"], plugin])) == 1


def test_no_nfs_workspace_volumes(stacks: dict[str, list[PolicyResource]]) -> None:
    volume = _find(stacks["baremetal"], "kubernetes:core/v1:PersistentVolumeClaim", "alice-home")
    nfs = _edited(volume, lambda p: p["spec"].update(storageClassName="nfs-csi"))
    assert len(violations("no-nfs-workspace-volumes", [nfs])) == 1
    # a class whose name does not say NFS, named in the pack's configuration (policy/rules.py CONFIG)
    shared = _edited(volume, lambda p: p["spec"].update(storageClassName="shared"))
    assert violations("no-nfs-workspace-volumes", [shared]) == []
    assert len(violations("no-nfs-workspace-volumes", [shared], {"nfsStorageClasses": ["shared"]})) == 1


def test_images_pinned(stacks: dict[str, list[PolicyResource]]) -> None:
    alice = _find(stacks["baremetal"], "kubernetes:apps/v1:Deployment", "alice")

    def latest_outer(props: dict[str, Any]) -> None:
        props["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/coder/envbox:latest"

    def untagged_inner(props: dict[str, Any]) -> None:
        env = props["spec"]["template"]["spec"]["containers"][0]["env"]
        next(e for e in env if e["name"] == "CODER_INNER_IMAGE")["value"] = "ghcr.io/acme/workspace"

    assert violations("images-pinned", [_edited(alice, latest_outer)]) == [
        "image 'ghcr.io/coder/envbox:latest' of container 'envbox' has no explicit tag, or 'latest'"
    ]
    assert len(violations("images-pinned", [_edited(alice, untagged_inner)])) == 1
    # configured to ask for digests: the program's tag-pinned images are reported, a digest passes
    assert len(violations("images-pinned", [alice], {"requireDigest": True})) == 2
    digest = "ghcr.io/coder/envbox:0.6.7@sha256:" + "0" * 64

    def digests(props: dict[str, Any]) -> None:
        container = props["spec"]["template"]["spec"]["containers"][0]
        container["image"] = digest
        next(e for e in container["env"] if e["name"] == "CODER_INNER_IMAGE")["value"] = digest

    assert violations("images-pinned", [_edited(alice, digests)], {"requireDigest": True}) == []


def test_cluster_deletion_protection_is_advisory(stacks: dict[str, list[PolicyResource]]) -> None:
    cluster = _find(stacks["gke"], "gcp:container/cluster:Cluster")
    exposed = _edited(cluster, lambda p: p.update(deletionProtection=False), protect=False)
    assert len(violations("cluster-deletion-protection", [exposed])) == 2


# --- the cloud rules (issue 16) ----------------------------------------------------------------------------

CONFIGS: dict[str, dict[str, Any]] = {
    "gke": {"platform": "gke", "gke": {"location": "europe-west4", "project": "acme-cvm"}},
    "aks": {"platform": "aks", "aks": {"location": "westeurope"}},
    "eks": {"platform": "eks", "aws:region": "eu-west-1"},
}
NEW = ("cvm-minor-held", "node-metadata-protected", "network-policy-enforced")


@pytest.fixture(scope="module")
def clouds() -> dict[str, list[PolicyResource]]:
    """Each cloud's stack with its project or region set, as the cloud rules read it."""
    return {platform: from_program(run_program(config).resources) for platform, config in CONFIGS.items()}


def edited(resources: list[PolicyResource], resource_type: str, edit: Any) -> list[PolicyResource]:
    out = []
    for r in resources:
        if r.resource_type == resource_type:
            props = copy.deepcopy(dict(r.props))
            edit(props)
            r = resource(r.resource_type, props)
        out.append(r)
    return out


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("platform", list(CONFIGS))
def test_what_each_cloud_registers_passes(clouds: dict[str, list[PolicyResource]], platform: str, name: str) -> None:
    assert violations(name, clouds[platform]) == []


def test_gke_off_the_extended_channel_or_without_the_exclusion(clouds: dict[str, list[PolicyResource]]) -> None:
    cluster = "gcp:container/cluster:Cluster"
    regular = edited(clouds["gke"], cluster, lambda p: p.update(releaseChannel={"channel": "REGULAR"}))
    assert len(violations("cvm-minor-held", regular)) == 1
    open_ = edited(clouds["gke"], cluster, lambda p: p["maintenancePolicy"].update(maintenanceExclusions=[]))
    assert len(violations("cvm-minor-held", open_)) == 1


def test_aks_channel_window_and_pool_version(clouds: dict[str, list[PolicyResource]]) -> None:
    cluster, pool = "azure-native:containerservice:ManagedCluster", "azure-native:containerservice:AgentPool"
    stable = edited(clouds["aks"], cluster, lambda p: p["autoUpgradeProfile"].update(upgradeChannel="stable"))
    assert violations("cvm-minor-held", stable) == ["AKS upgrade channel 'stable' may move the minor"]
    no_window = [r for r in clouds["aks"] if r.props.get("configName") != "aksManagedNodeOSUpgradeSchedule"]
    assert "without a 'aksManagedNodeOSUpgradeSchedule' window" in violations("cvm-minor-held", no_window)[0]
    unpinned = edited(clouds["aks"], pool, lambda p: p.pop("orchestratorVersion"))
    assert len(violations("cvm-minor-held", unpinned)) == 1


def test_eks_standard_support(clouds: dict[str, list[PolicyResource]]) -> None:
    standard = edited(clouds["eks"], "eks:index:Cluster", lambda p: p.update(upgradePolicy={"supportType": "STANDARD"}))
    assert len(violations("cvm-minor-held", standard)) == 1


def test_metadata_protection(clouds: dict[str, list[PolicyResource]]) -> None:
    pool = "gcp:container/nodePool:NodePool"
    exposed = edited(clouds["gke"], pool, lambda p: p["nodeConfig"].pop("workloadMetadataConfig"))
    assert violations("node-metadata-protected", exposed) == [
        "CVM node pool with workload metadata mode 'None'; it must be GKE_METADATA"
    ]
    imds_v1 = edited(clouds["eks"], "eks:index:ManagedNodeGroup", lambda p: p.pop("enableIMDSv2"))
    assert len(violations("node-metadata-protected", imds_v1)) == 1
    template = resource(
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled"}},
    )
    assert "hop limit 2" in violations("node-metadata-protected", [template])[0]
    one = resource(
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}},
    )
    assert violations("node-metadata-protected", [one]) == []


@pytest.mark.parametrize(
    ("platform", "resource_type", "edit"),
    [
        ("gke", "gcp:container/cluster:Cluster", lambda p: p.pop("datapathProvider")),
        ("aks", "azure-native:containerservice:ManagedCluster", lambda p: p.pop("networkProfile")),
        ("eks", "eks:index:Cluster", lambda p: p.pop("vpcCniOptions")),
    ],
)
def test_network_policy_enforcement(
    clouds: dict[str, list[PolicyResource]], platform: str, resource_type: str, edit: Any
) -> None:
    assert len(violations("network-policy-enforced", edited(clouds[platform], resource_type, edit))) == 1
