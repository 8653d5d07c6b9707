"""The workspace supervisor under mocks: the namespace and its guard rails, one workload, volume and Secret per
workspace, on the cluster's provider."""

from __future__ import annotations

from collections.abc import Callable

from components.cvm.workspaces import objects
from tests.harness import FULL, PROVIDER_TYPE, SECRET_KEYS, Run, run_program

NS = "cvm-workspaces"


def test_full_stack_registers_every_workspace(full_stack: Run) -> None:
    names = {r.name for r in full_stack.of_type("kubernetes:apps/v1:Deployment")}
    assert names == {f"{NS}/{n}" for n in ("cvm-canary", "alice", "bob", "carol")}
    assert {r.name for r in full_stack.of_type("kubernetes:core/v1:PersistentVolumeClaim")} == {
        f"{NS}/{n}-home" for n in ("alice", "bob", "carol")
    }
    assert {r.name for r in full_stack.of_type("kubernetes:core/v1:Secret")} == {
        f"{NS}/{n}-agent-token" for n in ("alice", "bob", "carol")
    }
    assert full_stack.outputs["workspaces"] == ["cvm-canary", "alice", "bob", "carol"]
    assert full_stack.outputs["workspaceNamespace"] == NS and full_stack.outputs["gpuEnabled"] is True


def test_everything_is_on_the_cluster_provider(full_stack: Run) -> None:
    for resource in full_stack.kubernetes_objects:
        assert resource.provider is not None and f"{PROVIDER_TYPE}::cvm-dev-provider::" in resource.provider


def test_workloads_are_named_and_labelled(full_stack: Run) -> None:
    for name in ("cvm-canary", "alice", "bob", "carol"):
        manifest = full_stack.one("kubernetes:apps/v1:Deployment", f"{NS}/{name}").manifest
        assert manifest["metadata"]["name"] == name
        for where in (manifest["metadata"]["labels"], manifest["spec"]["template"]["metadata"]["labels"]):
            assert where["app.kubernetes.io/component"] == "workspace"
            assert where["app.kubernetes.io/instance"] == name
        assert manifest["spec"]["replicas"] == 1 and manifest["spec"]["strategy"] == {"type": "Recreate"}
        assert manifest["spec"]["selector"]["matchLabels"] == objects.selector(name)


def test_namespace_is_privileged_only_for_envbox(full_stack: Run) -> None:
    labels = full_stack.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "v1.35",
        "istio-injection": "disabled",
    }
    # the default stack has only the canary, under sysbox-runc: baseline is enough
    default = run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, secret_keys=SECRET_KEYS)
    assert (
        default.one("kubernetes:core/v1:Namespace", NS).manifest["metadata"]["labels"][
            "pod-security.kubernetes.io/enforce"
        ]
        == "baseline"
    )


def test_ingress_is_denied_and_the_account_mounts_no_token(full_stack: Run) -> None:
    policy = full_stack.one(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{NS}/cvm-workspaces-deny-ingress"
    ).manifest
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
        "policyTypes": ["Ingress"],
    }
    account = full_stack.one("kubernetes:core/v1:ServiceAccount", f"{NS}/cvm-workspace").manifest
    assert account["automountServiceAccountToken"] is False


def test_home_volumes_are_protected_and_sized(full_stack: Run, envbox_only_stack: Run) -> None:
    volume = full_stack.one("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/bob-home")
    assert volume.manifest["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "50Gi"}},
        "storageClassName": "local-path",
    }
    # what reached the monitor: each home volume protected, and nothing else on a bare-metal stack
    homes = {("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/{n}-home") for n in ("alice", "bob", "carol")}
    assert full_stack.protected == homes
    assert envbox_only_stack.protected == homes - {("kubernetes:core/v1:PersistentVolumeClaim", f"{NS}/bob-home")}


def test_the_canary_has_no_volume_to_protect(bare_metal: Callable[..., Run]) -> None:
    run = bare_metal()
    assert run.of_type("kubernetes:core/v1:PersistentVolumeClaim") == [] and run.protected == set()


def test_skip_await_annotates_workloads_and_volumes() -> None:
    run = run_program({**FULL, "skipAwait": True}, SECRET_KEYS)
    for resource in run.of_type("kubernetes:apps/v1:Deployment") + run.of_type(
        "kubernetes:core/v1:PersistentVolumeClaim"
    ):
        assert resource.manifest["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
