"""Every Kubernetes object the program creates, validated strictly (unknown fields fail) against the OpenAPI
schema of each Kubernetes minor the program supports, with kubernetes-validate."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from components import sysbox, versions
from tests.harness import Registered, run_program
from tests.test_settings import KUBECONFIG

SUPPORTED_MINORS = sorted({m for p in versions.PLATFORMS.values() for m in p.kubernetes if m >= p.floor})


def program_objects() -> list[Registered]:
    """What a bare-metal stack with every option on registers, as the API server would receive it."""
    config = {
        "platform": "baremetal",
        "skipAwait": True,
        "baremetal": {"kubeconfig": KUBECONFIG, "nodes": ["node-a", "node-b"]},
    }
    return run_program(config, secret_keys=("baremetal",)).kubernetes_objects


@pytest.fixture(scope="module")
def objects() -> list[Registered]:
    return program_objects()


def validate(manifest: dict[str, Any], minor: str) -> None:
    try:
        kubernetes_validate.validate(manifest, minor, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(p) for p in error.path)
        pytest.fail(
            f"{manifest['kind']} {manifest['metadata'].get('name')} invalid for {minor} at {path}: {error.message}"
        )


def test_supported_minors_cover_the_issue() -> None:
    assert {"1.32", "1.33", "1.34", "1.35"} <= {str(m) for m in SUPPORTED_MINORS}


@pytest.mark.parametrize("minor", [str(m) for m in SUPPORTED_MINORS])
def test_program_objects_are_valid(objects: list[Registered], minor: str) -> None:
    assert len(objects) == 8  # six Sysbox objects and two node patches
    for resource in objects:
        validate(resource.manifest, minor)


@pytest.mark.parametrize("release", versions.SYSBOX_RELEASES.values(), ids=versions.SYSBOX_RELEASES.keys())
def test_each_release_is_valid_in_its_window(release: versions.SysboxRelease) -> None:
    for minor in release.kubernetes:
        for manifest in sysbox.manifests(release, skip_await=False):
            validate(manifest, str(minor))


def test_strict_validation_catches_unknown_fields() -> None:
    """The check itself can fail: a misspelt field is refused."""
    manifest = sysbox.manifests(versions.SYSBOX_RELEASES["0.7.1"])[-1]
    broken = {**manifest, "handlr": "sysbox-runc"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.35", strict=True)
