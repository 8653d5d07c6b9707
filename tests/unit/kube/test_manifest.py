"""Pieces of plain manifests."""

from __future__ import annotations

from typing import Any

from components.kube import manifest


def test_node_patch_carries_only_our_labels() -> None:
    assert manifest.node_label_patch("n1", {"sysbox-install": "yes"}) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "labels": {"sysbox-install": "yes"}},
    }


def test_every_object_is_applied_by_its_stacks_field_manager() -> None:
    daemon_set: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": manifest.metadata("d", "ns", skip_await=True),
    }
    applied = manifest.applied_by(daemon_set, "lab")
    assert applied["metadata"]["annotations"] == {
        "pulumi.com/skipAwait": "true",
        "pulumi.com/patchFieldManager": "cvm-lab",
    }
    assert daemon_set["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}  # the builder's is left alone
    node = manifest.applied_by(manifest.node_label_patch("n1", {"a": "b"}), "other")
    assert node["metadata"] == {
        "name": "n1",
        "labels": {"a": "b"},
        "annotations": {"pulumi.com/patchFieldManager": "cvm-other"},
    }
