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


def test_a_kubeconfig_nested_thousands_deep_is_refused_without_recursing() -> None:
    """PyYAML's composer recurses per level: the depth is read from the parser's events first (issue 24)."""
    text = "clusters: " + "[" * 5000 + "]" * 5000
    assert kubeconfig.problem(text) == "nests deeper than 32 levels"
    assert kubeconfig.parse(text) is None
    block = "".join(f"{'  ' * i}k{i}:\n" for i in range(40))
    assert kubeconfig.problem(block) == "nests deeper than 32 levels"


def test_a_file_that_is_not_utf8_is_named_not_decoded(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(b"apiVersion: v1\nusers: [{user: {token: \xff\xfes3cr3t}}]\n")
    text, found = kubeconfig.read(path)
    assert (text, found) == ("", "is not UTF-8 text (byte 38)")
    path.write_text("apiVersion: v1\n")
    assert kubeconfig.read(path) == ("apiVersion: v1\n", None)


CLUSTER = {"name": "c", "cluster": {"server": "https://10.0.0.1:6443"}}
USER = {"name": "u", "user": {"token": "s3cr3t"}}


def test_a_context_must_reach_a_cluster_with_a_server_and_a_user() -> None:
    def lacks(context: dict[str, object], clusters: tuple[object, ...] = (CLUSTER,)) -> str | None:
        document = {"clusters": list(clusters), "users": [USER], "contexts": [{"name": "a", **context}]}
        return kubeconfig.incomplete(document, "a")

    assert lacks({"context": {"cluster": "c", "user": "u"}}) is None
    assert lacks({}) == "context 'a' names no cluster and no user"
    assert lacks({"context": {"cluster": "c"}}) == "context 'a' names no user"
    assert lacks({"context": {"cluster": "x", "user": "u"}}) == (
        "context 'a' names cluster 'x', which the kubeconfig does not define"
    )
    assert lacks({"context": {"cluster": "c", "user": "u"}}, ({"name": "c", "cluster": {}},)) == (
        "context 'a' names cluster 'c', which has no server"
    )


def test_a_parse_is_a_copy_of_the_one_parse_of_its_text() -> None:
    text = kubeconfig.build("lab", {"server": "https://127.0.0.1:6443"}, {"token": "t"})
    first = kubeconfig.parse(text)
    assert first is not None
    first["contexts"].clear()  # a caller's change reaches no later parse of the same text
    again = kubeconfig.parse(text)
    assert again is not None and kubeconfig.contexts(text) == {"lab"}
    assert again["contexts"] == [{"name": "lab", "context": {"cluster": "lab", "user": "lab"}}]
