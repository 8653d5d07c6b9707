"""The README's front door, as a user types it: `make up` deploys the dev stack on the local control plane and
`make down` stops it, leaving nothing running.

HOME is a fresh folder, so no `~/.kube/config` can send `make up` to a real cluster; the toolchain's cache and
Go's folders are passed on as they are, so nothing is built again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from components.kube.names import CANARY_NAME
from localcluster import ROOT, STATE, cluster, control_plane
from tests.engine.kube_api import Cluster


def make(target: str, home: Path) -> subprocess.CompletedProcess[str]:
    go_env = subprocess.run(
        ["go", "env", "GOPATH", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True
    ).stdout.split()
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env.update(
        HOME=str(home),
        CVM_TOOLCHAIN_CACHE=os.environ.get("CVM_TOOLCHAIN_CACHE", str(Path.home() / ".cache/cvm-toolchain")),
        **dict(zip(("GOPATH", "GOCACHE", "GOMODCACHE"), go_env, strict=True)),
    )
    return subprocess.run(["make", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_make_up_deploys_the_dev_stack_and_make_down_stops_it(tmp_path: Path) -> None:
    cluster.stop()  # a fresh control plane and fresh state, as a user's first `make up`
    up = make("up", tmp_path)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert "Outputs of the dev stack" in up.stdout
    api = Cluster(STATE / "admin.kubeconfig")
    names = {d["metadata"]["name"] for d in api.get(api.apps.list_namespaced_deployment, "cvm-workspaces")["items"]}
    assert CANARY_NAME in names, names

    down = make("down", tmp_path)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
    assert not control_plane.running()
