"""The workspaces' pure builders."""

from __future__ import annotations

import ast
import ipaddress
import typing
from pathlib import Path
from typing import Any

import pytest

from components.config import Supervisor, Workspace
from components.cvm.workspaces import objects, pods


def test_pod_security_level() -> None:
    assert objects.pod_security_level("sysbox-runc") == "baseline"
    assert objects.pod_security_level("envbox") == "privileged"
    # every runtime a workspace may name has its level, and only envbox needs `privileged`
    runtimes = typing.get_args(Workspace.model_fields["runtime"].annotation)
    assert {r: objects.pod_security_level(r) for r in runtimes} == {"envbox": "privileged", "sysbox-runc": "baseline"}


def test_workspace_namespace_by_runtime() -> None:
    assert objects.workspace_namespace("cvm-workspaces", "envbox") == "cvm-workspaces-envbox"
    assert objects.workspace_namespace("cvm-workspaces", "sysbox-runc") == "cvm-workspaces"
    # the longest namespace accepted still makes a DNS label
    assert len(objects.workspace_namespace("a" * 56, "envbox")) == 63


def test_namespace_is_enforced_warned_and_audited_at_one_level() -> None:
    assert objects.namespace_object("ns", "baseline", "1.34") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "ns",
            "labels": {
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/enforce-version": "v1.34",
                "pod-security.kubernetes.io/warn": "baseline",
                "pod-security.kubernetes.io/warn-version": "v1.34",
                "pod-security.kubernetes.io/audit": "baseline",
                "pod-security.kubernetes.io/audit-version": "v1.34",
                "istio-injection": "disabled",
            },
        },
    }


def coder_url(url: str) -> str | None:
    """The Coder URL as the supervisor passes it on (pydantic's normal form: `https://10.1.2.3/`)."""
    return Supervisor.model_validate({"coderUrl": url}).coder_url_text


DNS_RULE: dict[str, Any] = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        },
        {"ipBlock": {"cidr": "169.254.20.10/32"}},  # NodeLocal DNSCache
        {"ipBlock": {"cidr": "169.254.169.254/32"}},  # GKE's Cloud DNS answers on the metadata address
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
INTERNET_RULE: dict[str, Any] = {
    "to": [
        {
            "ipBlock": {
                "cidr": "0.0.0.0/0",
                "except": [
                    "10.0.0.0/8",
                    "172.16.0.0/12",
                    "192.168.0.0/16",
                    "100.64.0.0/10",
                    "169.254.0.0/16",
                    "127.0.0.0/8",
                ],
            }
        },
        {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10", "::1/128"]}},
    ]
}


def test_limit_egress_without_coder() -> None:
    assert objects.limit_egress("ns", None) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-limit-egress", "namespace": "ns"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
            "policyTypes": ["Egress"],
            "egress": [DNS_RULE, INTERNET_RULE],
        },
    }


@pytest.mark.parametrize(
    ("url", "coder"),
    [
        (
            "http://coder.coder.svc.cluster.local:8080",
            # no port: the policy sees the Coder pod's port, which the Service may map
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}]},
        ),
        (
            "https://coder.platform.svc",
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "platform"}}}]},
        ),
        (
            "https://10.1.2.3",
            {"to": [{"ipBlock": {"cidr": "10.1.2.3/32"}}], "ports": [{"protocol": "TCP", "port": 443}]},
        ),
        (
            "http://192.168.10.5:3000",
            {"to": [{"ipBlock": {"cidr": "192.168.10.5/32"}}], "ports": [{"protocol": "TCP", "port": 3000}]},
        ),
        (
            "http://[fd00::10]:7080",
            {"to": [{"ipBlock": {"cidr": "fd00::10/128"}}], "ports": [{"protocol": "TCP", "port": 7080}]},
        ),
        ("https://coder.example.com", None),  # public: the internet rule covers it
        ("https://x.team.svc.example.com", None),  # a public name with `svc` in it is not a Service
        ("https://1.1.1.1:8443", None),
    ],
)
def test_limit_egress_reaches_coder(url: str, coder: dict[str, Any] | None) -> None:
    egress = objects.limit_egress("ns", coder_url(url))["spec"]["egress"]
    assert egress == [DNS_RULE, INTERNET_RULE, *([coder] if coder else [])]


# --- what the policy lets a workspace reach -----------------------------------------------------------------


