"""GKE under mocks (issue 16): the minor held on EXTENDED, the pool on the control plane's version, least-privilege
nodes behind GKE's metadata server, Dataplane V2, regional node counts, an existing network, and the refusals."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import tests.harness as harness
from components.clusters import gke
from components.facts.compatibility import DEFAULT_MINOR
from tests.harness import ROOT, Run, run_program

GKE: dict[str, Any] = {"platform": "gke", "gke": {"location": "europe-west4", "project": "acme-cvm"}}
CLUSTER, POOL = "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"


@pytest.fixture(scope="module")
def run() -> Run:
    return run_program(GKE)


def test_the_minor_is_held_until_the_end_of_extended_support(run: Run) -> None:
    cluster = run.one(CLUSTER, "cvm-dev").inputs
    assert cluster["minMasterVersion"] == str(DEFAULT_MINOR["gke"]) == "1.35"
    assert cluster["releaseChannel"] == {"channel": "EXTENDED"}
    (exclusion,) = cluster["maintenancePolicy"]["maintenanceExclusions"]
    assert exclusion["exclusionOptions"] == {"scope": "NO_MINOR_UPGRADES", "endTimeBehavior": "UNTIL_END_OF_SUPPORT"}


def test_the_pool_starts_on_the_control_planes_version_then_auto_upgrade_owns_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = {**harness.CLOUD_OUTPUTS[CLUSTER], "masterVersion": "1.35.8-gke.1036000"}
    monkeypatch.setitem(harness.CLOUD_OUTPUTS, CLUSTER, answer)
    pool = run_program(GKE).one(POOL, "cvm-dev-cvm")
    assert pool.inputs["version"] == "1.35.8-gke.1036000"
    assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    # pulumi_gcp container.NodePool `version` with auto_upgrade: "highly discouraged"; a later control-plane
    # patch must not surge-upgrade the nodes at the next `up`, outside the window
    assert pool.ignore_changes == ("version",)


def test_nodes_run_as_their_own_least_privilege_account(monkeypatch: pytest.MonkeyPatch) -> None:
    account = "gcp:serviceaccount/account:Account"
    monkeypatch.setitem(harness.CLOUD_OUTPUTS, account, {"email": "cvm-dev-nodes@acme-cvm.iam.gserviceaccount.com"})
    run = run_program(GKE)
    assert run.one(account, "cvm-dev-nodes").inputs["accountId"] == "cvm-dev-nodes"
    (member,) = run.of_type("gcp:projects/iAMMember:IAMMember")
    assert member.inputs["role"] == "roles/container.defaultNodeServiceAccount"
    assert member.inputs["member"] == "serviceAccount:cvm-dev-nodes@acme-cvm.iam.gserviceaccount.com"
    assert member.inputs["project"] == "acme-cvm"
    config = run.one(POOL, "cvm-dev-cvm").inputs["nodeConfig"]
    assert config["serviceAccount"] == "cvm-dev-nodes@acme-cvm.iam.gserviceaccount.com"
    assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    # the temporary default pool too: a hardened project has no usable Compute Engine default account
    cluster = run.one(CLUSTER, "cvm-dev")
    assert cluster.inputs["removeDefaultNodePool"] is True
    assert cluster.inputs["nodeConfig"]["serviceAccount"] == "cvm-dev-nodes@acme-cvm.iam.gserviceaccount.com"
    assert "nodeConfig" in cluster.ignore_changes
    assert any(d.endswith("::cvm-dev-nodes-role") for d in cluster.dependencies)


def test_workload_identity_and_dataplane_v2(run: Run) -> None:
    cluster = run.one(CLUSTER, "cvm-dev")
    assert cluster.inputs["workloadIdentityConfig"] == {"workloadPool": "acme-cvm.svc.id.goog"}
    assert cluster.inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster.protect


def test_a_regional_pool_gets_the_total_spread_over_three_zones(run: Run) -> None:
    assert run.one(POOL, "cvm-dev-cvm").inputs["nodeCount"] == 1  # 2 asked, 1 per zone: 3 nodes
    assert any("3 nodes in all" in w and "cvm:gke.nodeCount = 2" in w for w in run.warnings)
    exact = run_program({**GKE, "gke": {**GKE["gke"], "nodeCount": 6}})
    assert exact.one(POOL, "cvm-dev-cvm").inputs["nodeCount"] == 2
    assert not any("cvm:gke.nodeCount" in w for w in exact.warnings)


def test_a_zonal_pool_gets_the_count_as_is() -> None:
    run = run_program({**GKE, "gke": {**GKE["gke"], "location": "europe-west4-a", "nodeCount": 2}})
    assert run.one(POOL, "cvm-dev-cvm").inputs["nodeCount"] == 2


def test_an_existing_network() -> None:
    config = {**GKE, "gke": {**GKE["gke"], "network": "cvm-vpc", "subnetwork": "cvm-nodes"}}
    cluster = run_program(config).one(CLUSTER, "cvm-dev").inputs
    assert (cluster["network"], cluster["subnetwork"]) == ("cvm-vpc", "cvm-nodes")


def test_134_is_accepted_on_the_extended_channel() -> None:
    cluster = run_program({**GKE, "kubernetesVersion": "1.34"}).one(CLUSTER, "cvm-dev").inputs
    assert cluster["minMasterVersion"] == "1.34" and cluster["releaseChannel"] == {"channel": "EXTENDED"}


def run_after(previous: str, config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """`config` run in a process of its own, on a stack whose last `kubernetesVersion` output is `previous`.

    Its own process: a run that fails inside an output's apply leaves CPython 3.11.7's recursion counter off,
    and the next module pytest rewrites fails with "AST constructor recursion depth mismatch" (python/cpython
    gh-106905); the program's real runs end there anyway."""
    script = textwrap.dedent(
        f"""
        import tests.harness as harness
        harness.CLOUD_OUTPUTS["pulumi:pulumi:StackReference"] = {{"outputs": {{"kubernetesVersion": {previous!r}}}}}
        run = harness.run_program({config!r})
        print("CLUSTER", run.one("{CLUSTER}", "cvm-dev").inputs["minMasterVersion"])
        """
    )
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("previous", "wanted", "expected"),
    [
        ("1.34", "1.35", None),
        ("1.35", "1.35", None),
        ("1.35", "1.34", "no cloud moves a cluster back a minor"),
        ("1.33", "1.35", 'clusters move one minor at a time: set cvm:kubernetesVersion "1.34"'),
    ],
)
def test_the_minor_moves_one_step_against_the_stacks_last_output(
    previous: str, wanted: str, expected: str | None
) -> None:
    result = run_after(previous, {**GKE, "kubernetesVersion": wanted})
    if expected is None:
        assert result.returncode == 0, result.stderr
        assert f"CLUSTER {wanted}" in result.stdout
    else:
        assert result.returncode != 0 and "CLUSTER" not in result.stdout
        assert f"cvm:kubernetesVersion = '{wanted}'" in result.stderr and expected in result.stderr


def test_the_stack_reads_its_own_last_outputs(run: Run) -> None:
    (reference,) = run.of_type("pulumi:pulumi:StackReference")
    assert reference.name == "cvm-dev-previous" and reference.inputs["name"].endswith("/cvm/dev")
    # the minor read through it stays plain (the stack's outputs hold a secret kubeconfig)
    assert not run.one(CLUSTER, "cvm-dev").is_secret("minMasterVersion")


def test_pure_names_and_counts() -> None:
    assert gke.node_account_id("cvm-dev") == "cvm-dev-nodes"
    long = "a" * 23 + "-" + "b" * 16  # 40 characters, a '-' where the cut falls
    account = gke.node_account_id(long)
    assert len(account) <= 30 and account == "a" * 23 + "-nodes"
    assert gke.node_account_id("abc")[0].isalpha() and len(gke.node_account_id("a")) >= 6
    assert gke.regional("europe-west4") and not gke.regional("us-central1-f")
    assert [gke.per_zone("us-east1", n) for n in (1, 3, 4, 9)] == [1, 1, 2, 3]
    assert gke.workload_pool("acme-cvm") == "acme-cvm.svc.id.goog"
