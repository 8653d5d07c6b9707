"""The README's front door, as a user types it: `make up` deploys the dev stack on the local control plane and
`make down` stops it, leaving nothing running; a kubeconfig at home is left alone unless named
(`make up CLUSTER=<context>`); the driver applies exactly what the dev config file says, every run.

HOME is a fresh folder with a kubeconfig of its own; the toolchain's cache and Go's folders are passed on as
they are, so nothing is built again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes.client.exceptions import ApiException
from pulumi import automation as auto

from components.kube.names import CANARY_NAME
from localcluster import ROOT, STATE, cluster, control_plane, engine
from tests.engine.kube_api import Cluster
from tests.harness import FULL, KUBECONFIG
from tests.lanes import typed_env


def make(target: str, home: Path) -> subprocess.CompletedProcess[str]:
    go_env = subprocess.run(
        ["go", "env", "GOPATH", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True
    ).stdout.split()
    # as a person types it: a top-level make (under `make test`, a sub-make would add "Leaving directory" lines)
    env = {key: value for key, value in typed_env().items() if key != "KUBECONFIG"}
    env.update(
        HOME=str(home),
        CVM_TOOLCHAIN_CACHE=os.environ.get("CVM_TOOLCHAIN_CACHE", str(Path.home() / ".cache/cvm-toolchain")),
        **dict(zip(("GOPATH", "GOCACHE", "GOMODCACHE"), go_env, strict=True)),
    )
    return subprocess.run(["make", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_make_up_deploys_the_dev_stack_and_make_down_stops_it(tmp_path: Path) -> None:
    cluster.stop()  # a fresh control plane and fresh state, as a user's first `make up`
    # most platform engineers have one: without CLUSTER, `make up` neither uses it nor changes it
    home_kubeconfig = tmp_path / ".kube" / "config"
    home_kubeconfig.parent.mkdir()
    home_kubeconfig.write_text(KUBECONFIG)
    up = make("up", tmp_path)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert "make up: the local cluster; your kubeconfig is not used" in up.stdout
    assert "Outputs of the dev stack" in up.stdout
    # told once (issue 25): each toolchain line (the driver's second pass says only builds), the local provider's
    # version warning; and a last line with what changed, how long it took and the kubeconfig
    cached = [line for line in up.stderr.splitlines() if ": cached (" in line]
    assert cached and len(cached) == len(set(cached)), cached
    assert (up.stdout + up.stderr).count("resource plugin kubernetes is expected to have version") <= 1
    kept = f"The local control plane keeps running: KUBECONFIG={STATE / 'admin.kubeconfig'} "
    assert re.match(rf"make up: done in \d+ s \(.+\)\. {re.escape(kept)}", up.stdout.splitlines()[-1]), up.stdout[-500:]
    assert home_kubeconfig.read_text() == KUBECONFIG
    api = Cluster(STATE / "admin.kubeconfig")
    names = {d["metadata"]["name"] for d in api.get(api.apps.list_namespaced_deployment, "cvm-workspaces")["items"]}
    assert CANARY_NAME in names, names

    down = make("down", tmp_path)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
    assert not control_plane.running()


def up_dev(path: Path) -> None:
    """The driver's `up` with the dev config file at `path`, in a process of its own as each `make up` is (the
    Automation API's inline program then runs once per process, as under `make up`)."""
    run = f"from pathlib import Path; from localcluster import engine; engine.up_dev(path=Path({str(path)!r}))"
    done = subprocess.run([sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_make_up_applies_exactly_the_dev_config_file(tmp_path: Path) -> None:
    """A workspace added to the file is deployed; removed from it (with a typo key once made), it is gone on
    the next run, and so is the key: the stack's config is the file's, every run."""
    cluster.stop()
    dev_file = tmp_path / "Pulumi.dev.yaml"
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    workspace = FULL["supervisor"]["workspaces"][1]  # bob, sysbox-runc: cvm-workspaces
    supervisor = {"coderUrl": FULL["supervisor"]["coderUrl"], "workspaces": [workspace]}
    dev_file.write_text(yaml.safe_dump({"config": {**config, "cvm:supervisor": supervisor}}))
    try:
        up_dev(dev_file)
        api = Cluster(STATE / "admin.kubeconfig")
        api.apps.read_namespaced_deployment(workspace["name"], "cvm-workspaces")
        dev = auto.Stack.select("dev", auto.LocalWorkspace(work_dir=str(engine.PROJECT), env_vars=engine.environment()))
        dev.set_config("cvm:kubernetesVersoin", auto.ConfigValue("1.35"))  # a typo once made by hand

        dev_file.write_text(yaml.safe_dump({"config": config}))
        up_dev(dev_file)
        with pytest.raises(ApiException) as gone:
            api.apps.read_namespaced_deployment(workspace["name"], "cvm-workspaces")
        assert gone.value.status == 404
        assert not {"cvm:supervisor", "cvm:kubernetesVersoin"} & set(dev.get_all_config())
    finally:
        cluster.stop()
