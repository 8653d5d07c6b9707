"""`__main__.py` under the Pulumi SDK's mocks: what a bare-metal stack registers, how, and on which provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components import sysbox, versions
from tests.harness import PROVIDER_TYPE, Run, run_program
from tests.stacks import KUBECONFIG

SYSBOX_OBJECTS = {
    ("kubernetes:core/v1:ServiceAccount", "kube-system/sysbox-label-node"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "sysbox-node-labeler"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "sysbox-label-node-rb"),
    ("kubernetes:core/v1:ConfigMap", "kube-system/sysbox-operational-attributes"),
    ("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s"),
    ("kubernetes:node.k8s.io/v1:RuntimeClass", "sysbox-runc"),
}
SUPERVISOR_OBJECTS = {
    ("kubernetes:core/v1:Namespace", "cvm-workspaces"),
    ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "cvm-workspaces/cvm-workspaces-deny-ingress"),
    ("kubernetes:core/v1:ServiceAccount", "cvm-workspaces/cvm-workspace"),
    ("kubernetes:apps/v1:Deployment", "cvm-workspaces/cvm-canary"),
}


@pytest.fixture(autouse=True)
def ambient_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kubeconfig where kubectl would look, so that runs never read the developer's own."""
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


def bare_metal(**config: Any) -> Run:
    return run_program({"platform": "baremetal", **config}, secret_keys=("baremetal",))


def test_default_stack_objects_have_design_names() -> None:
    run = bare_metal()
    assert {(r.type, r.name) for r in run.kubernetes_objects} == SYSBOX_OBJECTS | SUPERVISOR_OBJECTS
    for resource in run.kubernetes_objects:
        metadata = resource.inputs["metadata"]
        expected = resource.name.split("/")
        assert [metadata.get("namespace"), metadata["name"]][-len(expected) :] == expected


def test_every_kubernetes_object_uses_the_cluster_provider() -> None:
    run = bare_metal(baremetal={"nodes": ["node-a", "node-b"]})
    providers = run.of_type(PROVIDER_TYPE)
    assert sorted(p.name for p in providers) == ["cvm-dev-preflight-provider", "cvm-dev-provider"]
    for resource in run.kubernetes_objects:
        assert resource.provider is not None, resource.name
        assert f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider, resource.name
    # the preflight reads the Nodes through a provider of its own: the cluster's waits for the verdict
    reads = [r for r in run.resources if r.read]
    assert sorted(r.name for r in reads) == ["cvm-dev-preflight-node-a", "cvm-dev-preflight-node-b"]
    assert all(f"{PROVIDER_TYPE}::cvm-dev-preflight-provider::" in (r.provider or "") for r in reads)


def test_daemon_set_follows_the_upstream_installer() -> None:
    spec = bare_metal().one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s").inputs["spec"]
    pod = spec["template"]["spec"]
    assert spec["selector"]["matchLabels"] == {"sysbox-install": "yes"}
    assert pod["nodeSelector"] == {"sysbox-install": "yes"}
    assert pod["serviceAccountName"] == "sysbox-label-node"
    assert pod["tolerations"] == [
        {"key": "sysbox-runtime", "operator": "Equal", "value": "not-running", "effect": "NoSchedule"}
    ]
    (container,) = pod["containers"]
    assert container["image"] == "registry.nestybox.com/nestybox/sysbox-deploy-k8s:v0.7.1-0"
    assert container["securityContext"] == {"privileged": True}
    assert container["command"] == ["bash", "-c", "/opt/sysbox/scripts/sysbox-deploy-k8s.sh ce install"]
    assert len(pod["volumes"]) == 16 and all("hostPath" in v for v in pod["volumes"])
    assert {m["name"] for m in container["volumeMounts"]} == {v["name"] for v in pod["volumes"]}
    assert not {"hostPID", "hostNetwork", "hostIPC"} & set(pod)


@pytest.mark.parametrize(("version", "tag"), [("0.7.1", "v0.7.1-0"), ("0.7.0", "v0.7.0-0"), ("0.6.7", "v0.6.7-0")])
def test_installer_image_follows_the_release(version: str, tag: str) -> None:
    minor = "1.32"  # inside every pinned release's window
    run = bare_metal(sysbox={"version": version}, kubernetesVersion=minor)
    daemon_set = run.one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert daemon_set.inputs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
    assert run.outputs["sysboxVersion"] == version


def test_runtime_class() -> None:
    runtime_class = bare_metal().one("kubernetes:node.k8s.io/v1:RuntimeClass", "sysbox-runc").inputs
    assert runtime_class["handler"] == "sysbox-runc"
    assert runtime_class["scheduling"] == {"nodeSelector": {"sysbox-runtime": "running"}}


def test_nodes_are_labelled_by_patch_only() -> None:
    run = bare_metal(baremetal={"nodes": ["node-a", "node-b"]})
    patches = run.of_type("kubernetes:core/v1:NodePatch")
    assert {p.name for p in patches} == {"node-a", "node-b"}
    for patch in patches:
        assert patch.inputs["metadata"] == {"name": patch.name, "labels": {"sysbox-install": "yes"}}
    assert all(node.read for node in run.of_type("kubernetes:core/v1:Node"))  # read for the preflight, never written


def test_skip_await_annotates_the_daemon_set() -> None:
    daemon_set = bare_metal(skipAwait=True).one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert daemon_set.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    plain = bare_metal().one("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s")
    assert "annotations" not in plain.inputs["metadata"]


