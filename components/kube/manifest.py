"""Pieces of plain manifests that every builder shares (pure; the SDK is `resources`' business)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Pulumi's Kubernetes provider reads the annotations under this prefix (pulumi-kubernetes
# provider/pkg/metadata/annotations.go); no other tool gives them a meaning.
PULUMI_PREFIX = "pulumi.com/"
SKIP_AWAIT = {f"{PULUMI_PREFIX}skipAwait": "true"}
# The annotation that names the provider's server-side-apply field manager (AnnotationPatchFieldManager there).
FIELD_MANAGER = f"{PULUMI_PREFIX}patchFieldManager"


def metadata(
    name: str, namespace: str | None = None, labels: Mapping[str, str] | None = None, *, skip_await: bool = False
) -> dict[str, Any]:
    """Object metadata; `skip_await` tells Pulumi not to wait for the object to become ready (cvm:skipAwait)."""
    result: dict[str, Any] = {"name": name}
    if namespace is not None:
        result["namespace"] = namespace
    if labels:
        result["labels"] = dict(labels)
    if skip_await:
        result["annotations"] = dict(SKIP_AWAIT)
    return result


def applied_by(manifest: Mapping[str, Any], stack: str) -> dict[str, Any]:
    """The manifest, applied by the stack's own field manager, `cvm-<stack>`.

    Without it the provider names a new random manager at each create, so an object that an interrupted `up`
    made, and so its state never recorded, is applied again by another manager on the rerun: the two conflict
    on atomic fields the server defaulted (a DaemonSet's `fieldRef`), and the first keeps fields the program
    no longer sets. One name per stack lets the rerun re-adopt it, while two stacks applying the same object
    still conflict (docs/performance.md, "At scale")."""
    meta = manifest["metadata"]
    annotations = {**meta.get("annotations", {}), FIELD_MANAGER: f"cvm-{stack}"}
    return {**manifest, "metadata": {**meta, "annotations": annotations}}


def node_label_patch(node: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A Node manifest carrying only the labels we manage; applied as a patch, never as the whole Node."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": dict(labels)}}


def logical_name(manifest: Mapping[str, Any]) -> str:
    """The Pulumi name of an object: its Kubernetes identity, `namespace/name` or `name`."""
    meta = manifest["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if "namespace" in meta else str(meta["name"])


def toleration(key: str) -> dict[str, str]:
    """Tolerate a node taint `key` of any value that keeps other pods from being scheduled there."""
    return {"key": key, "operator": "Exists", "effect": "NoSchedule"}
