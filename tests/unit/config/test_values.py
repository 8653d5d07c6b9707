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
def test_pinned_images(reference: str, *, pinned: bool) -> None:
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


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        # the examples (issue 24), refused by the distribution reference grammar
        ("-bad..host/x:1", "is not an image reference"),
        ("../x:1", "is not an image reference"),
        ("ghcr.io:99999/a/b:1", "has port 99999, not 1-65535"),
        ("ghcr.io:0/a/b:1", "has port 0, not 1-65535"),
        ("ghcr.io/" + "a" * 300 + ":1", "has a repository of 300 characters, more than 255"),
        ("ghcr.io/a:" + "t" * 129, "is not an image reference"),
        ("x" * 5_000_000 + ":1", "is not an image reference"),
        ("ghcr.io/a:latest", "untagged and ':latest' are refused"),
    ],
)
def test_image_references_follow_the_distribution_grammar(
    reference: str, words: str, problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(image=reference)]}})
    assert words in found["cvm:supervisor.workspaces[0].image"]
    assert len(found["cvm:supervisor.workspaces[0].image"]) < 600


@pytest.mark.parametrize(
    "reference",
    ["[::1]:5000/team/ws:1", "registry-1.docker.io:443/library/ubuntu:24.04", "a/" * 100 + "b:1", "a__b.c--d/e:T_1"],
)
def test_references_the_grammar_accepts(reference: str) -> None:
    assert pinned_image(reference)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("memory", "1", "must be a quantity of bytes with its unit"),
        ("memory", "5Mi", "must be between 512Mi and 4Ti of memory"),
        ("memory", "600m", "must be a quantity of bytes with its unit"),
        ("disk", "1", "must be a quantity of bytes with its unit"),
        ("disk", "512Mi", "must be between 1Gi and 64Ti of disk"),
        ("disk", "65Ti", "must be between 1Gi and 64Ti of disk"),
        ("cpus", True, "must be a whole number, not true or false"),
        ("gpus", False, "must be a whole number, not true or false"),
    ],
)
def test_workspace_sizes_are_sane(
    field: str,
    value: Any,
    words: str,
    problems: Callable[..., dict[str, str]],
    workspace: Callable[..., dict[str, Any]],
) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(**{field: value})]}})
    assert words in found[f"cvm:supervisor.workspaces[0].{field}"]


@pytest.mark.parametrize(("memory", "disk"), [("512Mi", "1Gi"), ("4Gi", "20G"), ("1.5Gi", "64Ti")])
def test_sane_sizes_are_accepted(
    memory: str, disk: str, load: Callable[..., Settings], workspace: Callable[..., dict[str, Any]]
) -> None:
    settings = load({"platform": "baremetal", "supervisor": {"workspaces": [workspace(memory=memory, disk=disk)]}})
    assert (settings.supervisor.workspaces[0].memory, settings.supervisor.workspaces[0].disk) == (memory, disk)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"platform": "eks", "eks": {"region": "eu-west-1", "desiredSize": True}}, "cvm:eks.desiredSize"),
        ({"platform": "gke", "gke": {"location": "europe-west4", "nodeCount": True}}, "cvm:gke.nodeCount"),
    ],
)
def test_node_counts_are_never_booleans(
    config: dict[str, Any], key: str, problems: Callable[..., dict[str, str]]
) -> None:
    assert "must be a whole number, not true or false" in problems(config)[key]


def test_storage_class_names_are_bounded(problems: Callable[..., dict[str, str]]) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"storageClass": "a" * 300}})
    assert "a DNS subdomain of at most 253 characters" in found["cvm:supervisor.storageClass"]


@pytest.mark.parametrize(
    "name", ["PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "HOME", "DOCKER_HOST", "CODER_AGENT_TOKEN", "ENVBOX_X", "path"]
)
def test_inner_env_cannot_change_the_privileged_container(
    name: str, problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(innerEnv={name: "x"})]}})
    assert "would change envbox's privileged container" in found[f"cvm:supervisor.workspaces[0].innerEnv.{name}"]


def test_inner_env_is_bounded_to_what_a_deployment_holds(
    problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    """1,000 values of 4 KiB would make a 4 MB Deployment the API server refuses (issue 24)."""
    inner = {f"V{i}": "x" * 4096 for i in range(1000)}
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(innerEnv=inner)]}})
    assert "more than 256 KiB" in found["cvm:supervisor.workspaces[0].innerEnv"]
    assert len(found["cvm:supervisor.workspaces[0].innerEnv"]) < 400


def test_inner_env_of_ordinary_variables_is_accepted(
    load: Callable[..., Settings], workspace: Callable[..., dict[str, Any]]
) -> None:
    inner = {"EDITOR": "vim", "GOPATH": "/home/coder/go", "HTTPS_PROXY": "http://proxy:3128"}
    settings = load({"platform": "baremetal", "supervisor": {"workspaces": [workspace(innerEnv=inner)]}})
    assert settings.supervisor.workspaces[0].inner_env == inner
