"""Hosts a reachability test sends to, each address bound inside a network namespace made here, so that no
packet a test sends leaves this machine (the node's pods reach them through the host, which routes each /32 to
the namespace's veth; `route_is_ours` checks that with `ip route get` before anything is sent).

Each listener answers with the address and port it was reached on: an HTTP server on TCP (its body
`<address>:<port>`), a DNS responder on UDP (an A record for any name). A client therefore tells "reached this
listener" from "reached something else" and from "refused" or "timed out".

    python -m localcluster.netns_hosts serve ADDRESS:PORT/tcp|udp ...   # run inside the namespace (nsenter)

The namespace is held by a process of its own (`unshare --net`), never named with `ip netns add`: that command
bind-mounts /run/netns over itself when it is not a mount yet (iproute2 ip/ipnetns.c, netns_add), which hides
the pod namespaces containerd had mounted there, so that their pods can no longer be deleted ("failed to remove
netns: unlinkat /run/netns/cni-…: device or resource busy", seen on a fresh machine) and their mounts outlive
the node.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from localcluster import ROOT

# The answer of the DNS responder to every A query: a documentation address (RFC 5737), never sent to.
DNS_ANSWER = "203.0.113.53"


@dataclass(frozen=True)
class Hosts:
    """One namespace and its link to the host: `host_side` on the host with `link` (a /30, its first address on
    the host, its second in the namespace), and `addresses` bound in the namespace, each routed there as a /32.
    `back` are the host's ranges the namespace answers (routed back through the host)."""

    namespace: str
    host_side: str
    link: str
    addresses: tuple[str, ...]
    back: tuple[str, ...]

    @property
    def link_addresses(self) -> tuple[str, str]:
        first, second = list(ipaddress.ip_network(self.link).hosts())[:2]
        return str(first), str(second)


def setup_commands(hosts: Hosts, holder: int) -> list[list[str]]:
    """The `ip` commands that make `hosts` in the network namespace of process `holder`: a veth into it, the
    addresses, the routes both ways. Pure."""
    inner = "eth0"
    host_address, ns_address = hosts.link_addresses
    prefix = ipaddress.ip_network(hosts.link).prefixlen
    in_ns = [*enter(holder), "ip"]
    commands = [
        ["ip", "link", "add", hosts.host_side, "type", "veth", "peer", "name", inner, "netns", str(holder)],
        ["ip", "addr", "add", f"{host_address}/{prefix}", "dev", hosts.host_side],
        ["ip", "link", "set", hosts.host_side, "up"],
        [*in_ns, "link", "set", "lo", "up"],
        [*in_ns, "addr", "add", f"{ns_address}/{prefix}", "dev", inner],
        *([*in_ns, "addr", "add", f"{address}/32", "dev", inner] for address in hosts.addresses),
        [*in_ns, "link", "set", inner, "up"],
        # only the ranges named: the namespace has no default route, so it answers nothing else
        *([*in_ns, "route", "add", cidr, "via", host_address] for cidr in hosts.back),
        *(["ip", "route", "add", f"{address}/32", "dev", hosts.host_side] for address in hosts.addresses),
    ]
    return commands


def enter(holder: int) -> list[str]:
    """The command prefix that runs a command in the network namespace of process `holder`. Pure."""
    return ["nsenter", "-t", str(holder), "-n"]


def route_is_ours(route_get: str, device: str) -> bool:
    """Whether `ip route get` output sends to `device` (and nowhere else). Pure."""
    words = route_get.split()
    return "dev" in words and words[words.index("dev") + 1] == device and "via" not in words


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True)


def check_route(hosts: Hosts, address: str) -> None:
    """Refuse to go on unless the host routes `address` into the namespace of `hosts`."""
    route = _run("ip", "route", "get", address, check=False).stdout
    if address not in hosts.addresses or not route_is_ours(route, hosts.host_side):
        raise RuntimeError(f"{address} is not routed into the test's namespace {hosts.namespace}: {route.strip()!r}")


def remove(hosts: Hosts) -> None:
    """The veth (both ends), and with it the host's routes through it; the namespace goes with its holder."""
    _run("ip", "link", "delete", hosts.host_side, check=False)


@contextlib.contextmanager
def made(hosts: Hosts, listeners: list[str], log: Path) -> Iterator[Hosts]:
    """Make `hosts`, run the listeners (`ADDRESS:PORT/tcp|udp`) in its namespace until the block ends, then
    remove it all."""
    remove(hosts)  # a crashed run's
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])  # the namespace lives as long as it does
    server = None
    try:
        own = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{holder.pid}/ns/net") == own:  # until unshare(2) has run, it is still ours
            if holder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("unshare --net did not make the test hosts' namespace")
            time.sleep(0.05)
        for command in setup_commands(hosts, holder.pid):
            _run(*command)
        for address in hosts.addresses:
            check_route(hosts, address)
        with log.open("wb") as out:
            server = subprocess.Popen(
                [*enter(holder.pid), sys.executable, "-m", "localcluster.netns_hosts", "serve", *listeners],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while not log.read_text().count("serving"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test hosts' listeners did not start; see {log}")
            time.sleep(0.2)
        yield hosts
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        remove(hosts)
        holder.kill()
        holder.wait(10)


# --- inside the namespace ------------------------------------------------------------------------------------


def _dns_answer(query: bytes, address: str) -> bytes:
    """An answer to a DNS query (RFC 1035): its question echoed, one A record of `address`."""
    question_end = 12
    while query[question_end] != 0:
        question_end += query[question_end] + 1
    question = query[12 : question_end + 5]
    header = query[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
    record = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(address)
    return header + question + record


def _tcp_server(address: str, port: int) -> socketserver.BaseServer:
    body = f"{address}:{port}".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            print(f"{address}:{port}/tcp {self.client_address[0]} {format % args}", flush=True)

    return http.server.ThreadingHTTPServer((address, port), Handler)


def _udp_server(address: str, port: int) -> socketserver.BaseServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            print(f"{address}:{port}/udp {self.client_address[0]} query", flush=True)
            with contextlib.suppress(IndexError):
                sock.sendto(_dns_answer(data, DNS_ANSWER), self.client_address)

    return socketserver.ThreadingUDPServer((address, port), Handler)


def serve(listeners: list[str]) -> None:
    """Bind every listener (or fail saying which), say so, and serve them all."""
    servers = []
    for listener in listeners:
        where, protocol = listener.rsplit("/", 1)
        address, port = where.rsplit(":", 1)
        servers.append((_tcp_server if protocol == "tcp" else _udp_server)(address, int(port)))
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    print("serving", " ".join(listeners), flush=True)
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    if sys.argv[1:2] != ["serve"]:
        sys.exit(__doc__)
    serve(sys.argv[2:])
