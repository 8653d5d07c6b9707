"""Addresses a workspace must never reach, and the few it reaches for DNS: the one list the egress policy
(components/cvm/workspaces/objects.py) and the `supervisor.coderUrl` rule (components/config/urls.py) read.
"""

from __future__ import annotations

import ipaddress
import re

from components.facts.platforms import Platform

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The clouds' instance metadata servers: GCE, Azure IMDS and EC2 on 169.254.169.254, EC2's IPv6 endpoint on
# fd00:ec2::254 (EC2 user guide, "Access instance metadata"); and their names (GCE: metadata.google.internal and
# the short `metadata`, Compute Engine "About VM metadata"; EC2: instance-data, "Instance metadata categories").
METADATA_ADDRESSES = ("169.254.169.254", "fd00:ec2::254")
METADATA_NAMES = ("metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal")

# Azure's WireServer and HostGAPlugin: a public address on every Azure host, on 80/tcp and 32526/tcp, that only
# the VM agent needs (learn.microsoft.com, "What is IP address 168.63.129.16?"); the path of the 2024 AKS
# TLS-bootstrap attack. Not in any private range, so the "internet" rule must except it by name.
WIRESERVER = "168.63.129.16"
WIRESERVER_PORTS = (80, 32526)

# The kubelet's API and its read-only port (kubernetes.io, "Ports and Protocols").
KUBELET_PORTS = (10250, 10255)

# DNS that a pod may be told to use on a link-local address: NodeLocal DNSCache's default listen address
# (kubernetes.io, "Using NodeLocal DNSCache in Kubernetes Clusters"), and, on GKE with Cloud DNS alone, the
# metadata server, where Cloud DNS's node-local data plane answers and which kubelet writes into every pod's
# resolv.conf (GKE docs, "Using Cloud DNS for GKE"; seen dropped by a DNS policy on GKE: tektoncd/operator#4000).
NODELOCAL_DNS = "169.254.20.10"
GKE_CLOUD_DNS = "169.254.169.254"
# AKS LocalDNS, a DNS proxy on every node (a systemd service, default in AKS Automatic and, from 1.37, preferred
# in AKS Standard): 169.254.10.11 for pods' ClusterFirst queries, 169.254.10.10 for the VNet's
# (learn.microsoft.com azure/aks/localdns-custom, "Verify LocalDNS"; Azure/AgentBaker's localdns e2e scenario).
AKS_LOCALDNS = ("169.254.10.10", "169.254.10.11")
# The kube-dns Service's ClusterIP, where NodeLocal DNSCache in its usual mode (kube-proxy in iptables mode) also
# listens: it binds that address on a dummy interface of the node and skips the Service's DNAT, so a pod's query
# to it reaches a host-network process that no pod selector matches, and the policy must name the address
# (kubernetes.io, "Using NodeLocal DNSCache in Kubernetes Clusters", Configuration: "node-local-dns Pods listen on
# both the kube-dns service IP as well as <node-local-address>"; kubernetes/kubernetes
# cluster/addons/dns/nodelocaldns/README.md, "Network policy and DNS connectivity"; GKE docs, "Set up NodeLocal
# DNSCache", network policy: an ipBlock rule for the kube-dns ClusterIP). It is the tenth address of the
# Service range, known where the cluster keeps its platform's default range: kubeadm's 10.96.0.0/12 (the local
# cluster's 10.96.0.0/16 too) and k3s and RKE2's 10.43.0.0/16 on bare metal; AKS' 10.0.0.0/16 (dnsServiceIP
# 10.0.0.10, AKS networking docs; cvm's clusters set no serviceCidr); EKS' 10.100.0.0/16 or 172.20.0.0/16, by
# the VPC's range (EKS API, KubernetesNetworkConfigRequest serviceIpv4Cidr). GKE's managed Service range,
# 34.118.224.0/20 (GKE docs, "VPC-native clusters"), is outside the private blocks: the internet rule reaches it.
KUBE_DNS_ADDRESSES: dict[Platform, tuple[str, ...]] = {
    "baremetal": ("10.96.0.10", "10.43.0.10"),
    "aks": ("10.0.0.10",),
    "eks": ("10.100.0.10", "172.20.0.10"),
    "gke": (),
}

