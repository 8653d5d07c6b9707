"""Value rules: block storage only, pinned images, and the values a workspace takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Settings
from components.config.values import pinned_image


@pytest.mark.parametrize(
    "name", ["nfs-csi", "nfs-client", "efs-sc", "standard-rwx", "premium-rwx", "filestore-sc", "azurefile-csi-nfs"]
)
def test_nfs_storage_classes_are_refused(name: str, problems: Callable[..., dict[str, str]]) -> None:
    assert (
        "NFS"
        in problems({"platform": "baremetal", "supervisor": {"storageClass": name}})["cvm:supervisor.storageClass"]
    )


@pytest.mark.parametrize("name", ["standard-rwo", "premium-rwo", "gp3", "managed-csi", "local-path", "ceph-rbd"])
def test_block_storage_classes_are_accepted(name: str, load: Callable[..., Settings]) -> None:
    assert load({"platform": "baremetal", "supervisor": {"storageClass": name}}).supervisor.storage_class == name


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("ghcr.io/coder/envbox:0.6.7", True),
        ("ubuntu:24.04", True),
        ("localhost:5000/team/ws:2026.11", True),
        ("ghcr.io/acme/ws@sha256:" + "a" * 64, True),
        ("ghcr.io/acme/ws:1.0@sha256:" + "b" * 64, True),
        ("ghcr.io/coder/envbox", False),
        ("ghcr.io/coder/envbox:latest", False),
        ("localhost:5000/team/ws", False),
        ("Ghcr.io/Acme/WS:1", False),
        ("", False),
    ],
)
def test_pinned_images(reference: str, pinned: bool) -> None:
    assert pinned_image(reference) is pinned


def test_images_must_be_pinned(
    problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    found = problems(
        {
            "platform": "baremetal",
            "supervisor": {"envboxImage": "ghcr.io/coder/envbox:latest", "workspaces": [workspace(image="ubuntu")]},
        }
    )
    assert {"cvm:supervisor.envboxImage", "cvm:supervisor.workspaces[0].image"} <= set(found)


def test_workspace_values(problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]) -> None:
    found = problems(
        {
            "platform": "baremetal",
            "supervisor": {
                "workspaces": [workspace(cpus=0, memory="4 GB", disk="-1Gi", username="Root", runtime="runc")]
            },
        }
    )
    prefix = "cvm:supervisor.workspaces[0]."
    assert {f"{prefix}{k}" for k in ("cpus", "memory", "disk", "username", "runtime")} <= set(found)
    assert "'envbox' or 'sysbox-runc'" in found[f"{prefix}runtime"]
