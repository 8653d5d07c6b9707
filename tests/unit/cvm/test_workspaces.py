"""The workspaces' pure builders."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from components.config import Supervisor
from components.cvm.workspaces import objects
from components.facts import network
from components.facts.platforms import Platform
from tests.egress import admits, selected


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


KUBE_DNS: dict[str, Any] = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def dns_rule(*addresses: str) -> dict[str, Any]:
    return {"to": [KUBE_DNS, *({"ipBlock": {"cidr": f"{a}/32"}} for a in addresses)], "ports": DNS_PORTS}


# NodeLocal DNSCache's link-local address everywhere, and the kube-dns ClusterIP it also binds in its usual mode
# where the platform's default Service range makes it known; AKS LocalDNS's two addresses; GKE's Cloud DNS on the
# metadata address, there alone (and on port 53 alone)
DNS_RULES: dict[str, dict[str, Any]] = {
    "gke": dns_rule("169.254.20.10", "169.254.169.254"),
    "aks": dns_rule("169.254.20.10", "10.0.0.10", "169.254.10.10", "169.254.10.11"),
    "eks": dns_rule("169.254.20.10", "10.100.0.10", "172.20.0.10"),
    "baremetal": dns_rule("169.254.20.10", "10.96.0.10", "10.43.0.10"),
}
DNS_RULE = DNS_RULES["aks"]
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
                    "0.0.0.0/8",
                    "127.0.0.0/8",
                    "169.254.0.0/16",
                    "192.0.0.0/24",
                    "192.0.2.0/24",
                    "192.88.99.0/24",
                    "198.18.0.0/15",
                    "198.51.100.0/24",
                    "203.0.113.0/24",
                    "224.0.0.0/4",
                    "240.0.0.0/4",
                    "168.63.129.16/32",  # Azure's WireServer and HostGAPlugin
                ],
            }
        },
        {
            "ipBlock": {
                "cidr": "::/0",
                "except": [
                    "fc00::/7",
                    "::/128",
                    "::1/128",
                    "64:ff9b::/96",
                    "64:ff9b:1::/48",
                    "100::/64",
                    "2001::/23",
                    "2001:db8::/32",
                    "2002::/16",
                    "fe80::/10",
                    "ff00::/8",
                ],
            }
        },
    ]
}


@pytest.mark.parametrize("platform", DNS_RULES)
def test_limit_egress_without_coder(platform: Platform) -> None:
    assert objects.limit_egress("ns", None, platform) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-limit-egress", "namespace": "ns"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
            "policyTypes": ["Egress"],
            "egress": [DNS_RULES[platform], INTERNET_RULE],
        },
    }


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


@pytest.mark.parametrize(
    ("url", "coder"),
    [
        (
            "http://coder.coder.svc.cluster.local:8080",
            # the Service's port and the Coder pod's, which the Service maps it to: the policy sees the pod's
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}],
                "ports": tcp(8080),
            },
        ),
        (
            "http://coder.coder.svc",
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}],
                "ports": tcp(80, 8080),
            },
        ),
        (
            "https://coder.platform.svc",
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "platform"}}}],
                "ports": tcp(443, 8443),
            },
        ),
        ("https://10.1.2.3", {"to": [{"ipBlock": {"cidr": "10.1.2.3/32"}}], "ports": tcp(443)}),
        ("http://192.168.10.5:3000", {"to": [{"ipBlock": {"cidr": "192.168.10.5/32"}}], "ports": tcp(3000)}),
        ("http://100.64.3.4:7080", {"to": [{"ipBlock": {"cidr": "100.64.3.4/32"}}], "ports": tcp(7080)}),
        ("http://[fd00::10]:7080", {"to": [{"ipBlock": {"cidr": "fd00::10/128"}}], "ports": tcp(7080)}),
        ("https://coder.example.com", None),  # public: the internet rule covers it
        ("https://x.team.svc.example.com", None),  # a public name with `svc` in it is not a Service
        ("https://1.1.1.1:8443", None),
    ],
)
def test_limit_egress_reaches_coder(url: str, coder: dict[str, Any] | None) -> None:
    egress = objects.limit_egress("ns", coder_url(url), "aks")["spec"]["egress"]
    assert egress == [DNS_RULE, INTERNET_RULE, *([coder] if coder else [])]


# --- what the policy lets a workspace reach -----------------------------------------------------------------


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
    "168.63.129.16",  # Azure's WireServer and HostGAPlugin
    "127.0.0.1",
    "0.0.0.1",
    "198.18.0.1",  # benchmarking
    "240.0.0.1",  # reserved
    "224.0.0.251",  # multicast (mDNS)
    "255.255.255.255",
    "fd00:ec2::254",  # EKS' IPv6 metadata server
    "fd00:10:96::1",  # an IPv6 Service range
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
    "64:ff9b::a83f:8110",  # NAT64 of WireServer
    "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
    "fe80::1",
    "::1",
    "ff02::1",
]
PORTS = (443, 80, 6443, 10250, 10255, 8080, 32526, 53)


@pytest.mark.parametrize("platform", ["gke", "aks", "eks", "baremetal"])
@pytest.mark.parametrize("url", [None, "https://coder.example.com", "http://coder.coder.svc.cluster.local:8080"])
@pytest.mark.parametrize("address", CLUSTER_AND_NODE)
def test_no_rule_reaches_the_cluster_or_the_node(platform: Platform, url: str | None, address: str) -> None:
    policy = objects.limit_egress("ns", coder_url(url) if url else None, platform)
    for port in PORTS:
        for protocol in ("TCP", "UDP"):
            if port == 53 and address in objects.dns_addresses(platform):
                continue
            assert not admits(policy, address, port, protocol), (address, port, protocol)


@pytest.mark.parametrize("platform", ["gke", "aks", "eks", "baremetal"])
def test_the_metadata_address_answers_dns_on_gke_alone(platform: Platform) -> None:
    policy = objects.limit_egress("ns", None, platform)
    for protocol in ("UDP", "TCP"):
        assert admits(policy, "169.254.169.254", 53, protocol) is (platform == "gke")
        assert admits(policy, "169.254.20.10", 53, protocol)  # NodeLocal DNSCache, everywhere
    assert not any(admits(policy, a, p) for a in ("169.254.169.254", "169.254.20.10") for p in (80, 443, 8080, 8775))


@pytest.mark.parametrize(
    ("platform", "cluster_ip"),
    [("baremetal", "10.96.0.10"), ("baremetal", "10.43.0.10"), ("aks", "10.0.0.10"), ("eks", "10.100.0.10"),
     ("eks", "172.20.0.10"), ("gke", "34.118.224.10")],
)  # fmt: skip
def test_the_kube_dns_cluster_ip_answers_dns_alone(platform: Platform, cluster_ip: str) -> None:
    """NodeLocal DNSCache in iptables mode answers on the kube-dns ClusterIP itself (no DNAT to a pod): reached on
    port 53, nothing else; another platform's ClusterIP stays closed (GKE's is public, as the internet is)."""
    policy = objects.limit_egress("ns", None, platform)
    assert all(admits(policy, cluster_ip, 53, protocol) for protocol in ("UDP", "TCP"))
    if platform != "gke":
        assert not any(admits(policy, cluster_ip, port) for port in (80, 443, 6443, 10250))
    every = {address for addresses in network.KUBE_DNS_ADDRESSES.values() for address in addresses}
    assert not any(admits(policy, other, 53) for other in every - set(network.KUBE_DNS_ADDRESSES[platform]))


@pytest.mark.parametrize("platform", ["gke", "aks", "eks", "baremetal"])
def test_aks_localdns_answers_on_aks_alone(platform: Platform) -> None:
    policy = objects.limit_egress("ns", None, platform)
    for address in network.AKS_LOCALDNS:
        assert admits(policy, address, 53, "UDP") is admits(policy, address, 53, "TCP") is (platform == "aks")
        assert not admits(policy, address, 80)


@pytest.mark.parametrize("address", ["1.1.1.1", "140.82.112.3", "2606:4700:4700::1111", "168.63.129.17"])
def test_the_internet_is_reached(address: str) -> None:
    """What makes the check above able to fail: a public address is reached, on any port."""
    policy = objects.limit_egress("ns", None, "aks")
    assert admits(policy, address, 443) and admits(policy, address, 22)


def test_a_private_coder_is_reached_on_its_port_alone() -> None:
    policy = objects.limit_egress("ns", coder_url("https://10.1.2.3"), "eks")
    assert admits(policy, "10.1.2.3", 443)
    assert not admits(policy, "10.1.2.3", 22) and not admits(policy, "10.1.2.4", 443)


def test_selectors_reach_dns_and_coder_alone() -> None:
    """Besides address blocks, the policy selects kube-dns on port 53, and Coder's namespace on Coder's ports."""
    policy = objects.limit_egress("ns", coder_url("http://coder.coder.svc.cluster.local:8080"), "gke")
    coder = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "coder"}}}
    assert selected(policy) == [(KUBE_DNS, DNS_PORTS), (coder, tcp(8080))]


def test_the_special_ranges_are_excepted_within_their_block() -> None:
    """Every `except` lies inside its block (the API server refuses one that does not), and none is dropped."""
    internet = objects.limit_egress("ns", None, "aks")["spec"]["egress"][1]["to"]
    for peer, listed in zip(internet, (network.NOT_INTERNET_IPV4, network.NOT_INTERNET_IPV6), strict=True):
        block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        assert peer["ipBlock"]["except"] == list(listed)
        assert all(ipaddress.ip_network(e).subnet_of(block) for e in listed)  # type: ignore[arg-type]
