"""What a bare-metal stack registers for Sysbox, how, and on which provider."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.cvm import sysbox
from tests.harness import PROVIDER_TYPE, Run

BareMetal = Callable[..., Run]
Objects = set[tuple[str, str]]


def test_default_stack_objects_have_design_names(
    bare_metal: BareMetal, sysbox_objects: Objects, supervisor_objects: Objects
) -> None:
    run = bare_metal()
    assert {(r.type, r.name) for r in run.kubernetes_objects} == sysbox_objects | supervisor_objects
    for resource in run.kubernetes_objects:
        metadata = resource.inputs["metadata"]
        expected = resource.name.split("/")
        assert [metadata.get("namespace"), metadata["name"]][-len(expected) :] == expected


def test_every_kubernetes_object_uses_the_cluster_provider(bare_metal: BareMetal) -> None:
    run = bare_metal(baremetal={"nodes": ["node-a", "node-b"]})
    providers = run.of_type(PROVIDER_TYPE)
    assert sorted(p.name for p in providers) == ["cvm-dev-preflight-provider", "cvm-dev-provider"]
    for resource in run.kubernetes_objects:
        assert resource.provider is not None, resource.name
        assert f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider, resource.name
    # the preflight reads the Nodes through a provider of its own: the cluster's waits for the verdict
    reads = run.node_reads
    assert sorted(r.name for r in reads) == ["cvm-dev-preflight-node-a", "cvm-dev-preflight-node-b"]
    assert all(f"{PROVIDER_TYPE}::cvm-dev-preflight-provider::" in (r.provider or "") for r in reads)


def test_daemon_set_follows_the_upstream_installer(bare_metal: BareMetal) -> None:
    spec = bare_metal().one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s").inputs["spec"]
    pod = spec["template"]["spec"]
    assert spec["selector"]["matchLabels"] == {"sysbox-install": "yes"}
    assert pod["nodeSelector"] == {"sysbox-install": "yes"}
    assert pod["serviceAccountName"] == "sysbox-label-node"
    assert pod["tolerations"] == [
        {"key": "sysbox-runtime", "operator": "Equal", "value": "not-running", "effect": "NoSchedule"},
        {"key": "cvm/workspaces-only", "operator": "Exists", "effect": "NoSchedule"},  # AKS's CVM pool
    ]
    (container,) = pod["containers"]
    assert container["image"] == "registry.nestybox.com/nestybox/sysbox-deploy-k8s:v0.7.1-0"
    assert container["securityContext"] == {"privileged": True}
    # upstream's command, and on failure a message naming the node (tests/unit/cvm/test_sysbox.py)
    assert container["command"] == ["bash", "-c", sysbox.INSTALL]
    assert sysbox.INSTALL.startswith("/opt/sysbox/scripts/sysbox-deploy-k8s.sh ce install || ")
    # scheduled even on a full node; requested so that it is placed, and never killed halfway by a limit
    assert pod["priorityClassName"] == "system-node-critical"
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}}
    assert len(pod["volumes"]) == 16 and all("hostPath" in v for v in pod["volumes"])
    assert {m["name"] for m in container["volumeMounts"]} == {v["name"] for v in pod["volumes"]}
    assert not {"hostPID", "hostNetwork", "hostIPC"} & set(pod)


def test_the_rollout_waits_for_each_node_to_run_sysbox(bare_metal: BareMetal) -> None:
    """Ready once its node carries `sysbox-runtime: running`: one node at a time, and `up` waits for all."""
    spec = bare_metal().one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s").inputs["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    (container,) = spec["template"]["spec"]["containers"]
    probe = container["readinessProbe"]
    assert probe["exec"]["command"] == [
        "sh", "-c",
        "test \"$(kubectl get node \"$NODE_NAME\" -o jsonpath='{.metadata.labels.sysbox-runtime}')\" = running",
    ]  # fmt: skip
    assert {e["name"] for e in container["env"]} >= {"NODE_NAME"}
    assert probe["periodSeconds"] == 10


@pytest.mark.parametrize(("version", "tag"), [("0.7.1", "v0.7.1-0"), ("0.7.0", "v0.7.0-0"), ("0.6.7", "v0.6.7-0")])
def test_installer_image_follows_the_release(bare_metal: BareMetal, version: str, tag: str) -> None:
    minor = "1.32"  # inside every pinned release's window
    run = bare_metal(sysbox={"version": version}, kubernetesVersion=minor)
    daemon_set = run.one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert daemon_set.inputs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
    assert run.outputs["sysboxVersion"] == version


def test_runtime_class(bare_metal: BareMetal) -> None:
    runtime_class = bare_metal().one("kubernetes:node.k8s.io/v1:RuntimeClass", "sysbox-runc").inputs
    assert runtime_class["handler"] == "sysbox-runc"
    assert runtime_class["scheduling"] == {"nodeSelector": {"sysbox-runtime": "running"}}


def test_nodes_are_labelled_by_patch_only(bare_metal: BareMetal) -> None:
    run = bare_metal(baremetal={"nodes": ["node-a", "node-b"]})
    patches = run.of_type("kubernetes:core/v1:NodePatch")
    assert {p.name for p in patches} == {"node-a", "node-b"}
    for patch in patches:
        manager = {"pulumi.com/patchFieldManager": "cvm-dev"}
        assert patch.inputs["metadata"] == {
            "name": patch.name,
            "labels": {"sysbox-install": "yes"},
            "annotations": manager,
        }
    assert all(node.read for node in run.of_type("kubernetes:core/v1:Node"))  # read for the preflight, never written


def test_skip_await_annotates_the_daemon_set(bare_metal: BareMetal) -> None:
    daemon_set = bare_metal(skipAwait=True).one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert daemon_set.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
    plain = bare_metal().one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert "pulumi.com/skipAwait" not in plain.inputs["metadata"]["annotations"]


def test_sysbox_disabled_registers_no_sysbox_objects(bare_metal: BareMetal, frame: Callable[[str], Objects]) -> None:
    run = bare_metal(sysbox={"enabled": False}, baremetal={"nodes": ["node-a"]})
    objects = {(r.type, r.name) for r in run.kubernetes_objects}
    # the canary runs under envbox, in the envbox namespace; the configured one is still made, for sysbox-runc
    envbox = frame("cvm-workspaces-envbox") | {("kubernetes:apps/v1:Deployment", "cvm-workspaces-envbox/cvm-canary")}
    assert objects == frame("cvm-workspaces") | envbox | {("kubernetes:core/v1:NodePatch", "node-a")}
    assert run.outputs["runtimeClassName"] is None and run.outputs["sysboxVersion"] is None


def test_known_problems_are_warned(bare_metal: BareMetal) -> None:
    nodes = {"nodes": ["cvm-1"]}  # no warning that no CVM node is listed
    assert bare_metal(baremetal=nodes, sysbox={"containerdFix": True}).warnings == []
    # the node reports containerd 2.x: without cvm's fix, the preflight warns of nestybox/sysbox#997
    (unfixed,) = bare_metal(baremetal=nodes).warnings
    assert "'containerd://2.1.4' meets nestybox/sysbox#997" in unfixed and "cvm:sysbox.containerdFix: true" in unfixed
    warnings = bare_metal(baremetal=nodes, sysbox={"version": "0.7.0", "containerdFix": True}).warnings
    # 0.7.0's sysfs failure and its sysbox-fs deadlock, both fixed in 0.7.1
    assert len(warnings) == 2 and "nestybox/sysbox#1013" in warnings[0] and "nestybox/sysbox#998" in warnings[1]
