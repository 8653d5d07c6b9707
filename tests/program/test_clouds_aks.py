"""AKS under mocks (issue 16): the default minor Sysbox works on, the maintenance window for patches and node
images, Cilium network policy, an existing subnet, and the refusals (nestybox/sysbox#997)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.clusters import aks
from tests.harness import Run, run_program

AKS: dict[str, Any] = {"platform": "aks", "aks": {"location": "westeurope"}}
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
MAINTENANCE = "azure-native:containerservice:MaintenanceConfiguration"
SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/"
    "virtualNetworks/cvm/subnets/nodes"
)


@pytest.fixture(scope="module")
def run() -> Run:
    return run_program(AKS)


def test_the_default_is_134_on_ubuntu_2204_and_pools_move_together(run: Run) -> None:
    cluster = run.one(CLUSTER, "cvm-dev")
    assert cluster.inputs["kubernetesVersion"] == "1.34"
    assert run.one(POOL, "cvm-dev-cvm").inputs["orchestratorVersion"] == "1.34"
    # the system pool moves with the control plane in the same cluster update (the runbook's second step)
    (system,) = cluster.inputs["agentPoolProfiles"]
    assert system["mode"] == "System" and system["orchestratorVersion"] == "1.34"
    assert "agentPoolProfiles" not in cluster.ignore_changes
    assert run.one(POOL, "cvm-dev-cvm").inputs["osSKU"] == "Ubuntu"


def test_patches_and_node_images_wait_for_the_window(run: Run) -> None:
    profile = run.one(CLUSTER, "cvm-dev").inputs["autoUpgradeProfile"]
    assert profile == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}
    configs = {r.inputs["configName"]: r.inputs for r in run.of_type(MAINTENANCE)}
    assert set(configs) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for config in configs.values():
        assert config["resourceName"] == "cvm-dev" and config["resourceGroupName"] == "cvm-dev-rg"
        assert config["maintenanceWindow"] == {
            "schedule": {"weekly": {"dayOfWeek": "Saturday", "intervalWeeks": 1}},
            "startTime": "02:00",
            "durationHours": 4,
            "utcOffset": "+00:00",
        }


def test_the_window_is_the_stacks() -> None:
    config = {
        **AKS,
        "aks": {**AKS["aks"], "maintenanceDay": "Sunday", "maintenanceStart": "22:30", "maintenanceHours": 6},
    }
    (first, *_) = run_program(config).of_type(MAINTENANCE)
    window = first.inputs["maintenanceWindow"]
    assert (window["schedule"]["weekly"]["dayOfWeek"], window["startTime"], window["durationHours"]) == (
        "Sunday",
        "22:30",
        6,
    )


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("maintenanceHours", 2, "greater than or equal to 4"),
        ("maintenanceStart", "2am", "'HH:MM'"),
        ("maintenanceDay", "Caturday", "'Monday'"),
        ("subnetId", "nodes", "a subnet's resource ID"),
    ],
)
def test_bad_window_and_subnet_keys_are_refused(key: str, value: Any, reason: str) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_program({**AKS, "aks": {**AKS["aks"], key: value}})
    assert f"cvm:aks.{key}" in str(raised.value) and reason in str(raised.value)


def test_network_policy_is_enforced_by_cilium(run: Run) -> None:
    assert run.one(CLUSTER, "cvm-dev").inputs["networkProfile"] == {
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "networkDataplane": "cilium",
        "networkPolicy": "cilium",
    }


def test_an_existing_subnet_for_both_pools() -> None:
    run = run_program({**AKS, "aks": {**AKS["aks"], "subnetId": SUBNET}})
    (system,) = run.one(CLUSTER, "cvm-dev").inputs["agentPoolProfiles"]
    assert system["vnetSubnetID"] == SUBNET
    assert run.one(POOL, "cvm-dev-cvm").inputs["vnetSubnetID"] == SUBNET


def test_135_is_refused_before_anything_registers() -> None:
    into = Run()
    with pytest.raises(pulumi.RunError) as raised:
        run_program({**AKS, "kubernetesVersion": "1.35"}, into=into)
    message = str(raised.value)
    assert "cvm:kubernetesVersion = '1.35'" in message and "https://github.com/nestybox/sysbox/issues/997" in message
    assert 'cvm:kubernetesVersion "1.34"' in message
    assert into.resources == []


def test_135_with_the_issue_accepted_or_without_sysbox() -> None:
    accepted = run_program(
        {**AKS, "kubernetesVersion": "1.35", "sysbox": {"acceptKnownIssues": ["nestybox/sysbox#997"]}}
    )
    assert accepted.one(CLUSTER, "cvm-dev").inputs["kubernetesVersion"] == "1.35"
    envbox = run_program({**AKS, "kubernetesVersion": "1.35", "sysbox": {"enabled": False}})
    assert envbox.one(POOL, "cvm-dev-cvm").inputs["orchestratorVersion"] == "1.35"
    (system,) = envbox.one(CLUSTER, "cvm-dev").inputs["agentPoolProfiles"]
    assert system["orchestratorVersion"] == "1.35"


def test_pure_window() -> None:
    window = aks.maintenance_window("Monday", "01:00", 5)
    assert window["schedule"] == {"weekly": {"day_of_week": "Monday", "interval_weeks": 1}}
    assert (window["start_time"], window["duration_hours"], window["utc_offset"]) == ("01:00", 5, "+00:00")


def test_values_the_aks_api_takes_as_the_pinned_sdk_spells_them(run: Run) -> None:
    from pulumi_azure_native import containerservice as cs

    # azure-native 3.29.0's enums: a value AKS would reject fails here
    cluster = run.one(CLUSTER, "cvm-dev").inputs
    profile = cluster["autoUpgradeProfile"]
    assert profile["upgradeChannel"] in {m.value for m in cs.UpgradeChannel}
    assert profile["nodeOSUpgradeChannel"] in {m.value for m in cs.NodeOSUpgradeChannel}
    network = cluster["networkProfile"]
    assert network["networkPlugin"] in {m.value for m in cs.NetworkPlugin}
    assert network["networkPluginMode"] in {m.value for m in cs.NetworkPluginMode}
    assert network["networkDataplane"] in {m.value for m in cs.NetworkDataplane}
    assert network["networkPolicy"] in {m.value for m in cs.NetworkPolicy}
    (system,) = cluster["agentPoolProfiles"]
    assert system["mode"] in {m.value for m in cs.AgentPoolMode}
    assert system["osSKU"] in {m.value for m in cs.OSSKU}


def test_long_term_support_is_opt_in(run: Run) -> None:
    from pulumi_azure_native import containerservice as cs

    plain = run.one(CLUSTER, "cvm-dev").inputs
    assert "sku" not in plain and "supportPlan" not in plain  # an existing cluster keeps its tier
    lts = run_program({**AKS, "aks": {**AKS["aks"], "longTermSupport": True}}).one(CLUSTER, "cvm-dev").inputs
    # AKS LTS needs both (azure-aks-docs long-term-support.md), spelled as azure-native 3.29.0's enums
    assert lts["sku"] == {"name": "Base", "tier": "Premium"} and lts["supportPlan"] == "AKSLongTermSupport"
    assert lts["supportPlan"] in {m.value for m in cs.KubernetesSupportPlan}
    assert lts["sku"]["tier"] in {m.value for m in cs.ManagedClusterSKUTier}
    assert lts["autoUpgradeProfile"]["upgradeChannel"] == "patch"  # what the LTS docs recommend with it
