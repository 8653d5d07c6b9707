"""Namespaces that belong to Kubernetes, the clouds or common cluster add-ons: workspaces must not live in them.

A workspace namespace gets cvm's Pod Security labels and NetworkPolicies and is retained on delete; sharing one
with a system component would relabel and fence that component, and deleting the stack would leave it behind.
"""

from __future__ import annotations

# Whole names, each with where it comes from.
RESERVED = {
    "default": "Kubernetes (kubernetes.io, Namespaces: initial namespaces)",
    "istio-system": "Istio and Anthos Service Mesh's control plane (istio.io, Installation)",
    "gatekeeper-system": "OPA Gatekeeper, and AKS's Azure Policy add-on (open-policy-agent.github.io/gatekeeper)",
    "calico-system": "Calico's operator install, also AKS's and EKS's network policy (docs.tigera.io)",
    "tigera-operator": "Calico's operator (docs.tigera.io)",
    "cert-manager": "cert-manager's install namespace (cert-manager.io, Installation)",
    "aws-observability": "EKS Fargate logging's fixed namespace (docs.aws.amazon.com, Fargate logging)",
    "amazon-cloudwatch": "EKS CloudWatch Observability add-on (docs.aws.amazon.com, Container Insights)",
    "gmp-system": "GKE Managed Service for Prometheus (cloud.google.com, Managed Prometheus)",
    "gmp-public": "GKE Managed Service for Prometheus (cloud.google.com, Managed Prometheus)",
    "config-management-system": "GKE Config Sync (cloud.google.com, Config Sync)",
}
# Prefixes: `kube-` is Kubernetes' own ("avoid creating namespaces with the prefix kube-", kubernetes.io,
# Namespaces); GKE manages `gke-*` namespaces (gke-managed-system, gke-managed-cim, gke-gmp-system, gke-connect);
# OpenShift reserves `openshift-*` (docs.openshift.com, Projects).
RESERVED_PREFIXES = ("kube-", "gke-", "openshift-")


def reserved(namespace: str) -> bool:
    return namespace in RESERVED or namespace.startswith(RESERVED_PREFIXES)
