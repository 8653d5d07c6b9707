"""Kubeconfig files as kubectl finds and merges them."""

from __future__ import annotations

from pathlib import Path

from components.kube import kubeconfig


def test_ambient_paths() -> None:
    home = Path("/home/op")
    assert kubeconfig.ambient_paths({}, home) == [home / ".kube/config"]
    assert kubeconfig.ambient_paths({"KUBECONFIG": "/a:/b:"}, home) == [Path("/a"), Path("/b")]


def test_merge_follows_client_go_first_wins_and_makes_paths_absolute(two_kubeconfigs: tuple[str, str]) -> None:
    first, second = two_kubeconfigs
    merged = kubeconfig.merge([(first, Path("/etc/k")), (second, Path("/tmp"))])
    assert merged["current-context"] == "lab"
    assert [c["name"] for c in merged["clusters"]] == ["lab", "edge"]
    assert merged["clusters"][0]["cluster"]["server"] == "https://10.0.0.1:6443"
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == "/etc/k/pki/ca.crt"
    assert merged["users"][0]["user"]["client-certificate"] == "/etc/k/pki/admin.crt"
    assert merged["users"][0]["user"]["client-key"] == "/abs/admin.key"
