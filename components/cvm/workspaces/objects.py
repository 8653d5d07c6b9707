"""The objects around the workspace pods: their namespace and its guard rails, and each workspace's Secret,
home volume and Deployment. Pure: settings in, manifests out; which of them a stack makes is plan.py's."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from packaging.version import Version

from components.cvm.workspaces.inputs import SupervisorFields, WorkspaceFields
from components.cvm.workspaces.pods import (
    agent_secret_name,
    env_secret_name,
    envbox_pod,
    home_volume_name,
    placement,
    sysbox_pod,
)
from components.facts import compatibility, network
from components.facts.platforms import Platform
from components.kube import manifest
from components.kube.names import COMPONENT_LABEL, INSTANCE_LABEL, SYSTEM_NAMESPACE, WORKSPACE_COMPONENT

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


def dns_addresses(platform: Platform) -> tuple[str, ...]:
    """The addresses where a node-local resolver may answer a workspace's DNS, reached on port 53 alone:
    NodeLocal DNSCache's link-local address and the kube-dns ClusterIP it also binds, AKS LocalDNS's, and on GKE
    the metadata address, where Cloud DNS answers (its API is on port 80). components/facts/network.py says why."""
    return (
        network.NODELOCAL_DNS,
        *network.KUBE_DNS_ADDRESSES[platform],
        *(network.AKS_LOCALDNS if platform == "aks" else ()),
        *((network.GKE_CLOUD_DNS,) if platform == "gke" else ()),
    )


def _dns(platform: Platform) -> list[dict[str, Any]]:
    """Where a workspace's DNS is answered: the cluster's resolver pods, and the node-local resolvers' addresses."""
    return [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": SYSTEM_NAMESPACE}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        },
        *({"ipBlock": {"cidr": f"{address}/32"}} for address in dns_addresses(platform)),
    ]


# The ports a Coder pod listens on behind its Service, by scheme: the policy sees the pod's port, which the
# Service maps (Coder's Helm chart maps 80 -> "http", 8080, and 443 -> "https", 8443: coder/coder
# helm/coder/templates/service.yaml at 0e8b89a5, _coder.tpl at 0135f29c).
CODER_POD_PORTS = {"http": 8080, "https": 8443}


def _coder_destination(coder_url: str | None) -> list[dict[str, Any]]:
    """A rule for a Coder that the internet rule does not cover: an in-cluster Service (its namespace, on its
    port and the Coder pod's) or a private address (that address, on its port). A Coder behind a public name or
    address needs none; a private one behind a host name cannot be known here (docs/security.md). The config
    refuses every other target (components/config/urls.py)."""
    if coder_url is None:
        return []
    url = urlsplit(coder_url)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    namespace = network.service_namespace(host)
    if namespace is not None:
        ports = [{"protocol": "TCP", "port": p} for p in sorted({port, CODER_POD_PORTS[url.scheme]})]
        selected = {"kubernetes.io/metadata.name": namespace}
        return [{"to": [{"namespaceSelector": {"matchLabels": selected}}], "ports": ports}]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return []
    if not network.private(address):
        return []
    cidr = f"{address}/{address.max_prefixlen}"
    return [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": port}]}]


def limit_egress(namespace: str, coder_url: str | None, platform: Platform) -> dict[str, Any]:
    """Workspaces reach DNS, the internet and Coder, and nothing of the cluster, the node or the cloud's own
    servers: the internet is every address but the private and special-purpose blocks and Azure's WireServer
    (components/facts/network.py)."""
    internet = [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(network.NOT_INTERNET_IPV4)}},
        {"ipBlock": {"cidr": "::/0", "except": list(network.NOT_INTERNET_IPV6)}},
    ]
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-limit-egress", "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": {COMPONENT_LABEL: WORKSPACE_COMPONENT}},
            "policyTypes": ["Egress"],
            "egress": [{"to": _dns(platform), "ports": dns_ports}, {"to": internet}, *_coder_destination(coder_url)],
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


def home_volume(namespace: str, workspace: WorkspaceFields, storage_class: str | None) -> dict[str, Any]:
    """A workspace's home claim. Never awaited: the provider's create wait for a claim whose class binds on first
    use (the clouds' defaults, and `local-path`) is "phase Pending", which a bound home adopted again (a workspace
    added back) never shows, so the run failed after 5 minutes (pulumi-kubernetes provider/pkg/await/awaiters.go
    `untilCoreV1PersistentVolumeClaimReady`, at 94977969d); and 4.25.0 times out on any update of a bound claim
    (pulumi/pulumi-kubernetes#4179, fixed by #4181). The Deployment's wait covers it: its pod is Ready only with
    its home bound."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace.disk}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    metadata = manifest.metadata(home_volume_name(workspace.name), namespace, labels(workspace.name), skip_await=True)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def workload(
    namespace: str,
    workspace: WorkspaceFields,
    supervisor: SupervisorFields,
    is_canary: bool = False,
    skip_await: bool = False,
    bootstrap: str | None = None,
    *,
    kubernetes_minor: str,
) -> dict[str, Any]:
    """The single-replica Deployment of one workspace (`bootstrap`: as `envbox_pod` takes it) on a cluster of
    `kubernetes_minor`."""
    template: dict[str, Any] = {"labels": labels(workspace.name)}
    if workspace.runtime == "envbox":
        pod = envbox_pod(workspace, supervisor, is_canary, bootstrap)
    else:
        pod = sysbox_pod(workspace, supervisor.coder_url_text, is_canary, supervisor.ca_certificates)
        annotations = compatibility.sysbox_pod_annotations(Version(kubernetes_minor))
        template.update({"annotations": annotations} if annotations else {})
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
        "metadata": manifest.metadata(workspace.name, namespace, labels(workspace.name), skip_await=skip_await),
        "spec": {
            "replicas": 1,
            # the home volume is ReadWriteOnce: the old pod must go before the new one starts
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector(workspace.name)},
            "template": {"metadata": template, "spec": pod},
        },
    }
