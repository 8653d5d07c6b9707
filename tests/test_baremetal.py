"""The bare-metal cluster's pure parts: node patches and the kubeconfig the stack exports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.clusters import baremetal
from components.settings import SettingsError

FIRST = """
apiVersion: v1
kind: Config
clusters:
- {name: lab, cluster: {server: "https://10.0.0.1:6443", certificate-authority: pki/ca.crt}}
contexts:
- {name: lab, context: {cluster: lab, user: admin}}
users:
- {name: admin, user: {client-certificate: pki/admin.crt, client-key: /abs/admin.key}}
current-context: lab
"""
SECOND = """
clusters:
- {name: lab, cluster: {server: "https://shadowed:6443"}}
- {name: edge, cluster: {server: "https://10.0.0.2:6443"}}
contexts:
- {name: edge, context: {cluster: edge, user: ops}}
users:
- {name: ops, user: {token: t}}
current-context: edge
"""


def test_node_patch_carries_only_our_labels() -> None:
    assert baremetal.node_label_patch("n1", {"sysbox-install": "yes"}) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "labels": {"sysbox-install": "yes"}},
    }


def test_ambient_paths() -> None:
    home = Path("/home/op")
    assert baremetal.ambient_kubeconfig_paths({}, home) == [home / ".kube/config"]
    assert baremetal.ambient_kubeconfig_paths({"KUBECONFIG": "/a:/b:"}, home) == [Path("/a"), Path("/b")]


def test_merge_follows_client_go_first_wins_and_makes_paths_absolute() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/etc/k")), (SECOND, Path("/tmp"))])
    assert merged["current-context"] == "lab"
    assert [c["name"] for c in merged["clusters"]] == ["lab", "edge"]
    assert merged["clusters"][0]["cluster"]["server"] == "https://10.0.0.1:6443"
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == "/etc/k/pki/ca.crt"
    assert merged["users"][0]["user"]["client-certificate"] == "/etc/k/pki/admin.crt"
    assert merged["users"][0]["user"]["client-key"] == "/abs/admin.key"


def test_export_is_reduced_to_one_context() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/etc/k")), (SECOND, Path("/tmp"))])
    exported = yaml.safe_load(baremetal.kubeconfig_for(merged, "edge", "test"))
    assert exported["current-context"] == "edge"
    assert [c["name"] for c in exported["clusters"]] == ["edge"]
    assert [u["name"] for u in exported["users"]] == ["ops"]


def test_unknown_or_missing_context_names_the_key() -> None:
    merged = baremetal.merge_kubeconfigs([(FIRST, Path("/"))])
    with pytest.raises(SettingsError, match=r"cvm:baremetal.context = 'prod': is not a context of test: \['lab'\]"):
        baremetal.kubeconfig_for(merged, "prod", "test")
    without_current = {**merged}
    del without_current["current-context"]
    with pytest.raises(SettingsError, match=r"cvm:baremetal\.context: is required: test has no current-context"):
        baremetal.kubeconfig_for(without_current, None, "test")


def test_resolve_reads_the_ambient_files(tmp_path: Path) -> None:
    (tmp_path / "one").write_text(FIRST)
    text = baremetal.resolve_kubeconfig(None, None, {"KUBECONFIG": str(tmp_path / "one")}, tmp_path)
    assert yaml.safe_load(text)["clusters"][0]["cluster"]["certificate-authority"] == f"{tmp_path}/pki/ca.crt"
    configured = baremetal.resolve_kubeconfig(SECOND, "edge", {}, tmp_path)
    assert yaml.safe_load(configured)["current-context"] == "edge"
