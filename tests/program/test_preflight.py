"""The bare-metal preflight wired into the program: it reads the listed Nodes through the stack's kubeconfig,
and a refused node stops the run before anything is registered with the cluster."""

from __future__ import annotations

import pulumi
import pytest

from localcluster.good_node import GOOD_NODE, node_status
from tests.harness import ENVBOX_ONLY, FULL, KUBECONFIG, PROVIDER_TYPE, SECRET_KEYS, Run, run_program


def test_the_listed_nodes_are_read_through_the_stacks_kubeconfig() -> None:
    run = run_program(FULL, secret_keys=SECRET_KEYS)
    reads = {r.name for r in run.node_reads}
    assert reads == {"cvm-dev-preflight-cpu-1", "cvm-dev-preflight-cpu-2", "cvm-dev-preflight-gpu-1"}
    reader = run.one(PROVIDER_TYPE, "cvm-dev-preflight-provider")
    assert reader.manifest["kubeconfig"] == KUBECONFIG
    assert not [w for w in run.warnings if "nestybox/sysbox#998" not in w]  # good nodes: no finding (envbox's
    # bundled Sysbox is warned of, components/cvm/workspaces/plan.py known_problems)


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
    assert {r.name for r in run_program(no_gpus, secret_keys=SECRET_KEYS).node_reads} == {
        "cvm-dev-preflight-cpu-1",
        "cvm-dev-preflight-cpu-2",
    }
    bare = run_program({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG}}, secret_keys=SECRET_KEYS)
    assert not bare.node_reads
    assert [p.name for p in bare.of_type(PROVIDER_TYPE)] == ["cvm-dev-provider"]
