"""A small evaluator of a NetworkPolicy's egress rules by address: which (address, port, protocol) its ipBlock
peers admit, as the NetworkPolicy API defines them (kubernetes.io, "Network Policies": a rule admits a packet
when one of its peers and one of its ports match; no `ports` is every port; an ipBlock matches its CIDR but
its `except` blocks). Pod and namespace selectors match pods, never an arbitrary address: they are left out,
and the tests that use this read them separately."""

from __future__ import annotations

import ipaddress
from typing import Any


def admits(policy: dict[str, Any], address: str, port: int, protocol: str = "TCP") -> bool:
    """Whether an egress rule of `policy` (a NetworkPolicy manifest or its spec) admits `address:port`."""
    spec = policy.get("spec", policy)
    ip = ipaddress.ip_address(address)
    for rule in spec["egress"]:
        assert rule.get("to"), rule  # a rule without `to` would admit every destination
        ports = rule.get("ports")
        if ports is not None and not any(p.get("protocol", "TCP") == protocol and p["port"] == port for p in ports):
            continue
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block is None:
                continue
            network = ipaddress.ip_network(block["cidr"])
            excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
            assert all(e.version == network.version and e.subnet_of(network) for e in excepted), block  # type: ignore[arg-type]
            inside = ip.version == network.version and ip in network
            if inside and not any(ip in e for e in excepted):
                return True
    return False


def selected(policy: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]] | None]]:
    """The selector peers of `policy`'s egress rules, each with its rule's ports (None: every port)."""
    spec = policy.get("spec", policy)
    return [(peer, rule.get("ports")) for rule in spec["egress"] for peer in rule["to"] if "ipBlock" not in peer]
