"""The fleet command on the real engine: two bare-metal stacks on one local control plane, one drifted.

Each stack adopts the same control plane under its own cluster name, node and namespaces, so they share
nothing they own (stack b installs no Sysbox, so the cluster-wide Sysbox objects are stack a's alone). The
command runs as `python -m components.fleet` would, in this process, with one difference: the stacks run
`__main__.py` through the Automation API's inline path (`main(program=program)`), since no Python
language host can be built here; the listing, the tags, the previews, the refresh previews, the outputs and
the canary's Deployment are the real CLI's, engine's, provider's and API server's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from components.fleet.command import main
from localcluster import engine
from localcluster.program import program
from tests.engine.kube_api import Cluster

NODES = ["cvm-fleet-1", "cvm-fleet-2"]  # the control plane's Node objects (conftest.py): one per stack


def config(kubeconfig: Path, name: str, node: str, **extra: Any) -> dict[str, Any]:
    """A bare-metal stack of its own: cluster name, node and workspace namespace; nothing runs pods here."""
    baremetal = {"kubeconfig": kubeconfig.read_text(), "nodes": [node]}
    return {"platform": "baremetal", "skipAwait": True, "clusterName": name, "baremetal": baremetal,
            "supervisor": {"namespace": f"{name}-ws"}, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def fleet(kubeconfig: Path) -> dict[str, auto.Stack]:
    for name in ("fleet-a", "fleet-b"):  # the state is fresh (conftest.py); a stack's config file outlives it
        (engine.PROJECT / f"Pulumi.{name}.yaml").unlink(missing_ok=True)
    stacks = {
        # Sysbox and its canary under sysbox-runc, in fleet-a-ws
        "fleet-a": engine.stack("fleet-a", config(kubeconfig, "fleet-a", NODES[0]), secret_keys=("baremetal",)),
        # no Sysbox: the canary runs under envbox, in fleet-b-ws-envbox
        "fleet-b": engine.stack(
            "fleet-b", config(kubeconfig, "fleet-b", NODES[1], sysbox={"enabled": False}), secret_keys=("baremetal",)
        ),
    }
    for stack in stacks.values():
        stack.up(color="never")
    return stacks


def fleet_command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--parallel", "2", *argv], work_dir=engine.PROJECT, program=program)
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def stack_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in engine.PROJECT.glob("Pulumi*.yaml")}


@pytest.mark.usefixtures("fleet")
def test_1_stacks_in_sync_are_tagged_and_exit_zero(capsys: Any) -> None:
    before = stack_files()
    code, out, err = fleet_command(capsys, "--json")
    assert stack_files() == before  # the command runs from a scratch copy: the project's files keep their bytes
    rows = {row["stack"]: row for row in json.loads(out)["stacks"]}
    assert code == 0, out
    in_sync = {"status": "in sync", "platform": "baremetal", "kubernetes": "1.35", "changes": 0, "drift": None}
    assert rows["fleet-a"] == {"stack": "fleet-a", **in_sync, "sysbox": "0.7.1", "canary": "not ready", "errors": []}
    # found in the envbox namespace; no kubelet runs it, so it is not Ready
    assert rows["fleet-b"] == {"stack": "fleet-b", **in_sync, "sysbox": "off", "canary": "not ready", "errors": []}
    assert "fleet: preview 2/2 stacks done" in err.splitlines()

    # the command tagged both stacks from their outputs, so Pulumi's own listing selects by them
    def listed(tag: str) -> list[str]:
        command = ["pulumi", "stack", "ls", "--json", "--tag", tag]
        found = subprocess.run(command, cwd=engine.PROJECT, check=True, capture_output=True, text=True).stdout
        return [stack["name"] for stack in json.loads(found)]

    assert listed("cvm:cluster=fleet-b") == ["fleet-b"]
    assert listed("cvm:platform=baremetal") == ["fleet-a", "fleet-b"]
    # running each stack did not move the workspace's current stack (engine.stack selected fleet-b last)
    current = auto.LocalWorkspace(work_dir=str(engine.PROJECT)).stack()
    assert current is not None and current.name == "fleet-b"


@pytest.mark.usefixtures("fleet")
def test_2_drift_made_through_the_api_is_found_by_a_refresh_and_exits_one(cluster: Cluster, capsys: Any) -> None:
    cluster.apps.delete_namespaced_deployment("cvm-canary", "fleet-a-ws")
    code, out, _ = fleet_command(capsys, "--refresh", "--tag", "cvm:platform=baremetal")
    lines = out.splitlines()
    assert code == 1, out
    assert lines[0].split() == ["STACK", "PLATFORM", "K8S", "SYSBOX", "CHANGES", "DRIFT", "CANARY", "STATUS", "ERROR"]
    assert lines[1].split() == ["fleet-a", "baremetal", "1.35", "0.7.1", "-", "1", "missing", "drift"]
    # the Node both stacks' preflights read changed too (labels); it is read, not owned, so it is no drift
    assert lines[2].split() == ["fleet-b", "baremetal", "1.35", "off", "-", "0", "not", "ready", "in", "sync"]
    assert lines[4:] == ["drift: fleet-a: kubernetes:apps/v1:Deployment fleet-a-ws/cvm-canary"]


def test_3_changed_and_broken_config_show_as_changes_and_errors(fleet: dict[str, auto.Stack], capsys: Any) -> None:
    fleet["fleet-a"].set_config("cvm:kubernetesVersion", auto.ConfigValue("1.36"))
    fleet["fleet-b"].set_config(
        "cvm:supervisor", auto.ConfigValue(json.dumps({"namespace": "fleet-b-ws", "canary": False}))
    )
    code, out, _ = fleet_command(capsys, "--json", "--stack", "fleet-a", "--stack", "fleet-b")
    rows = {row["stack"]: row for row in json.loads(out)["stacks"]}
    assert code == 3, out
    broken = rows["fleet-a"]
    assert (broken["status"], broken["changes"], broken["canary"]) == ("error", None, "missing")
    assert len(broken["errors"]) == 1 and "cvm:kubernetesVersion = '1.36': Sysbox 0.7.1 accepts" in broken["errors"][0]
    changed = rows["fleet-b"]
    # the canary's Deployment would go, and with it the envbox namespace only it needed, and its 3 guard rails
    assert (changed["status"], changed["changes"]) == ("changes", 5)


@pytest.mark.usefixtures("fleet")
def test_4_a_stack_the_project_lacks_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as usage:
        fleet_command(capsys, "--stack", "ghost", "--tag", "platform")
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert "--tag 'platform': expected KEY=VALUE" in err
    assert "--stack 'ghost': this project has no such stack (it has: fleet-a, fleet-b)" in err
