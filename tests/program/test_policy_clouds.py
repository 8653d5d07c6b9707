"""The policy pack's cloud rules (issue 16): what each cloud stack registers passes, and each break is caught."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import rules
from tests.harness import Run, run_program

POLICY = {p.name: p for p in rules.POLICIES}
CONFIGS: dict[str, dict[str, Any]] = {
    "gke": {"platform": "gke", "gke": {"location": "europe-west4", "project": "acme-cvm"}},
    "aks": {"platform": "aks", "aks": {"location": "westeurope"}},
    "eks": {"platform": "eks", "aws:region": "eu-west-1"},
}
NEW = ("cvm-minor-held", "node-metadata-protected", "network-policy-enforced")


def resource(resource_type: str, props: dict[str, Any]) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(
        resource_type, props, f"urn:pulumi:t::cvm::{resource_type}::r", "r", options, None, None, [], {}
    )


def violations(name: str, resources: list[PolicyResource]) -> list[str]:
    policy, found = POLICY[name], []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(resources), report)
    else:
        assert isinstance(policy, ResourceValidationPolicy)
        for r in resources:
            validate = policy.validate
            for check in validate if isinstance(validate, list) else [validate]:
                check(ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None), report)
    return found


@pytest.fixture(scope="module")
def stacks() -> dict[str, list[PolicyResource]]:
    runs: dict[str, Run] = {platform: run_program(config) for platform, config in CONFIGS.items()}
    return {platform: [resource(r.type, r.manifest) for r in run.resources] for platform, run in runs.items()}


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
def test_what_each_cloud_registers_passes(stacks: dict[str, list[PolicyResource]], platform: str, name: str) -> None:
    assert violations(name, stacks[platform]) == []


def test_gke_off_the_extended_channel_or_without_the_exclusion(stacks: dict[str, list[PolicyResource]]) -> None:
    cluster = "gcp:container/cluster:Cluster"
    regular = edited(stacks["gke"], cluster, lambda p: p.update(releaseChannel={"channel": "REGULAR"}))
    assert len(violations("cvm-minor-held", regular)) == 1
    open_ = edited(stacks["gke"], cluster, lambda p: p["maintenancePolicy"].update(maintenanceExclusions=[]))
    assert len(violations("cvm-minor-held", open_)) == 1


def test_aks_channel_window_and_pool_version(stacks: dict[str, list[PolicyResource]]) -> None:
    cluster, pool = "azure-native:containerservice:ManagedCluster", "azure-native:containerservice:AgentPool"
    stable = edited(stacks["aks"], cluster, lambda p: p["autoUpgradeProfile"].update(upgradeChannel="stable"))
    assert violations("cvm-minor-held", stable) == ["AKS upgrade channel 'stable' may move the minor"]
    no_window = [r for r in stacks["aks"] if r.props.get("configName") != "aksManagedNodeOSUpgradeSchedule"]
    assert "without a 'aksManagedNodeOSUpgradeSchedule' window" in violations("cvm-minor-held", no_window)[0]
    unpinned = edited(stacks["aks"], pool, lambda p: p.pop("orchestratorVersion"))
    assert len(violations("cvm-minor-held", unpinned)) == 1


def test_eks_standard_support(stacks: dict[str, list[PolicyResource]]) -> None:
    standard = edited(stacks["eks"], "eks:index:Cluster", lambda p: p.update(upgradePolicy={"supportType": "STANDARD"}))
    assert len(violations("cvm-minor-held", standard)) == 1


def test_metadata_protection(stacks: dict[str, list[PolicyResource]]) -> None:
    pool = "gcp:container/nodePool:NodePool"
    exposed = edited(stacks["gke"], pool, lambda p: p["nodeConfig"].pop("workloadMetadataConfig"))
    assert violations("node-metadata-protected", exposed) == [
        "CVM node pool with workload metadata mode 'None'; it must be GKE_METADATA"
    ]
    imds_v1 = edited(stacks["eks"], "eks:index:ManagedNodeGroup", lambda p: p.pop("enableIMDSv2"))
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
    stacks: dict[str, list[PolicyResource]], platform: str, resource_type: str, edit: Any
) -> None:
    assert len(violations("network-policy-enforced", edited(stacks[platform], resource_type, edit))) == 1
