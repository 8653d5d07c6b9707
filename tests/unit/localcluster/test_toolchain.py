"""The toolchain's script runs once per target per process: a `make up` asks for the binaries from several places,
and each "cached" line is printed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcluster import toolchain


def test_each_target_is_checked_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls"
    script = tmp_path / "toolchain.sh"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n[ "$1" = paths ] && echo KUBE_BIN=/cache/kubernetes-v1.35.4\nexit 0\n'
    )
    script.chmod(0o755)
    monkeypatch.setattr(toolchain, "SCRIPT", script)
    monkeypatch.setattr(toolchain, "_checked", set())
    toolchain._paths.cache_clear()
    try:
        assert toolchain.binaries() == {"KUBE_BIN": "/cache/kubernetes-v1.35.4"}
        assert toolchain.kubernetes_version() == "v1.35.4"
        toolchain.binaries("node")
        toolchain.binaries("kubelet", "node")
        toolchain.binaries()
        assert calls.read_text().splitlines() == ["all", "paths", "node", "kubelet"]
    finally:
        toolchain._paths.cache_clear()