def reaches(spec: dict[str, Any], address: str, port: int) -> bool:
    """Whether an egress rule of `spec` admits TCP to `address:port` by address (ipBlock)."""
    ip = ipaddress.ip_address(address)
    for rule in spec["egress"]:
        assert rule.get("to"), rule  # a rule without `to` would admit every destination
        ports = rule.get("ports")
        if ports is not None and not any(p["protocol"] == "TCP" and p["port"] == port for p in ports):
            continue
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block is None:
                continue
            network, excepted = ipaddress.ip_network(block["cidr"]), block.get("except", [])
            inside = ip.version == network.version and ip in network
            if inside and not any(ip in ipaddress.ip_network(e) for e in excepted):
                return True
    return False


CLUSTER_AND_NODE = [
    "10.0.0.1",  # 10/8: pods and nodes on most clusters
    "10.255.255.254",
    "10.96.0.1",  # kubeadm's Service range (the `kubernetes` Service)
    "10.43.0.10",  # k3s' Services (kube-dns)
    "10.0.0.10",  # AKS' Service range
    "10.100.0.10",  # EKS' Service ranges
    "172.20.0.10",
    "192.168.1.10",  # a bare-metal LAN
    "100.64.0.1",  # shared address space (EKS custom networking, carrier-grade NAT)
    "169.254.169.254",  # the clouds' metadata servers
    "169.254.170.23",  # EKS Pod Identity agent
    "127.0.0.1",
    "fd00:ec2::254",  # EKS' IPv6 metadata server
    "fd00:10:96::1",  # an IPv6 Service range
    "fe80::1",
    "::1",
]


# Where DNS may be answered on a link-local address: reached on port 53 alone.
DNS_ADDRESSES = ("169.254.20.10", "169.254.169.254")


@pytest.mark.parametrize("url", [None, "https://coder.example.com", "http://coder.coder.svc.cluster.local:8080"])
@pytest.mark.parametrize("address", CLUSTER_AND_NODE)
def test_no_rule_reaches_the_cluster_or_the_node(url: str | None, address: str) -> None:
    spec = objects.limit_egress("ns", coder_url(url) if url else None)["spec"]
    for port in (443, 80, 6443, 10250, 8080, 53):
        if address in DNS_ADDRESSES and port == 53:
            continue
        assert not reaches(spec, address, port), (address, port)


@pytest.mark.parametrize("address", DNS_ADDRESSES)
def test_link_local_dns_is_reached_on_port_53_alone(address: str) -> None:
    spec = objects.limit_egress("ns", None)["spec"]
    assert reaches(spec, address, 53)
    assert not any(reaches(spec, address, port) for port in (80, 443, 8080, 8775))


@pytest.mark.parametrize("address", ["1.1.1.1", "140.82.112.3", "2606:4700:4700::1111"])
def test_the_internet_is_reached(address: str) -> None:
    """What makes the check above able to fail: a public address is reached, on any port."""
    spec = objects.limit_egress("ns", None)["spec"]
    assert reaches(spec, address, 443) and reaches(spec, address, 22)


def test_a_private_coder_is_reached_on_its_port_alone() -> None:
    spec = objects.limit_egress("ns", coder_url("https://10.1.2.3"))["spec"]
    assert reaches(spec, "10.1.2.3", 443)
    assert not reaches(spec, "10.1.2.3", 22) and not reaches(spec, "10.1.2.4", 443)


def test_selectors_reach_dns_and_coder_alone() -> None:
    """Besides address blocks, the policy selects kube-dns on port 53, and Coder's namespace (any port)."""
    spec = objects.limit_egress("ns", coder_url("http://coder.coder.svc.cluster.local:8080"))["spec"]
    selected = [(peer, rule.get("ports")) for rule in spec["egress"] for peer in rule["to"] if "ipBlock" not in peer]
    coder = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}
    assert selected == [(DNS_RULE["to"][0], DNS_RULE["ports"]), (coder, None)]


def test_root_home() -> None:
    assert pods.home_dir("root") == "/root" and pods.home_dir("dev") == "/home/dev"


@pytest.mark.parametrize("module", ["agent", "homes", "inputs", "objects", "plan", "pods"])
def test_the_pure_builders_read_no_config_model(module: str) -> None:
    """They read the protocols of inputs.py, which the config models and the Coder template's stand-ins satisfy."""
    source = Path(objects.__file__).with_name(f"{module}.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    assert imported and not {name for name in imported if name.startswith("components.config")}
