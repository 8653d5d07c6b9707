"""The dev stack's config on the local cluster (localcluster/dev_config.py): the file's settings merged with the
local cluster's, the settings it cannot honour refused by key, and the stale keys a run removes."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import load_settings, stored_config
from components.facts.pins import CANARY_IMAGE
from localcluster.dev_config import Refused, merged, node_listed, refusals, removed
from tests.harness import KUBECONFIG

NODE = "cvm-e2e-node"
WORKSPACE = {"name": "alice", "image": CANARY_IMAGE, "runtime": "sysbox-runc"}  # what the local node runs


def refused(file_config: dict[str, Any], *, with_node: bool = False) -> list[str]:
    with pytest.raises(Refused) as error:
        merged(file_config, KUBECONFIG, NODE, with_node=with_node)
    assert error.value.lines == refusals(file_config, NODE, with_node=with_node)
    return error.value.lines


def test_the_files_settings_are_kept_and_baremetal_is_merged_not_replaced() -> None:
    file_config = {
        "cvm:platform": "baremetal",
        "cvm:supervisor": {"workspaces": [WORKSPACE]},
        "cvm:baremetal": {"gpuNodes": [NODE]},
        "kubernetes:enableServerSideApply": "true",
    }
    config = merged(file_config, KUBECONFIG, NODE, with_node=True)
    assert config == {
        "platform": "baremetal",
        "supervisor": {"workspaces": [WORKSPACE]},
        "baremetal": {"gpuNodes": [NODE], "kubeconfig": KUBECONFIG, "nodes": [NODE]},
        "kubernetes:enableServerSideApply": "true",
        "skipAwait": False,
    }


def test_without_a_node_nothing_is_listed_and_nothing_awaited() -> None:
    config = merged({"cvm:platform": "baremetal", "cvm:baremetal": None}, KUBECONFIG, NODE, with_node=False)
    assert config == {"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG}, "skipAwait": True}
    # what the driver stores is what the program accepts
    load_settings(stored_config(config), "dev", {"cvm:baremetal"})


@pytest.mark.parametrize("key", ["kubeconfig", "context"])
def test_a_kubeconfig_or_context_in_the_file_is_refused_by_key(key: str) -> None:
    (line,) = refused({"cvm:platform": "baremetal", "cvm:baremetal": {key: "prod"}})
    assert line.startswith(f"cvm:baremetal.{key}: the local cluster provides its own")
    assert "make up CLUSTER=<context>" in line and "prod" not in line  # a kubeconfig's text is never shown


@pytest.mark.parametrize("with_node", [False, True])
def test_a_node_other_than_the_local_one_is_refused_by_key_and_name(*, with_node: bool) -> None:
    (line,) = refused({"cvm:baremetal": {"nodes": ["rack-1", NODE]}}, with_node=with_node)
    assert line.startswith("cvm:baremetal.nodes = ['rack-1']: the local cluster has only the node 'cvm-e2e-node'")


def test_the_local_node_without_node_1_is_refused() -> None:
    (line,) = refused({"cvm:baremetal": {"gpuNodes": [NODE]}})
    assert line.startswith("cvm:baremetal.gpuNodes lists 'cvm-e2e-node', which runs only with `make up NODE=1`;")
    assert merged({"cvm:baremetal": {"nodes": [NODE]}}, KUBECONFIG, NODE, with_node=True)["baremetal"]["nodes"] == [
        NODE
    ]


def test_a_workspace_the_local_node_cannot_run_is_refused_by_key_with_a_node_only() -> None:
    """envbox (the default runtime) and an image the node's registry does not serve would hold `make up NODE=1`
    for the provider's 10 minutes; without a node nothing runs pods, so nothing is refused."""
    elsewhere = {"name": "bob", "image": "registry.example.com/platform/cvm-workspace:2026.11.27"}
    file_config = {"cvm:supervisor": {"workspaces": [WORKSPACE, elsewhere, "not an object"]}}
    assert refused(file_config, with_node=True) == [
        "cvm:supervisor.workspaces[1].runtime = 'envbox' (the default): envbox needs real Sysbox, which the local "
        "node does not run; set `sysbox-runc` (docs/local-cluster.md)",
        "cvm:supervisor.workspaces[1].image = 'registry.example.com/platform/cvm-workspace:2026.11.27': the local "
        f"node serves one workspace image, {CANARY_IMAGE!r} (a stand-in built here, docs/local-cluster.md); use it "
        "on the local node",
    ]
    assert refusals(file_config, NODE, with_node=False) == []
    (line,) = refused({"cvm:supervisor": {"workspaces": [{**WORKSPACE, "runtime": "envbox"}]}}, with_node=True)
    assert line.startswith("cvm:supervisor.workspaces[0].runtime = 'envbox': envbox needs real Sysbox")


def test_every_refusal_is_told_once_each_on_its_own_line() -> None:
    lines = refused({"cvm:skipAwait": False, "cvm:baremetal": {"context": "prod", "nodes": ["rack-1"]}})
    assert [line.partition(" ")[0].rstrip(":") for line in lines] == [
        "cvm:skipAwait",
        "cvm:baremetal.context",
        "cvm:baremetal.nodes",
    ]
    assert refused({"cvm:baremetal": "rack-1"}) == [
        "cvm:baremetal: must be an object of settings (see docs/configuration.md)"
    ]


def test_the_keys_the_file_no_longer_has_are_removed() -> None:
    current = ["cvm:platform", "cvm:supervisor", "cvm:kubernetesVersoin", "cvm:baremetal"]
    desired = {"cvm:platform": "baremetal", "cvm:baremetal": "{}", "cvm:skipAwait": "true"}
    assert removed(current, desired) == ["cvm:kubernetesVersoin", "cvm:supervisor"]
    assert removed(desired, desired) == []


def test_a_running_node_of_this_checkout_stays_listed_by_a_plain_up() -> None:
    """`make up` after `make up NODE=1` keeps the node listed, and says so once; otherwise the run does as asked."""
    listed, note = node_listed(NODE, asked=False, ours_runs=True)
    assert listed and note is not None and NODE in note and "make down" in note
    assert node_listed(NODE, asked=False, ours_runs=False) == (False, None)
    assert node_listed(NODE, asked=True, ours_runs=True) == (True, None)
    assert node_listed(NODE, asked=True, ours_runs=False) == (True, None)
    # what a plain `make up` then applies: the node listed, its workloads awaited
    config = merged({"cvm:platform": "baremetal"}, KUBECONFIG, NODE, with_node=listed)
    assert config["baremetal"]["nodes"] == [NODE] and config["skipAwait"] is False
