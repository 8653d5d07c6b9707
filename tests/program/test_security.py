"""Security invariants over everything the program registers, for every shape of stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.config.values import pinned_image
from tests.harness import ENVBOX_ONLY, FULL, SECRET_KEYS, Registered, Run, run_program

PRIVILEGED_ALLOWED = {"sysbox-deploy-k8s", "envbox"}  # the Sysbox installer, envbox's outer container


@pytest.fixture(scope="module")
def objects(full_stack: Run) -> list[Registered]:
    stacks = [
        full_stack,
        run_program({**ENVBOX_ONLY, "skipAwait": True}, SECRET_KEYS),
        run_program({"platform": "baremetal", "baremetal": FULL["baremetal"]}, SECRET_KEYS),
    ]
    return [r for run in stacks for r in run.kubernetes_objects]


def pod_specs(objects: list[Registered]) -> Iterator[tuple[Registered, dict[str, Any]]]:
    for resource in objects:
        spec = resource.manifest.get("spec", {})
        if "template" in spec:
            yield resource, spec["template"]["spec"]


def workspace_pods(objects: list[Registered]) -> Iterator[tuple[Registered, dict[str, Any]]]:
    for resource, spec in pod_specs(objects):
        if resource.manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "workspace":
            yield resource, spec


def test_there_is_something_to_check(objects: list[Registered]) -> None:
    assert len(list(workspace_pods(objects))) == 4 + 3 + 1
    assert len(list(pod_specs(objects))) > len(list(workspace_pods(objects)))


def test_only_the_installer_and_envbox_are_privileged(objects: list[Registered]) -> None:
    privileged = set()
    for resource, spec in pod_specs(objects):
        for container in spec["containers"] + spec.get("initContainers", []):
            if container.get("securityContext", {}).get("privileged"):
                privileged.add(container["name"])
                assert container["name"] in PRIVILEGED_ALLOWED, resource.name
    assert privileged == PRIVILEGED_ALLOWED


def test_workspace_pods_mount_no_token_and_share_nothing_with_the_host(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        assert spec["automountServiceAccountToken"] is False, resource.name
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec), resource.name


def test_workspace_containers_have_requests_and_limits(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), resource.name
            assert {"cpu", "memory"} <= set(resources["limits"]), resource.name


def test_every_image_is_pinned(objects: list[Registered]) -> None:
    images = set()
    for _, spec in pod_specs(objects):
        for container in spec["containers"]:
            images.add(container["image"])
            for variable in container.get("env", []):
                if variable["name"] == "CODER_INNER_IMAGE":
                    images.add(variable["value"])
    assert len(images) >= 6
    assert all(pinned_image(image) for image in images), images


def test_sysbox_runc_pods_use_their_own_user_namespace(objects: list[Registered]) -> None:
    runc = [(r, s) for r, s in pod_specs(objects) if s.get("runtimeClassName") == "sysbox-runc"]
    assert runc
    for resource, spec in runc:
        assert spec["hostUsers"] is False, resource.name
        assert not any(c.get("securityContext", {}).get("privileged") for c in spec["containers"])


def test_host_paths_in_workspaces_are_read_only(objects: list[Registered]) -> None:
    for resource, spec in workspace_pods(objects):
        host = {v["name"] for v in spec["volumes"] if "hostPath" in v}
        for container in spec["containers"]:
            for mount in container["volumeMounts"]:
                if mount["name"] in host:
                    assert mount.get("readOnly") is True, (resource.name, mount)
