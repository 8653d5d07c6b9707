"""Every Kubernetes object the program creates, validated strictly (unknown fields fail) against the OpenAPI
schema of each Kubernetes minor the program supports, with kubernetes-validate, and Kubernetes' name, label and
size rules (tests/fuzz_configs.py `assert_object_accepted`)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from components.config import Supervisor, Workspace
from components.cvm import gpu, sysbox
from components.cvm.workspaces import objects as workspace_objects
from components.cvm.workspaces import resolve
from components.facts import compatibility, pins
from components.facts.platforms import Platform
from tests.fuzz_configs import assert_object_accepted
from tests.harness import FULL, SECRET_KEYS, Registered, Run, run_program

SUPPORTED_MINORS = sorted({m for window in compatibility.WINDOWS.values() for m in window})


@pytest.fixture(scope="module")
def objects(envbox_only_stack: Run) -> list[Registered]:
    """Everything the issue's full stack registers, and what differs without Sysbox (an envbox canary)."""
    with_sysbox = run_program({**FULL, "skipAwait": True}, SECRET_KEYS).kubernetes_objects
    without = envbox_only_stack.kubernetes_objects
    return with_sysbox + without


def validate(manifest: dict[str, Any], minor: str) -> None:
    assert_object_accepted(manifest, minor)


def test_supported_minors_cover_the_issue() -> None:
    assert {"1.32", "1.33", "1.34", "1.35"} <= {str(m) for m in SUPPORTED_MINORS}


def test_the_full_stack_registers_every_kind(objects: list[Registered]) -> None:
    kinds = {r.manifest["kind"] for r in objects}
    assert kinds == {
        "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "RuntimeClass", "Node",
        "Namespace", "NetworkPolicy", "Secret", "PersistentVolumeClaim", "Deployment",
    }  # fmt: skip


@pytest.mark.parametrize("minor", [str(m) for m in SUPPORTED_MINORS])
def test_program_objects_are_valid(objects: list[Registered], minor: str) -> None:
    for resource in objects:
        validate(resource.manifest, minor)


@pytest.mark.parametrize("release", pins.SYSBOX_RELEASES.values(), ids=pins.SYSBOX_RELEASES.keys())
def test_each_release_is_valid_in_its_window(release: pins.SysboxRelease) -> None:
    for minor in release.kubernetes:
        for manifest in sysbox.manifests(release, skip_await=False):
            validate(manifest, str(minor))


def test_pure_builders_are_valid_on_their_own() -> None:
    workspace = Workspace.model_validate({"name": "w", "image": "ubuntu:24.04", "agentToken": "t"})
    resolved = resolve.workspace(workspace, Supervisor(), kubernetes_minor="1.35", entry=0)
    for manifest in (
        gpu.daemon_set("v0.20.0", skip_await=True),
        workspace_objects.agent_secret(resolved, "token"),
        workspace_objects.home_volume(resolved),
        workspace_objects.namespace_object("ns-envbox", "privileged", "1.35"),
    ):
        validate(manifest, "1.35")


def test_the_stacks_register_the_egress_policy(objects: list[Registered]) -> None:
    """test_program_objects_are_valid covers it: both namespaces' policies are among the objects validated."""
    names = {r.name for r in objects if r.manifest["kind"] == "NetworkPolicy"}
    assert {"cvm-workspaces/cvm-workspaces-limit-egress", "cvm-workspaces-envbox/cvm-workspaces-limit-egress"} <= names


@pytest.mark.parametrize(
    "coder_url",
    [
        None,
        "https://coder.example.com/",
        "http://coder.coder.svc.cluster.local:8080/",
        "https://10.1.2.3/",
        "http://[fd00::10]:7080/",
    ],
)
@pytest.mark.parametrize("minor", [str(m) for m in SUPPORTED_MINORS])
@pytest.mark.parametrize("platform", ["gke", "eks"])
def test_egress_policy_is_valid_for_each_coder(coder_url: str | None, minor: str, platform: Platform) -> None:
    policy = workspace_objects.limit_egress("cvm-workspaces-envbox", coder_url, platform)
    assert len(policy["spec"]["egress"]) == (2 if coder_url in (None, "https://coder.example.com/") else 3)
    validate(policy, minor)


def test_strict_validation_reaches_the_egress_rules() -> None:
    """The check itself can fail inside an egress rule: a misspelt `except` is refused."""
    policy = workspace_objects.limit_egress("ns", None, "aks")
    rules = policy["spec"]["egress"]
    internet = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "exept": ["10.0.0.0/8"]}}]}
    broken = {**policy, "spec": {**policy["spec"], "egress": [rules[0], internet]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.35", strict=True)


def test_strict_validation_catches_unknown_fields() -> None:
    """The check itself can fail: a misspelt field is refused."""
    manifest = sysbox.manifests(pins.SYSBOX_RELEASES["0.7.1"])[-1]
    broken = {**manifest, "handlr": "sysbox-runc"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.35", strict=True)
