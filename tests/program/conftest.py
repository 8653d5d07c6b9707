"""Fixtures for the tests that run `__main__.py` under the SDK's mocks (tests/harness.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import CLOUDS, ENVBOX_ONLY, FULL, KUBECONFIG, SECRET_KEYS, Run, run_program


@pytest.fixture(scope="session", autouse=True)
def ambient_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A kubeconfig where kubectl would look, so that runs never read the developer's own."""
    path = tmp_path_factory.mktemp("ambient") / "kubeconfig"
    path.write_text(KUBECONFIG)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(path))
        yield path


@pytest.fixture(scope="session")
def full_stack() -> Run:
    """The issue's full bare-metal stack (harness.FULL), run once for the session; tests only read it."""
    return run_program(FULL, SECRET_KEYS)


@pytest.fixture(scope="session")
def envbox_only_stack() -> Run:
    return run_program(ENVBOX_ONLY, SECRET_KEYS)


@pytest.fixture(scope="session")
def cloud_stack() -> Callable[[str], Run]:
    """Each cloud's stack with only its required keys, run once for the session."""
    return functools.cache(lambda platform: run_program(CLOUDS[platform]))


@pytest.fixture(params=list(CLOUDS), ids=list(CLOUDS))
def cloud(request: pytest.FixtureRequest, cloud_stack: Callable[[str], Run]) -> tuple[str, Run]:
    return request.param, cloud_stack(request.param)


# What the CVM layer registers on every platform: the Sysbox installer and runtime, and the workspaces' frame.
SYSBOX_OBJECTS = {
    ("kubernetes:core/v1:ServiceAccount", "kube-system/sysbox-label-node"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "sysbox-node-labeler"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "sysbox-label-node-rb"),
    ("kubernetes:core/v1:ConfigMap", "kube-system/sysbox-operational-attributes"),
    ("kubernetes:apps/v1:DaemonSet", "kube-system/sysbox-deploy-k8s"),
    ("kubernetes:node.k8s.io/v1:RuntimeClass", "sysbox-runc"),
}


def namespace_frame(namespace: str) -> set[tuple[str, str]]:
    """(type, name) of a workspace namespace and its guard rails: no ingress, limited egress, a tokenless account."""
    return {
        ("kubernetes:core/v1:Namespace", namespace),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{namespace}/cvm-workspaces-deny-ingress"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{namespace}/cvm-workspaces-limit-egress"),
        ("kubernetes:core/v1:ServiceAccount", f"{namespace}/cvm-workspace"),
    }


SUPERVISOR_OBJECTS = namespace_frame("cvm-workspaces") | {
    ("kubernetes:apps/v1:Deployment", "cvm-workspaces/cvm-canary")
}


@pytest.fixture(scope="session")
def sysbox_objects() -> set[tuple[str, str]]:
    """(type, name) of what the Sysbox layer registers."""
    return SYSBOX_OBJECTS


@pytest.fixture(scope="session")
def supervisor_objects() -> set[tuple[str, str]]:
    """(type, name) of what a supervisor without workspaces registers: its namespace, guard rails and the canary."""
    return SUPERVISOR_OBJECTS


@pytest.fixture(scope="session")
def frame() -> Callable[[str], set[tuple[str, str]]]:
    """(type, name) of what any workspace namespace holds besides workspaces: it, and its guard rails."""
    return namespace_frame


@pytest.fixture(scope="session")
def bare_metal() -> Callable[..., Run]:
    """Runs a bare-metal stack on the ambient kubeconfig with `config` on top of the platform."""

    def run(**config: Any) -> Run:
        return run_program({"platform": "baremetal", **config}, secret_keys=("baremetal",))

    return run
