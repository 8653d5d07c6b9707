"""For any `supervisor.coderUrl` the config accepts, on any platform, the egress policy derived from it admits
neither the metadata servers, nor Azure's WireServer, nor any loopback or link-local address; DNS on port 53 at
NodeLocal DNSCache's address (and on GKE the metadata address) alone. Checked by address with the evaluator of
tests/egress.py over the policy's ipBlocks, and by selector: no rule selects a namespace Kubernetes keeps."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from components.config import Supervisor
from components.cvm.workspaces import objects
from components.facts import namespaces
from components.facts.platforms import PLATFORMS, Platform
from tests.egress import admits, selected

# What the URL's host is drawn from: any address, the special ones above all, and names, in-cluster ones too.
SPECIAL = [
    "169.254.169.254",
    "168.63.129.16",
    "fd00:ec2::254",
    "127.0.0.1",
    "::1",
    "0.0.0.0",
    "::",
    "169.254.20.10",
    "fe80::1",
    "64:ff9b::a9fe:a9fe",
    "::ffff:169.254.169.254",
    "10.0.0.7",
    "100.64.0.1",
]
LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
NAMESPACE = st.one_of(LABEL, st.sampled_from(["kube-system", "kube-public", "default", "kube-node-lease", "coder"]))


def bracketed(address: Any) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


HOST = st.one_of(
    st.ip_addresses().map(bracketed),
    st.sampled_from(SPECIAL).map(lambda a: bracketed(ipaddress.ip_address(a))),
    st.builds(lambda s, n, tail: f"{s}.{n}.svc{tail}", LABEL, NAMESPACE, st.sampled_from(["", ".cluster.local"])),
    st.builds(lambda s, n: f"{s}.{n}", LABEL, NAMESPACE),
    st.sampled_from(["localhost", "metadata", "metadata.google.internal", "coder.example.com", "instance-data"]),
)
URL = st.builds(
    lambda scheme, user, host, port, path: f"{scheme}://{user}{host}{port}{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["", "", "", "", "u:p@"]),
    HOST,
    st.one_of(st.just(""), st.integers(0, 66000).map(lambda p: f":{p}"), st.sampled_from([":10250", ":10255"])),
    st.sampled_from(["", "/", "/coder", "/coder/", "/?q=1", "#f"]),
)
# Addresses no rule may admit, but DNS where it is answered.
NEVER = st.one_of(
    st.sampled_from(["169.254.169.254", "168.63.129.16", "fd00:ec2::254"]).map(ipaddress.ip_address),
    st.ip_addresses(network="127.0.0.0/8"),
    st.ip_addresses(network="169.254.0.0/16"),
    st.ip_addresses(network="::1/128"),
    st.ip_addresses(network="fe80::/10"),
)
PORT = st.one_of(st.integers(1, 65535), st.sampled_from([53, 80, 443, 8080, 8443, 10250, 32526]))


def dns_answered(address: str, port: int, platform: Platform) -> bool:
    return port == 53 and address in objects.dns_addresses(platform)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(url=URL, platform=st.sampled_from(PLATFORMS), address=NEVER, port=PORT, protocol=st.sampled_from(["TCP", "UDP"]))
def test_no_accepted_coder_url_opens_the_node_or_the_cloud(
    url: str, platform: Platform, address: Any, port: int, protocol: str
) -> None:
    try:
        accepted = Supervisor.model_validate({"coderUrl": url}).coder_url_text
    except ValidationError:
        reject()
    policy = objects.limit_egress("ns", accepted, platform)
    event(f"{len(policy['spec']['egress']) - 2} rule(s) for Coder")
    for target in (str(address), *SPECIAL[:3]):
        if not dns_answered(target, port, platform):
            assert not admits(policy, target, port, protocol), (url, platform, target, port, protocol)
    for peer, _ in selected(policy):
        namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        if namespace == "kube-system":
            assert peer.get("podSelector") == {"matchLabels": {"k8s-app": "kube-dns"}}, url  # DNS alone
        else:
            assert not namespaces.reserved(namespace), url


def test_the_strategy_reaches_accepted_urls_of_every_kind() -> None:
    """What makes the property able to fail: the generated URLs include accepted ones that add a rule."""
    for url in (
        "http://coder.coder.svc:8080",
        "https://10.0.0.7",
        "http://[fd00::1]:7080",
        "https://coder.example.com",
    ):
        assert Supervisor.model_validate({"coderUrl": url}).coder_url_text
    assert len(objects.limit_egress("ns", "https://10.0.0.7/", "gke")["spec"]["egress"]) == 3
