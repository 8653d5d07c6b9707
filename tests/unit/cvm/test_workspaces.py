"""The workspaces' pure builders."""

from __future__ import annotations

from components.config import Workspace
from components.cvm.workspaces import objects, pods


def test_pod_security_level() -> None:
    envbox = Workspace.model_validate({"name": "a", "image": "u:1"})
    runc = Workspace.model_validate({"name": "b", "image": "u:1", "runtime": "sysbox-runc"})
    assert objects.pod_security_level([runc]) == "baseline"
    assert objects.pod_security_level([]) == "baseline"
    assert objects.pod_security_level([runc, envbox]) == "privileged"


def test_root_home() -> None:
    assert pods.home_dir("root") == "/root" and pods.home_dir("dev") == "/home/dev"
