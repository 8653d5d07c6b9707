"""The reachability tests' hosts (localcluster/netns_hosts.py): the commands that make them, the route check that
keeps every packet on this machine, and the DNS responder's answer. Pure."""

from __future__ import annotations

import socket
import struct

from localcluster import netns_hosts

HOSTS = netns_hosts.Hosts("ns", "veth-h", "10.250.255.0/30", ("169.254.169.254", "100.128.0.10"), ("10.244.0.0/24",))


def test_every_address_is_bound_in_the_namespace_and_routed_there_alone() -> None:
    commands = [" ".join(c) for c in netns_hosts.setup_commands(HOSTS, 4242)]
    # the holder's namespace, never one named under /run/netns (which `ip netns add` would bind-mount)
    assert commands[0] == "ip link add veth-h type veth peer name eth0 netns 4242"
    assert not [c for c in commands if "netns add" in c or c.startswith("ip -n")]
    assert "ip addr add 10.250.255.1/30 dev veth-h" in commands
    for address in HOSTS.addresses:
        assert f"nsenter -t 4242 -n ip addr add {address}/32 dev eth0" in commands
        assert f"ip route add {address}/32 dev veth-h" in commands
    # the namespace routes back only the ranges named: no default route out of it
    assert [c for c in commands if " route add " in c and c.startswith("nsenter")] == [
        "nsenter -t 4242 -n ip route add 10.244.0.0/24 via 10.250.255.1"
    ]


def test_route_check_accepts_only_the_namespaces_veth() -> None:
    assert netns_hosts.route_is_ours("169.254.169.254 dev veth-h src 10.250.255.1 uid 0 \n    cache", "veth-h")
    assert not netns_hosts.route_is_ours("169.254.169.254 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0", "veth-h")
    assert not netns_hosts.route_is_ours("169.254.169.254 via 10.250.255.2 dev veth-h", "veth-h")
    assert not netns_hosts.route_is_ours("", "veth-h")


def test_dns_answer_echoes_the_question_with_one_a_record() -> None:
    name = b"".join(bytes([len(label)]) + label for label in (b"cvm", b"test")) + b"\x00"
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + name + b"\x00\x01\x00\x01"
    answer = netns_hosts._dns_answer(query, "203.0.113.53")
    ident, flags, questions, answers = struct.unpack("!HHHH", answer[:8])
    assert (ident, flags & 0x8000, questions, answers) == (0x1234, 0x8000, 1, 1)
    assert answer[12 : 12 + len(name) + 4] == name + b"\x00\x01\x00\x01"
    assert answer[-4:] == socket.inet_aton("203.0.113.53")
