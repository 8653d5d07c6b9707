"""The bare-metal cluster's kubeconfig: the one the stack reads, reduced to the one context it exports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.clusters import baremetal
from components.config import SettingsError
from components.kube import kubeconfig


def test_export_is_reduced_to_one_context(two_kubeconfigs: tuple[str, str]) -> None:
    first, second = two_kubeconfigs
    merged = kubeconfig.merge([(first, Path("/etc/k")), (second, Path("/tmp"))])
    exported = yaml.safe_load(baremetal.reduce_kubeconfig(merged, "edge", "test"))
    assert exported["current-context"] == "edge"
    assert [c["name"] for c in exported["clusters"]] == ["edge"]
    assert [u["name"] for u in exported["users"]] == ["ops"]


def test_unknown_or_missing_context_names_the_key(two_kubeconfigs: tuple[str, str]) -> None:
    first, _ = two_kubeconfigs
    merged = kubeconfig.merge([(first, Path("/"))])
    with pytest.raises(SettingsError, match=r"cvm:baremetal.context = 'prod': is not a context of test: \['lab'\]"):
        baremetal.reduce_kubeconfig(merged, "prod", "test")
    without_current = {**merged}
    del without_current["current-context"]
    with pytest.raises(SettingsError, match=r"cvm:baremetal\.context: is required: test has no current-context"):
        baremetal.reduce_kubeconfig(without_current, None, "test")


def test_resolve_reads_the_ambient_files(two_kubeconfigs: tuple[str, str], tmp_path: Path) -> None:
    first, second = two_kubeconfigs
    (tmp_path / "one").write_text(first)
    text = baremetal.resolve_kubeconfig(None, None, {"KUBECONFIG": str(tmp_path / "one")}, tmp_path)
    assert yaml.safe_load(text)["clusters"][0]["cluster"]["certificate-authority"] == f"{tmp_path}/pki/ca.crt"
    configured = baremetal.resolve_kubeconfig(second, "edge", {}, tmp_path)
    assert yaml.safe_load(configured)["current-context"] == "edge"


def test_an_ambient_kubeconfig_that_is_not_utf8_is_named_not_quoted(tmp_path: Path) -> None:
    (tmp_path / "config").write_bytes(b"apiVersion: v1\nusers: [{name: a, user: {token: s\xe9cret}}]\n")
    with pytest.raises(SettingsError) as refused:
        baremetal.resolve_kubeconfig(None, None, {"KUBECONFIG": str(tmp_path / "config")}, tmp_path)
    message = str(refused.value)
    assert f"{tmp_path / 'config'} is not UTF-8 text (byte " in message and "cret" not in message