# The address blocks the Internet does not route to a workspace's destination (RFC 6890 and the IANA IPv4 and
# IPv6 Special-Purpose Address Registries, iana.org/assignments/iana-ipv4-special-registry and
# iana-ipv6-special-registry), with the private ones where a cluster lives first. The "internet" rule excepts
# them all; a Coder may live in PRIVATE_* alone. IPv4-mapped addresses (::ffff:0:0/96, RFC 4291) are left out:
# a socket sends them as IPv4, which the IPv4 rule governs, and Go's net.ParseCIDR, which the dataplanes use,
# reads that block as 0.0.0.0/0 (shown with go1.26: a 4-in-6 address under a /96 mask). The Coder URL refuses them.
PRIVATE_IPV4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")  # RFC 1918, RFC 6598 (CGNAT)
SPECIAL_IPV4 = (
    "0.0.0.0/8",  # "this network" (RFC 791)
    "127.0.0.0/8",  # loopback (RFC 1122)
    "169.254.0.0/16",  # link-local (RFC 3927): the metadata servers, NodeLocal DNSCache
    "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
    "192.0.2.0/24",  # documentation, TEST-NET-1 (RFC 5737)
    "192.88.99.0/24",  # deprecated 6to4 relay anycast (RFC 7526)
    "198.18.0.0/15",  # benchmarking (RFC 2544)
    "198.51.100.0/24",  # documentation, TEST-NET-2 (RFC 5737)
    "203.0.113.0/24",  # documentation, TEST-NET-3 (RFC 5737)
    "224.0.0.0/4",  # multicast (RFC 5771)
    "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
)
PRIVATE_IPV6 = ("fc00::/7",)  # unique local (RFC 4193); also EC2's metadata server, refused by address
SPECIAL_IPV6 = (
    "::/128",  # unspecified (RFC 4291)
    "::1/128",  # loopback (RFC 4291)
    "64:ff9b::/96",  # NAT64 well-known prefix (RFC 6052): reaches any IPv4 address through the translator
    "64:ff9b:1::/48",  # NAT64 local use (RFC 8215)
    "100::/64",  # discard-only (RFC 6666)
    "2001::/23",  # IETF protocol assignments, Teredo among them (RFC 2928, RFC 4380)
    "2001:db8::/32",  # documentation (RFC 3849)
    "2002::/16",  # 6to4 (RFC 3056): an IPv4 address inside an IPv6 one
    "fe80::/10",  # link-local (RFC 4291)
    "ff00::/8",  # multicast (RFC 4291)
)
# What the "internet" rule excepts, by family.
NOT_INTERNET_IPV4 = (*PRIVATE_IPV4, *SPECIAL_IPV4, f"{WIRESERVER}/32")
NOT_INTERNET_IPV6 = (*PRIVATE_IPV6, *SPECIAL_IPV6)

_PRIVATE = tuple(ipaddress.ip_network(n) for n in (*PRIVATE_IPV4, *PRIVATE_IPV6))
_SPECIAL = tuple(ipaddress.ip_network(n) for n in (*SPECIAL_IPV4, *SPECIAL_IPV6))
_NEVER = frozenset(ipaddress.ip_address(a) for a in (*METADATA_ADDRESSES, WIRESERVER))


def forbidden(address: IPAddress) -> str | None:
    """Why a workspace may never be sent to `address` by a rule of its own, or None: the metadata servers,
    WireServer, and every special-purpose block but the private ones, where a cluster and its Coder live."""
    if address in _NEVER:
        return "is a cloud metadata server or Azure's WireServer"
    if any(address in block for block in _SPECIAL):
        return "is a special-purpose address (loopback, link-local, unspecified, multicast, reserved, translated)"
    return None


def private(address: IPAddress) -> bool:
    """In a private block (RFC 1918, RFC 6598, RFC 4193): the cluster's pods, Services and nodes, or a Coder."""
    return any(address in block for block in _PRIVATE)


# <service>.<namespace>.svc, optionally followed by the default cluster domain (kubernetes.io, "DNS for Services
# and Pods"): a name the cluster's DNS answers with a Service's address.
_SERVICE_NAME = re.compile(r"[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?")


def service_namespace(host: str) -> str | None:
    """The namespace of the Service that `host` names in the cluster, or None for any other name."""
    found = _SERVICE_NAME.fullmatch(host)
    return found[1] if found else None
