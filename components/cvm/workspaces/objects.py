"""The objects around the workspace pods: their namespace and its guard rails, and each workspace's Secret,
home volume and Deployment. Pure: settings in, manifests out."""

from __future__ import annotations

from typing import Any

from components import versions
from components.config import Supervisor, Workspace
from components.cvm.workspaces.pods import agent_secret_name, envbox_pod, home_volume_name, sysbox_pod
from components.kube import manifest
from components.kube.names import CANARY_NAME, COMPONENT_LABEL, INSTANCE_LABEL, WORKSPACE_COMPONENT

SERVICE_ACCOUNT = "cvm-workspace"


def canary(sysbox_enabled: bool) -> Workspace:
    """The canary workspace: under sysbox-runc where this stack installs Sysbox (it proves the installer, the
    RuntimeClass and the node runtime), else under envbox. Ephemeral: it keeps no volume."""
    return Workspace.model_validate(
        {
            "name": CANARY_NAME,
            "image": versions.CANARY_IMAGE,
            "runtime": "sysbox-runc" if sysbox_enabled else "envbox",
            "cpus": 1,
            "memory": "2Gi",
        }
    )


def selector(workspace: str) -> dict[str, str]:
    return {COMPONENT_LABEL: WORKSPACE_COMPONENT, INSTANCE_LABEL: workspace}


def labels(workspace: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "cvm-workspace", **selector(workspace), "app.kubernetes.io/part-of": "cvm"}


def pod_security_level(workspaces: list[Workspace]) -> str:
    """The least Pod Security level that admits the workspaces: envbox's outer container is privileged and
    mounts host paths, which only `privileged` admits; sysbox-runc pods pass `baseline` (they run as root in
    their own user namespace, which `restricted` refuses)."""
    return "privileged" if any(w.runtime == "envbox" for w in workspaces) else "baseline"


def namespace_object(namespace: str, level: str, kubernetes_minor: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace,
            "labels": {
                "pod-security.kubernetes.io/enforce": level,
                # pinned, so that a cluster upgrade never changes what is admitted here silently
                "pod-security.kubernetes.io/enforce-version": f"v{kubernetes_minor}",
                # workspaces get no sidecars: legacy cluster-wide proxies are not supported (Coder CVM docs)
                "istio-injection": "disabled",
            },
        },
    }


def deny_ingress(namespace: str) -> dict[str, Any]:
    """No inbound traffic to workspaces: the Coder agent dials out, nothing needs to dial in."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-deny-ingress", "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": {COMPONENT_LABEL: WORKSPACE_COMPONENT}},
            "policyTypes": ["Ingress"],
        },
    }


def service_account(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
        "automountServiceAccountToken": False,
    }


def agent_secret(namespace: str, workspace: Workspace, token: Any) -> dict[str, Any]:
    """The Coder agent token, which reaches the pod only through this Secret. `token` may be a secret Output."""
    metadata = {"name": agent_secret_name(workspace.name), "namespace": namespace, "labels": labels(workspace.name)}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "stringData": {"token": token},
    }


def home_volume(namespace: str, workspace: Workspace, storage_class: str | None, skip_await: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace.disk}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    metadata = manifest.metadata(home_volume_name(workspace.name), namespace, labels(workspace.name), skip_await)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def workload(
    namespace: str, workspace: Workspace, supervisor: Supervisor, is_canary: bool = False, skip_await: bool = False
) -> dict[str, Any]:
    """The single-replica Deployment of one workspace."""
    if workspace.runtime == "envbox":
        pod = envbox_pod(workspace, supervisor.envbox_image, supervisor.coder_url_text, is_canary)
    else:
        pod = sysbox_pod(workspace, supervisor.coder_url_text, is_canary)
    pod = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        **pod,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": manifest.metadata(workspace.name, namespace, labels(workspace.name), skip_await),
        "spec": {
            "replicas": 1,
            # the home volume is ReadWriteOnce: the old pod must go before the new one starts
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector(workspace.name)},
            "template": {"metadata": {"labels": labels(workspace.name)}, "spec": pod},
        },
    }
