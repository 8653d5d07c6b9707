"""Plain Kubernetes manifests -> typed pulumi_kubernetes resources.

The pure builders elsewhere return manifests as plain dicts (camelCase, as `kubectl apply` takes them); this
module is the one place that turns such a dict into a resource, and that makes a cluster's provider. Nested
dicts pass through to the provider unchanged, so a manifest reads exactly like the upstream YAML it follows.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, TypeVar, overload

import pulumi
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake

from components.kube.manifest import applied_by, logical_name
from components.lasting import lasting

# (apiVersion, kind) -> the resource class's module under pulumi_kubernetes and its name, for the kinds this
# program creates. Each module of the SDK's generated types costs tens of milliseconds to import, and a stack
# loads only those it uses (the StorageClass is EKS's alone; docs/performance.md).
_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "ConfigMap"): ("core.v1", "ConfigMap"),
    ("v1", "Namespace"): ("core.v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"): ("core.v1", "PersistentVolumeClaim"),
    ("v1", "Secret"): ("core.v1", "Secret"),
    ("v1", "ServiceAccount"): ("core.v1", "ServiceAccount"),
    ("v1", "Node"): ("core.v1", "NodePatch"),
    ("apps/v1", "DaemonSet"): ("apps.v1", "DaemonSet"),
    ("apps/v1", "Deployment"): ("apps.v1", "Deployment"),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networking.v1", "NetworkPolicy"),
    ("node.k8s.io/v1", "RuntimeClass"): ("node.v1", "RuntimeClass"),
    ("storage.k8s.io/v1", "StorageClass"): ("storage.v1", "StorageClass"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("rbac.v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("rbac.v1", "ClusterRoleBinding"),
}


@functools.cache
def _resource_class(api_version: str, kind: str) -> type[pulumi.CustomResource]:
    module, name = _KINDS[(api_version, kind)]
    with lasting():  # the SDK's own lazy import of the module happens at the class's look-up
        cls: type[pulumi.CustomResource] = getattr(importlib.import_module(f"pulumi_kubernetes.{module}"), name)
    return cls


def provider(
    name: str,
    kubeconfig: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    context: pulumi.Input[str | None] = None,
) -> k8s.Provider:
    """A cluster's explicit provider. Server-side apply, which the node patches need (and v4's default)."""
    return k8s.Provider(
        f"{name}-provider", kubeconfig=kubeconfig, context=context, enable_server_side_apply=True, opts=opts
    )


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _: value


R = TypeVar("R", bound=pulumi.CustomResource)


@overload
def create(
    manifest: dict[str, Any], opts: pulumi.ResourceOptions, gate: pulumi.Output[Any] | None = None
) -> pulumi.CustomResource: ...
@overload
def create(
    manifest: dict[str, Any], opts: pulumi.ResourceOptions, gate: pulumi.Output[Any] | None = None, *, kind: type[R]
) -> R: ...
def create(
    manifest: dict[str, Any],
    opts: pulumi.ResourceOptions,
    gate: pulumi.Output[Any] | None = None,
    *,
    kind: type[pulumi.CustomResource] = pulumi.CustomResource,
) -> pulumi.CustomResource:
    """Register one manifest as the typed resource for its kind, applied by the stack's field manager; a Node
    manifest becomes a server-side-apply patch. With a `gate`, the object's fields wait for it: a refusal raised
    there stops the run before the object is sent, even on `up` (a dependency alone would not keep it from being
    created while the gate is still being read). A caller that reads the resource's fields names its class as
    `kind` (`k8s.node.v1.RuntimeClass`), and gets it typed so; a manifest of another kind is refused."""
    cls = _resource_class(manifest["apiVersion"], manifest["kind"])
    if not issubclass(cls, kind):
        raise TypeError(f"a {manifest['kind']} manifest registers a {cls.__name__}, not a {kind.__name__}")
    applied = applied_by(manifest, pulumi.get_stack())
    fields = {to_snake(k): v for k, v in applied.items() if k not in ("apiVersion", "kind")}
    if gate is not None:
        fields = {k: gate.apply(_constant(v)) for k, v in fields.items()}
    resource: pulumi.CustomResource = cls(logical_name(manifest), **fields, opts=opts)
    return resource
