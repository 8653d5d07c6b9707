"""The objects around the workspace pods: their namespace and its guard rails, and each workspace's Secret,
home volume and Deployment. Pure: settings in, manifests out; which of them a stack makes is plan.py's."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from components.cvm.workspaces.inputs import SupervisorFields, WorkspaceFields
from components.cvm.workspaces.pods import (
    agent_secret_name,
    env_secret_name,
    envbox_pod,
    home_volume_name,
    placement,
    sysbox_pod,
)
from components.kube import manifest
from components.kube.names import COMPONENT_LABEL, INSTANCE_LABEL, WORKSPACE_COMPONENT

SERVICE_ACCOUNT = "cvm-workspace"


def selector(workspace: str) -> dict[str, str]:
    return {COMPONENT_LABEL: WORKSPACE_COMPONENT, INSTANCE_LABEL: workspace}


def labels(workspace: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "cvm-workspace", **selector(workspace), "app.kubernetes.io/part-of": "cvm"}


ENVBOX_SUFFIX = "-envbox"  # envbox workspaces' namespace: `<supervisor.namespace>-envbox`


def workspace_namespace(namespace: str, runtime: str) -> str:
    """Where a runtime's workspaces live: envbox ones in a namespace of their own, so that the one privileged kind
    of pod never lowers the guard of the `sysbox-runc` workspaces (docs/security.md)."""
    return f"{namespace}{ENVBOX_SUFFIX}" if runtime == "envbox" else namespace


def pod_security_level(runtime: str) -> str:
    """The least Pod Security level that admits a runtime's pods: envbox's outer container is privileged and
    mounts host paths, which only `privileged` admits; sysbox-runc pods pass `baseline` (they run as root in
    their own user namespace, which `restricted` refuses)."""
    return "privileged" if runtime == "envbox" else "baseline"


def namespace_object(namespace: str, level: str, kubernetes_minor: str) -> dict[str, Any]:
    # pinned to the cluster's minor, so that a cluster upgrade never changes what is admitted here silently;
    # warn and audit at the same level, so that a refused pod is also seen in warnings and the audit log
    security = {
        f"pod-security.kubernetes.io/{mode}{suffix}": value
        for mode in ("enforce", "warn", "audit")
        for suffix, value in (("", level), ("-version", f"v{kubernetes_minor}"))
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace,
            # workspaces get no sidecars: legacy cluster-wide proxies are not supported (Coder CVM docs)
            "labels": {**security, "istio-injection": "disabled"},
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


# What a workspace may not reach beyond DNS: the cluster (pods, services, nodes and their kubelets, an API
# server on a private address) lives in private, shared and link-local ranges, and the clouds' metadata
# servers at 169.254.169.254 (and fd00:ec2::254 on EKS). RFC 1918, RFC 6598, RFC 3927, RFC 4193, RFC 4291.
PRIVATE_IPV4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8")
PRIVATE_IPV6 = ("fc00::/7", "fe80::/10", "::1/128")
# DNS: the cluster's resolver pods, NodeLocal DNSCache's link-local address, and GKE's Cloud DNS, which
# answers on the metadata address (port 53 only: the metadata API itself is on 80).
DNS = [
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    },
    {"ipBlock": {"cidr": "169.254.20.10/32"}},
    {"ipBlock": {"cidr": "169.254.169.254/32"}},
]
# <service>.<namespace>.svc, optionally followed by the cluster domain
_IN_CLUSTER = re.compile(r"[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?")


def _coder_destination(coder_url: str | None) -> list[dict[str, Any]]:
    """A rule for a Coder that the internet rule does not cover: an in-cluster Service or a private address.
    A public Coder needs none; a private one behind a host name cannot be known here (docs/security.md)."""
    if coder_url is None:
        return []
    url = urlsplit(coder_url)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    in_cluster = _IN_CLUSTER.fullmatch(host)
    if in_cluster:
        # no port: a policy sees the Coder pod's port, which its Service may map (Coder's chart: 80 -> 8080)
        namespace = {"kubernetes.io/metadata.name": in_cluster[1]}
        return [{"to": [{"namespaceSelector": {"matchLabels": namespace}}]}]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return []
    ports = [{"protocol": "TCP", "port": port}]
    if address.is_global:
        return []
    return [{"to": [{"ipBlock": {"cidr": f"{address}/{address.max_prefixlen}"}}], "ports": ports}]


def limit_egress(namespace: str, coder_url: str | None) -> dict[str, Any]:
    """Workspaces reach DNS, the internet and Coder, and nothing of the cluster or the node."""
    internet = [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_IPV4)}},
        {"ipBlock": {"cidr": "::/0", "except": list(PRIVATE_IPV6)}},
    ]
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-limit-egress", "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": {COMPONENT_LABEL: WORKSPACE_COMPONENT}},
            "policyTypes": ["Egress"],
            "egress": [{"to": DNS, "ports": dns_ports}, {"to": internet}, *_coder_destination(coder_url)],
        },
    }


def service_account(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
        "automountServiceAccountToken": False,
    }


def agent_secret(namespace: str, workspace: WorkspaceFields, token: Any) -> dict[str, Any]:
    """The Coder agent token, which reaches the pod only through this Secret. `token` may be a secret Output."""
    metadata = {"name": agent_secret_name(workspace.name), "namespace": namespace, "labels": labels(workspace.name)}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "stringData": {"token": token},
    }


def env_secret(namespace: str, workspace: WorkspaceFields, values: dict[str, Any]) -> dict[str, Any]:
    """The workspace's secret variables (secretEnv), which reach the pod only through this Secret. `values` may
    be secret Outputs."""
    metadata = {"name": env_secret_name(workspace.name), "namespace": namespace, "labels": labels(workspace.name)}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque", "stringData": values}


def home_volume(
    namespace: str, workspace: WorkspaceFields, storage_class: str | None, skip_await: bool
) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace.disk}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    metadata = manifest.metadata(home_volume_name(workspace.name), namespace, labels(workspace.name), skip_await)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def workload(
    namespace: str,
    workspace: WorkspaceFields,
    supervisor: SupervisorFields,
    is_canary: bool = False,
    skip_await: bool = False,
    bootstrap: str | None = None,
) -> dict[str, Any]:
    """The single-replica Deployment of one workspace (`bootstrap`: as `envbox_pod` takes it)."""
    if workspace.runtime == "envbox":
        pod = envbox_pod(workspace, supervisor, is_canary, bootstrap)
    else:
        pod = sysbox_pod(workspace, supervisor.coder_url_text, is_canary)
    pod = {
        **placement(workspace),
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
