"""The objects around the workspace pods: their namespace and its guard rails, and each workspace's Secrets,
home volume and Deployment. Pure renderers: a resolved namespace or workspace (resolved.py) in, manifests out;
which of them a stack makes is the resolver's (resolve.py), how they stand to each other plan.py's."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from components.cvm.workspaces.pods import POD
from components.cvm.workspaces.resolved import ResolvedWorkspace
from components.facts import network
from components.facts.platforms import Platform
from components.kube import manifest
from components.kube.names import (
    COMPONENT_LABEL,
    DENY_INGRESS_POLICY,
    LIMIT_EGRESS_POLICY,
    SYSTEM_NAMESPACE,
    WORKSPACE_COMPONENT,
    WORKSPACE_SERVICE_ACCOUNT,
    workspace_labels,
    workspace_selector,
)


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
        "metadata": {"name": DENY_INGRESS_POLICY, "namespace": namespace},
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
        "metadata": {"name": LIMIT_EGRESS_POLICY, "namespace": namespace},
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
        "metadata": {"name": WORKSPACE_SERVICE_ACCOUNT, "namespace": namespace},
        "automountServiceAccountToken": False,
    }


def agent_secret(workspace: ResolvedWorkspace, token: Any) -> dict[str, Any]:
    """The Coder agent token, which reaches the pod only through this Secret. `token` may be a secret Output."""
    return _secret(workspace, workspace.token_secret, {"token": token})


def env_secret(workspace: ResolvedWorkspace, values: dict[str, Any]) -> dict[str, Any]:
    """The workspace's secret variables (secretEnv), which reach the pod only through this Secret. `values` may
    be secret Outputs."""
    return _secret(workspace, workspace.env_secret, values)


def _secret(workspace: ResolvedWorkspace, name: str | None, values: dict[str, Any]) -> dict[str, Any]:
    assert name is not None, f"{workspace.name} has no such Secret"
    metadata = {"name": name, "namespace": workspace.namespace, "labels": workspace_labels(workspace.name)}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque", "stringData": values}


def home_volume(workspace: ResolvedWorkspace) -> dict[str, Any]:
    """A workspace's home claim. Never awaited: the provider's create wait for a claim whose class binds on first
    use (the clouds' defaults, and `local-path`) is "phase Pending", which a bound home adopted again (a workspace
    added back) never shows, so the run failed after 5 minutes (pulumi-kubernetes provider/pkg/await/awaiters.go
    `untilCoreV1PersistentVolumeClaimReady`, at 94977969d); and 4.25.0 times out on any update of a bound claim
    (pulumi/pulumi-kubernetes#4179, fixed by #4181). The Deployment's wait covers it: its pod is Ready only with
    its home bound."""
    storage = workspace.storage
    assert storage.claim is not None, f"{workspace.name} has no home claim"
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage.size}}}
    if storage.storage_class is not None:
        spec["storageClassName"] = storage.storage_class
    labels = workspace_labels(workspace.name)
    metadata = manifest.metadata(storage.claim, workspace.namespace, labels, skip_await=True)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def workload(workspace: ResolvedWorkspace) -> dict[str, Any]:
    """The single-replica Deployment of one workspace."""
    labels = workspace_labels(workspace.name)
    template: dict[str, Any] = {"labels": labels}
    if workspace.pod_annotations:
        template["annotations"] = dict(workspace.pod_annotations)
    pod = {
        "nodeSelector": dict(workspace.placement.node_selector),
        "tolerations": [dict(t) for t in workspace.placement.tolerations],
        "serviceAccountName": WORKSPACE_SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        **POD[workspace.runtime](workspace),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": manifest.metadata(workspace.name, workspace.namespace, labels, skip_await=workspace.skip_await),
        "spec": {
            "replicas": 1,
            # the home volume is ReadWriteOnce: the old pod must go before the new one starts
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": workspace_selector(workspace.name)},
            "template": {"metadata": template, "spec": pod},
        },
    }
