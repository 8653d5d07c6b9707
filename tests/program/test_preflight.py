"""The bare-metal cluster's pure parts: node patches and the kubeconfig the stack exports."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import yaml

from components.clusters import baremetal
from components.settings import SettingsError
from tests.harness import GOOD_NODE, PROVIDER_TYPE, Run, node_status, run_program
from tests.stacks import ENVBOX_ONLY, FULL, KUBECONFIG, SECRET_KEYS

FIRST = """
apiVersion: v1
kind: Config
clusters:
- {name: lab, cluster: {server: "https://10.0.0.1:6443", certificate-authority: pki/ca.crt}}
contexts:
- {name: lab, context: {cluster: lab, user: admin}}
users:
- {name: admin, user: {client-certificate: pki/admin.crt, client-key: /abs/admin.key}}
current-context: lab
"""
SECOND = """
clusters:
- {name: lab, cluster: {server: "https://shadowed:6443"}}
- {name: edge, cluster: {server: "https://10.0.0.2:6443"}}
contexts:
- {name: edge, context: {cluster: edge, user: ops}}
users:
- {name: ops, user: {token: t}}
current-context: edge
"""


def test_node_patch_carries_only_our_labels() -> None:
    assert baremetal.node_label_patch("n1", {"sysbox-install": "yes"}) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "labels": {"sysbox-install": "yes"}},
    }


def test_ambient_paths() -> None:
    home = Path("/home/op")
    assert baremetal.ambient_kubeconfig_paths({}, home) == [home / ".kube/config"]
    assert baremetal.ambient_kubeconfig_paths({"KUBECONFIG": "/a:/b:"}, home) == [Path("/a"), Path("/b")]


def test_merge_follows_client_go_first_wins_and_makes_paths_absolute() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/etc/k")), (SECOND, Path("/tmp"))])
    assert merged["current-context"] == "lab"
    assert [c["name"] for c in merged["clusters"]] == ["lab", "edge"]
    assert merged["clusters"][0]["cluster"]["server"] == "https://10.0.0.1:6443"
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == "/etc/k/pki/ca.crt"
    assert merged["users"][0]["user"]["client-certificate"] == "/etc/k/pki/admin.crt"
    assert merged["users"][0]["user"]["client-key"] == "/abs/admin.key"


def test_export_is_reduced_to_one_context() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/etc/k")), (SECOND, Path("/tmp"))])
    exported = yaml.safe_load(baremetal.kubeconfig_for(merged, "edge", "test"))
    assert exported["current-context"] == "edge"
    assert [c["name"] for c in exported["clusters"]] == ["edge"]
    assert [u["name"] for u in exported["users"]] == ["ops"]


def test_unknown_or_missing_context_names_the_key() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/"))])
    with pytest.raises(SettingsError, match=r"cvm:baremetal.context = 'prod': is not a context of test: \['lab'\]"):
        baremetal.kubeconfig_for(merged, "prod", "test")
    without_current = {**merged}
    del without_current["current-context"]
    with pytest.raises(SettingsError, match=r"cvm:baremetal\.context: is required: test has no current-context"):
        baremetal.kubeconfig_for(without_current, None, "test")


def test_resolve_reads_the_ambient_files(tmp_path: Path) -> None:
    (tmp_path / "one").write_text(FIRST)
    text = baremetal.resolve_kubeconfig(None, None, {"KUBECONFIG": str(tmp_path / "one")}, tmp_path)
    assert yaml.safe_load(text)["clusters"][0]["cluster"]["certificate-authority"] == f"{tmp_path}/pki/ca.crt"
    configured = baremetal.resolve_kubeconfig(SECOND, "edge", {}, tmp_path)
    assert yaml.safe_load(configured)["current-context"] == "edge"


# --- the preflight, wired into the program: reads through the stack's provider, under the SDK's mocks ---------


def test_the_listed_nodes_are_read_through_the_stacks_kubeconfig() -> None:
    run = run_program(FULL, secret_keys=SECRET_KEYS)
    reads = {r.name for r in run.resources if r.read}
    assert reads == {"cvm-dev-preflight-cpu-1", "cvm-dev-preflight-cpu-2", "cvm-dev-preflight-gpu-1"}
    reader = run.one(PROVIDER_TYPE, "cvm-dev-preflight-provider")
    assert reader.manifest["kubeconfig"] == KUBECONFIG
    assert not run.warnings


def test_a_refused_node_stops_the_run_before_any_object_is_registered() -> None:
    nodes = {
        "cpu-1": node_status(osImage="Amazon Linux 2", kernelVersion="4.14.355-275.582.amzn2.x86_64"),
        "cpu-2": node_status(kernelVersion="5.2.0-1"),
        "gpu-1": node_status(kubeletVersion="v1.36.0"),
    }
    with pytest.raises(pulumi.RunError) as refused:
        run_program(FULL, secret_keys=SECRET_KEYS, nodes=nodes)
    message = str(refused.value)
    assert message.startswith("bare-metal preflight refused 3 node(s) before anything was applied")
    assert "node cpu-1: distribution 'Amazon Linux 2'" in message
    assert "node cpu-2: kernel '5.2.0-1' is below 6.8" in message
    assert "node gpu-1: kubelet 'v1.36.0' is not the minor this stack declares" in message


def test_nothing_is_registered_with_the_cluster_when_a_node_is_refused() -> None:
    run = Run()
    nodes = {"cpu-1": GOOD_NODE, "cpu-2": node_status(architecture="s390x"), "gpu-1": GOOD_NODE}
    with pytest.raises(pulumi.RunError, match="node cpu-2: architecture 's390x'"):
        run_program(FULL, secret_keys=SECRET_KEYS, nodes=nodes, into=run)
    assert run.resources, "the run got as far as the reads"
    assert not run.kubernetes_objects


def test_warnings_are_logged_and_the_run_goes_on() -> None:
    nodes = {
        "cpu-1": node_status(containerRuntimeVersion="containerd://1.7.27"),
        "cpu-2": GOOD_NODE,
        "gpu-1": GOOD_NODE,
    }
    run = run_program(FULL, secret_keys=SECRET_KEYS, nodes=nodes)
    assert [w for w in run.warnings if w.startswith("preflight:")] == [
        "preflight: node cpu-1: container runtime 'containerd://1.7.27' is not containerd 2.0.5+: the installer puts "
        "its own CRI-O on the node, points kubelet at it and restarts kubelet, which takes every pod on the node down "
        "for about a minute (nestybox/sysbox docs/user-guide/install-k8s.md 'Containerd Requirement'; CHANGELOG 0.7.0)"
    ]
    assert run.of_type("kubernetes:core/v1:NodePatch")


def test_a_listed_node_the_cluster_does_not_have_stops_the_run() -> None:
    with pytest.raises(Exception, match="resource 'gpu-1' does not exist"):
        run_program(FULL, secret_keys=SECRET_KEYS, nodes={"cpu-1": GOOD_NODE, "cpu-2": GOOD_NODE})


def test_what_is_checked_follows_what_the_stack_asks_of_each_node() -> None:
    old_containerd = node_status(containerRuntimeVersion="containerd://1.7.27")
    # without Sysbox on the nodes, nothing touches their container runtime
    run = run_program(
        ENVBOX_ONLY, secret_keys=SECRET_KEYS, nodes=dict.fromkeys(["cpu-1", "cpu-2", "gpu-1"], old_containerd)
    )
    assert not [w for w in run.warnings if w.startswith("preflight:")]
    # GPU nodes are read only when GPUs are on; with no node listed, nothing is read
    no_gpus = {**FULL, "gpu": {"enabled": False}, "supervisor": {"workspaces": []}}
    assert {r.name for r in run_program(no_gpus, secret_keys=SECRET_KEYS).resources if r.read} == {
        "cvm-dev-preflight-cpu-1",
        "cvm-dev-preflight-cpu-2",
    }
    bare = run_program({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG}}, secret_keys=SECRET_KEYS)
    assert not [r for r in bare.resources if r.read]
    assert [p.name for p in bare.of_type(PROVIDER_TYPE)] == ["cvm-dev-provider"]
