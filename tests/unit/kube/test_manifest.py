"""Pieces of plain manifests."""

from __future__ import annotations

from components.kube import manifest


def test_node_patch_carries_only_our_labels() -> None:
    assert manifest.node_label_patch("n1", {"sysbox-install": "yes"}) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "labels": {"sysbox-install": "yes"}},
    }