def test_sysbox_disabled_registers_no_sysbox_objects() -> None:
    run = bare_metal(sysbox={"enabled": False}, baremetal={"nodes": ["node-a"]})
    objects = {(r.type, r.name) for r in run.kubernetes_objects}
    assert objects == SUPERVISOR_OBJECTS | {("kubernetes:core/v1:NodePatch", "node-a")}
    assert run.outputs["runtimeClassName"] is None and run.outputs["sysboxVersion"] is None


def test_outputs(ambient_kubeconfig: Path) -> None:
    run = bare_metal()
    assert run.outputs == {
        "platform": "baremetal",
        "clusterName": "cvm-dev",
        "kubernetesVersion": "1.35",
        "kubeconfig": run.outputs["kubeconfig"],
        "runtimeClassName": "sysbox-runc",
        "sysboxVersion": "0.7.1",
        "workspaceNamespace": "cvm-workspaces",
        "workspaces": ["cvm-canary"],
        "gpuEnabled": False,
    }
    assert run.secret_outputs == {"kubeconfig"}
    assert yaml.safe_load(run.outputs["kubeconfig"])["current-context"] == "lab"


def test_configured_kubeconfig_feeds_the_provider_as_a_secret() -> None:
    lab = "{name: lab, context: {cluster: lab, user: admin}}"
    two_contexts = KUBECONFIG.replace(
        f"contexts: [{lab}]", f"contexts: [{lab}, {lab.replace('name: lab', 'name: prod')}]"
    )
    run = bare_metal(baremetal={"kubeconfig": two_contexts, "context": "prod"})
    provider = run.one(PROVIDER_TYPE, "cvm-dev-provider").inputs
    assert provider["context"] == "prod"
    assert provider["kubeconfig"][pulumi.runtime.rpc._special_sig_key] == pulumi.runtime.rpc._special_secret_sig
    assert provider["kubeconfig"]["value"] == two_contexts
    exported = yaml.safe_load(run.outputs["kubeconfig"])
    assert exported["current-context"] == "prod" and [c["name"] for c in exported["contexts"]] == ["prod"]


def test_ambient_kubeconfig_is_left_to_the_provider(ambient_kubeconfig: Path) -> None:
    provider = bare_metal().one(PROVIDER_TYPE, "cvm-dev-provider").inputs
    assert provider["kubeconfig"] == str(ambient_kubeconfig)  # the SDK's own $KUBECONFIG default: a path, not our copy
    assert "context" not in provider


def test_missing_kubeconfig_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    with pytest.raises(pulumi.RunError, match=r"cvm:baremetal.kubeconfig: is not set and there is no kubeconfig at"):
        bare_metal()


def test_known_problems_are_warned() -> None:
    assert bare_metal().warnings == []
    warnings = bare_metal(sysbox={"version": "0.7.0"}).warnings
    assert len(warnings) == 1 and "nestybox/sysbox#1013" in warnings[0]


def test_known_problems_name_upstream_issues() -> None:
    release = versions.SYSBOX_RELEASES["0.7.1"]
    assert any("#997" in p for p in sysbox.known_problems("aks", release))
    assert any("#721" in p for p in sysbox.known_problems("eks", release))
    assert sysbox.known_problems("baremetal", release) == []


BAD_CONFIGS = {
    "unknown platform": ({"platform": "vsphere"}, "cvm:platform"),
    "1.36 with Sysbox 0.7.1": (
        {"platform": "baremetal", "kubernetesVersion": "1.36", "sysbox": {"version": "0.7.1"}},
        "cvm:kubernetesVersion",
    ),
    "1.35 with Sysbox 0.6.7": (
        {"platform": "baremetal", "kubernetesVersion": "1.35", "sysbox": {"version": "0.6.7"}},
        "cvm:kubernetesVersion",
    ),
    "GPUs on a cloud": (
        {"platform": "gke", "gke": {"location": "europe-west4"}, "gpu": {"enabled": True}},
        "cvm:gpu.enabled",
    ),
    "an AMD GPU": ({"platform": "baremetal", "gpu": {"vendor": "amd"}}, "cvm:gpu.vendor"),
    "NFS storage": (
        {"platform": "baremetal", "supervisor": {"storageClass": "nfs-csi"}},
        "cvm:supervisor.storageClass",
    ),
    "a name that is not a DNS label": (
        {"platform": "baremetal", "supervisor": {"workspaces": [{"name": "Alice", "image": "ubuntu:24.04"}]}},
        "cvm:supervisor.workspaces[0].name",
    ),
    "two workspaces with one name": (
        {"platform": "baremetal", "supervisor": {"workspaces": [{"name": "alice", "image": "ubuntu:24.04"}] * 2}},
        "cvm:supervisor.workspaces[1].name",
    ),
}


@pytest.mark.parametrize(("config", "key"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_config_registers_nothing(config: dict[str, Any], key: str) -> None:
    registered: list[Run] = []
    with pytest.raises(pulumi.RunError) as raised:
        registered.append(run_program(config))
    assert f"  - {key}" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # one clean message, no chain
    assert not registered


def test_bad_config_really_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the mocks themselves: not even the stack's first resource gets through."""
    from tests import harness

    seen: list[str] = []
    original = harness.RecordingMocks.new_resource

    def spy(self: harness.RecordingMocks, args: pulumi.runtime.MockResourceArgs) -> Any:
        seen.append(args.typ)
        return original(self, args)

    monkeypatch.setattr(harness.RecordingMocks, "new_resource", spy)
    with pytest.raises(pulumi.RunError):
        run_program({"platform": "baremetal", "gpu": {"vendor": "amd"}})
    assert seen == []
    bare_metal()
    assert "kubernetes:apps/v1:DaemonSet" in seen
