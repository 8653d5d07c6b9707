"""An interrupted `pulumi up` with the state written only at the end (PULUMI_SKIP_CHECKPOINTS=true, the default
of localcluster/engine.py, scripts/up.sh and the bare-metal stacks' workflow jobs): nothing is lost and a rerun
converges.

The engine (the Pulumi CLI) is killed with SIGKILL while it creates the workspaces, so its state still says
nothing of what it made; the user then does what docs/operations.md says: `pulumi cancel` (a killed CLI
leaves its lock on a file or bucket backend) and `pulumi up` again. The Kubernetes provider applies
server-side, so the rerun re-adopts each object the killed run made: every object exists once, under one
field manager, the state has every resource once and no pending operation, and a preview shows no change.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from pulumi import automation as auto

from localcluster import cluster, engine

WORKSPACES = 60  # enough that the kill lands while the engine is still creating them
NS = "cvm-workspaces"
STACK_NAME = "interrupted"


@pytest.fixture(scope="module")
def kubeconfig() -> Iterator[Path]:
    cluster.stop()  # a fresh cluster and fresh state
    path = cluster.start([])
    yield path
    cluster.stop()


def stack(kubeconfig: Path) -> auto.Stack:
    workspaces = [
        {"name": f"ws-{i}", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc"}
        for i in range(WORKSPACES)
    ]
    settings = {
        "platform": "baremetal",
        "skipAwait": True,
        "baremetal": {"kubeconfig": kubeconfig.read_text()},
        "supervisor": {"canary": False, "workspaces": workspaces},
    }
    return engine.stack(STACK_NAME, settings, secret_keys=("baremetal",))


def children(parent: int, command: str) -> list[int]:
    """The processes named `command` whose parent is `parent`."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if name == command and int(rest[1]) == parent:
            found.append(int(entry))
    return found


def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
    command = ["pulumi", *args, "--stack", STACK_NAME, "--cwd", str(engine.PROJECT)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def state_resources() -> tuple[list[dict[str, Any]], list[Any]]:
    exported = pulumi("stack", "export")
    assert exported.returncode == 0, exported.stderr
    deployment = json.loads(exported.stdout)["deployment"]
    return deployment.get("resources") or [], deployment.get("pending_operations") or []


def objects(api: client.ApiClient) -> dict[str, list[dict[str, Any]]]:
    """The workspaces' Deployments and home volumes in the cluster, as manifests."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    listed = {
        "Deployment": apps.list_namespaced_deployment(NS),
        "PersistentVolumeClaim": core.list_namespaced_persistent_volume_claim(NS),
    }
    return {kind: api.sanitize_for_serialization(items)["items"] for kind, items in listed.items()}  # type: ignore[no-untyped-call]


def test_a_killed_up_loses_nothing_and_a_rerun_converges(kubeconfig: Path) -> None:
    api = config.new_client_from_config(str(kubeconfig))  # type: ignore[no-untyped-call]
    apps = client.AppsV1Api(api)
    interrupted = stack(kubeconfig)
    failed: list[BaseException] = []

    def up() -> None:
        try:
            interrupted.up(color="never")
        except auto.CommandError as error:
            failed.append(error)

    running = threading.Thread(target=up)
    running.start()
    # kill the engine once a third of the workspaces exist in the cluster
    deadline = time.monotonic() + 90
    while len(apps.list_namespaced_deployment(NS).items) < WORKSPACES // 3:
        assert running.is_alive() and time.monotonic() < deadline, "the up ended before it could be interrupted"
        time.sleep(0.05)
    (cli,) = children(os.getpid(), "pulumi")
    providers = children(cli, "pulumi-resource")
    os.kill(cli, signal.SIGKILL)
    made = len(apps.list_namespaced_deployment(NS).items)
    running.join(timeout=60)
    assert failed and not running.is_alive(), "the killed up must fail"
    assert made < WORKSPACES, f"the kill came too late: all {made} workspaces were made"
    # a provider whose engine died keeps running (seen here: minutes later); a CI runner or an OOM kill ends
    # the whole process tree, and so does this test
    for provider in providers:
        os.kill(provider, signal.SIGKILL)

    # the state was not written: what the killed run made exists only in the cluster
    resources, _ = state_resources()
    recorded = {r["urn"].rsplit("::", 1)[1] for r in resources}
    assert f"{NS}/ws-0" not in recorded

    # a rerun first meets the killed CLI's lock; `pulumi cancel` removes it
    with pytest.raises(auto.CommandError, match="currently locked"):
        interrupted.up(color="never")
    cancelled = pulumi("cancel", "--yes")
    assert cancelled.returncode == 0, cancelled.stderr
    assert interrupted.up(color="never").summary.result == "succeeded"

    # every object once, applied by one field manager (the rerun's is the killed run's: pulumi.com/patchFieldManager)
    names = [f"ws-{i}" for i in range(WORKSPACES)]
    for kind, items in objects(api).items():
        expected = names if kind == "Deployment" else [f"{name}-home" for name in names]
        assert sorted(item["metadata"]["name"] for item in items) == sorted(expected), kind
        for item in items:
            appliers = {f["manager"] for f in item["metadata"]["managedFields"] if f["operation"] == "Apply"}
            assert len(appliers) == 1, (kind, item["metadata"]["name"], appliers)
    # the state has each resource once and no pending operation
    resources, pending = state_resources()
    urns = Counter(r["urn"] for r in resources)
    assert [urn for urn, count in urns.items() if count > 1] == [] and pending == []
    recorded = {urn.rsplit("::", 1)[1] for urn in urns}
    assert {f"{NS}/{name}" for name in names} | {f"{NS}/{name}-home" for name in names} <= recorded
    # and the next preview has nothing to do
    interrupted.preview(expect_no_changes=True, color="never")
