"""`supervisor.coderUrl`: every URL that would open the egress policy to the node, the cloud or the cluster's own
services is refused, beside the other problems, naming the key, the value (never its password) and what is
accepted (components/config/urls.py)."""

from __future__ import annotations

import pytest

from components.config import SettingsError, load_settings, stored_config
from components.config.urls import shown

KEY = "cvm:supervisor.coderUrl"


def refusal(url: str, **more: object) -> SettingsError:
    config = {"platform": "baremetal", "supervisor": {"coderUrl": url}, **more}
    with pytest.raises(SettingsError) as refused:
        load_settings(stored_config(config), "dev")
    return refused.value


def reason(url: str) -> str:
    (problem,) = [p for p in refusal(url).problems if p.key == KEY]
    text = str(problem)
    assert "accepted: an http:// or https:// URL" in text, text
    return text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        # the attacks
        ("http://169.254.169.254", "metadata server"),
        ("http://169.254.169.254/latest/meta-data/", "metadata server"),
        ("http://[fd00:ec2::254]", "metadata server"),
        ("https://10.0.0.7:10250", "kubelet port (10250)"),
        ("http://10.0.0.7:10255", "kubelet port (10255)"),
        ("http://coder.kube-system.svc", "'kube-system'"),
        ("http://coder.kube-system.svc.cluster.local:8080", "'kube-system'"),
        ("https://kubernetes.default.svc", "'default'"),
        ("https://kubernetes.default", "'default'"),
        ("https://coder.example.com/?token=x", "query or fragment"),
        ("https://coder.example.com/#frag", "query or fragment"),
        ("https://coder.example.com:0", "port outside 1-65535"),
        ("https://coder.example.com:65536", "port outside 1-65535"),
        ("https://coder.example.com:http", "port outside 1-65535"),
        ("ftp://coder.example.com", "scheme other than http or https"),
        ("coder.example.com", "is not a URL"),
        # the other ways to the node and the cloud
        ("http://168.63.129.16", "WireServer"),
        ("http://168.63.129.16:32526", "WireServer"),
        ("http://127.0.0.1:3000", "special-purpose"),
        ("http://2130706433", "special-purpose"),  # 127.0.0.1, as the URL parser reads it
        ("http://0x7f.1", "special-purpose"),
        ("http://[::1]", "special-purpose"),
        ("http://0.0.0.0", "special-purpose"),
        ("http://[::]", "special-purpose"),
        ("http://169.254.20.10", "special-purpose"),
        ("http://[fe80::1]", "special-purpose"),
        ("http://[64:ff9b::a9fe:a9fe]", "special-purpose"),  # NAT64 of the metadata address
        ("http://198.18.0.1", "special-purpose"),
        ("http://240.0.0.1", "special-purpose"),
        ("http://[::ffff:169.254.169.254]", "written as IPv6"),
        ("http://[::ffff:10.0.0.1]", "written as IPv6"),
        ("http://localhost:3000", "localhost"),
        ("http://coder.localhost", "localhost"),
        ("http://metadata.google.internal", "metadata server"),
        ("http://metadata", "metadata server"),
        ("http://METADATA.google.internal.", "metadata server"),
        ("http://instance-data", "metadata server"),
    ],
)
def test_a_url_that_would_open_the_policy_is_refused(url: str, words: str) -> None:
    assert words in reason(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://u:p4ssw0rd-x@coder.example.com",
        "https://admin:p4ssw0rd-x@10.1.2.3:8443/",
        "http://p4ssw0rd-x@coder.coder.svc",
        "https://u:p4ssw0rd-x@coder.example.com/?a=b#c",
        "https://u:p4ssw0rd-x@@coder.example.com",
        "https://u:p4ssw0rd-x@[::1",  # also not a URL pydantic could parse
        "https://u:p4ssw0rd-x@coder.example.com:99999",
    ],
)
def test_credentials_are_refused_and_never_shown(url: str) -> None:
    refused = refusal(url)
    assert "p4ssw0rd-x" not in str(refused)
    assert "carries a user or password" in reason(url)


def test_the_refusal_shows_the_url_with_its_credentials_masked() -> None:
    assert "'https://(secret)@coder.example.com/x'" in reason("https://u:p4ssw0rd-x@coder.example.com/x")
    assert shown("https://coder.example.com/" + "a" * 500).endswith("a…")
    assert len(shown("https://coder.example.com/" + "a" * 500)) == 120


def test_the_url_is_refused_beside_the_other_problems() -> None:
    """Every problem at once: a refused URL does not hide another key's problem."""
    refused = refusal("http://169.254.169.254", gpu={"vendor": "amd"})
    assert {KEY, "cvm:gpu.vendor"} <= {p.key for p in refused.problems}


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://coder.example.com", "https://coder.example.com/"),
        ("https://coder.example.com:8443/coder", "https://coder.example.com:8443/coder"),
        ("http://coder.coder.svc.cluster.local", "http://coder.coder.svc.cluster.local/"),
        ("http://coder.coder.svc:8080", "http://coder.coder.svc:8080/"),
        ("https://10.1.2.3", "https://10.1.2.3/"),
        ("https://10.1.2.3:443", "https://10.1.2.3/"),
        ("http://192.168.10.5:3000", "http://192.168.10.5:3000/"),
        ("http://[fd00::10]:7080", "http://[fd00::10]:7080/"),
        ("https://1.1.1.1:8443", "https://1.1.1.1:8443/"),
        ("https://coder.example.com:10250", "https://coder.example.com:10250/"),  # a name: the internet rule's
        ("https://coder.default-team.svc", "https://coder.default-team.svc/"),
    ],
)
def test_a_coder_url_is_accepted(url: str, normal: str) -> None:
    config = {"platform": "baremetal", "supervisor": {"coderUrl": url}}
    assert load_settings(stored_config(config), "dev").supervisor.coder_url_text == normal
