"""What `make up`'s driver prints, told once: each toolchain target checked once per process (a `make up` asks
for the binaries from several places), and a bad config or a failed `pulumi up` without a traceback, said to have
failed. No test builds or runs anything; they are in this lane because the fast lanes import nothing that can
(tests/unit/test_layers.py). Pulumi's own output, as the driver prints it: tests/unit/localcluster/
test_engine_output.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from components.config import Problem, SettingsError
from localcluster import engine, toolchain


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


def test_a_bad_config_is_told_once_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad(*, with_node: bool) -> None:
        assert not with_node  # `make up` without NODE=1
        raise SettingsError([Problem("cvm:kubernetesVersoin", "1.35", "is not a key cvm reads")])

    monkeypatch.setattr(engine, "up_dev", bad)
    assert engine.main(["up"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("cvm:kubernetesVersoin") == 1 and err.startswith("make up: Pulumi.dev.yaml: the cvm config")


def test_a_failed_up_tells_the_cli_errors_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    streamed = "Updating (dev):\nDiagnostics:\n  error: the program's error, streamed already\n"
    stderr = "error: decrypting secret value: passphrase must be set\n"

    def failed(*, with_node: bool) -> None:
        assert with_node  # `make up NODE=1`
        raise auto.CommandError(CommandResult(streamed, stderr, 255))

    monkeypatch.setattr(engine, "up_dev", failed)
    assert engine.main(["up", "--node"]) == 1
    told = capsys.readouterr().err.splitlines()
    assert told[0] == "make up: decrypting secret value: passphrase must be set"
    assert re.fullmatch(r"make up: `pulumi up` of the dev stack failed after \d+ s", told[1]) and len(told) == 2
    assert engine.main(["down"]) == 2


def test_a_failed_up_whose_errors_were_streamed_says_it_failed_and_where_they_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failed(*, with_node: bool) -> None:
        assert not with_node
        raise auto.CommandError(CommandResult("Diagnostics:\n  error: the program's error\n", "", 255))

    monkeypatch.setattr(engine, "up_dev", failed)
    assert engine.main(["up"]) == 1
    told = capsys.readouterr().err
    assert re.fullmatch(r"make up: `pulumi up` of the dev stack failed after \d+ s: its errors are above\n", told)
