"""Day 2 on the local stack, through `make up`'s driver (localcluster/engine.py), as `make preview`, `make refresh`,
`make destroy` and `make fleet` run it: the dev stack (a copy of Pulumi.dev.yaml) on a fresh local control plane;
drift made by hand (the canary scaled to 0) is found by the fleet command and a refresh, and put back by
`make up`; a preview applies nothing; a destroy leaves the control plane running (issue 25, finding 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException
from pulumi import automation as auto

from components.kube.names import CANARY_NAME
from localcluster import ROOT, STATE, cluster, control_plane, engine
from tests.engine.kube_api import Cluster
from tests.harness import FULL

NS = "cvm-workspaces"


@pytest.fixture(scope="module")
def dev_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`make up` of a copy of Pulumi.dev.yaml on a fresh control plane."""
    cluster.stop()
    path = tmp_path_factory.mktemp("day2") / "Pulumi.dev.yaml"
    path.write_text((ROOT / "Pulumi.dev.yaml").read_text())
    engine.up_dev(path=path)
    yield path
    cluster.stop()


@pytest.fixture(scope="module")
def api(dev_file: Path) -> Cluster:  # noqa: ARG001 (a fixture: the dev stack is up first)
    return Cluster(STATE / "admin.kubeconfig")


def replicas(api: Cluster) -> int:
    return int(api.apps.read_namespaced_deployment(CANARY_NAME, NS).spec.replicas or 0)


def scale_canary_to_zero(api: Cluster) -> None:
    """What an operator does by hand: `kubectl scale deploy/cvm-canary --replicas=0`."""
    api.apps.patch_namespaced_deployment_scale(CANARY_NAME, NS, {"spec": {"replicas": 0}})
    assert replicas(api) == 0


def fleet(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = engine.main(["fleet", "--json", "--stack", "dev", *argv])
    rows = {row["stack"]: row for row in json.loads(capsys.readouterr().out)["stacks"]}
    return code, rows["dev"]


def canary_in_state() -> dict[str, Any]:
    dev = auto.Stack.select("dev", auto.LocalWorkspace(work_dir=str(engine.PROJECT)))
    resources = (dev.export_stack().deployment or {})["resources"]
    (canary,) = [r for r in resources if r["urn"].endswith(f"::{NS}/{CANARY_NAME}")]
    return canary["outputs"]  # type: ignore[no-any-return]


@pytest.mark.usefixtures("dev_file")
def test_1_the_fleet_command_runs_on_the_local_stack(capsys: pytest.CaptureFixture[str]) -> None:
    code, row = fleet(capsys)
    assert (code, row["status"], row["platform"], row["changes"]) == (0, "in sync", "baremetal", 0), row


def test_2_drift_is_found_by_the_fleet_and_a_refresh_and_repaired_by_up(
    dev_file: Path, api: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    scale_canary_to_zero(api)
    code, row = fleet(capsys, "--refresh")
    assert (code, row["status"]) == (1, "drift"), row
    assert row["drift"] == [f"kubernetes:apps/v1:Deployment {NS}/{CANARY_NAME}"]

    assert engine.main(["refresh"]) == 0
    assert f"{NS}/{CANARY_NAME}" in capsys.readouterr().out
    assert canary_in_state()["spec"]["replicas"] == 0  # the state now says what the cluster has
    assert replicas(api) == 0  # and a refresh changes nothing in the cluster

    assert engine.main(["preview"]) == 0
    preview = capsys.readouterr().out
    assert f"{NS}/{CANARY_NAME}" in preview and "update" in preview
    assert replicas(api) == 0  # a preview applies nothing

    engine.up_dev(path=dev_file)
    assert replicas(api) == 1


def test_3_up_alone_repairs_drift_as_up_refresh_does(dev_file: Path, api: Cluster) -> None:
    """No refresh first: `make up` refreshes, so a canary scaled to 0 by hand comes back."""
    scale_canary_to_zero(api)
    engine.up_dev(path=dev_file)
    assert replicas(api) == 1


def test_4_a_preview_of_a_workspace_added_to_the_file_applies_nothing(
    dev_file: Path, api: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    config = yaml.safe_load(dev_file.read_text())["config"]
    workspace = FULL["supervisor"]["workspaces"][1]  # bob, sysbox-runc: cvm-workspaces
    supervisor = {"coderUrl": FULL["supervisor"]["coderUrl"], "workspaces": [workspace]}
    added = dev_file.with_name("added.yaml")
    added.write_text(yaml.safe_dump({"config": {**config, "cvm:supervisor": supervisor}}))
    capsys.readouterr()
    engine.day2("preview", added)
    assert f"{NS}/{workspace['name']}" in capsys.readouterr().out
    with pytest.raises(ApiException) as absent:
        api.apps.read_namespaced_deployment(workspace["name"], NS)
    assert absent.value.status == 404


def test_5_destroy_deletes_the_stack_and_keeps_the_control_plane(
    dev_file: Path, api: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    engine.day2("destroy", dev_file)
    assert "make down" in capsys.readouterr().out
    with pytest.raises(ApiException) as gone:
        api.apps.read_namespaced_deployment(CANARY_NAME, NS)
    assert gone.value.status == 404
    assert control_plane.running()


@pytest.mark.usefixtures("dev_file")
def test_6_day2_without_a_running_cluster_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    cluster.stop()
    capsys.readouterr()
    for action in ("refresh", "fleet"):
        assert engine.main([action]) == 1
        assert capsys.readouterr().err == (
            f"make {action}: the local cluster is not running: `make up` (or `make up NODE=1`) starts it\n"
        )
