"""The fleet command's shell where it needs no backend: its flags, and a machine without the Pulumi CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.fleet import core
from components.fleet.command import main, parser


def test_flags() -> None:
    args = parser().parse_args(["--stack", "a", "--stack", "b", "--tag", "k=v", "--refresh", "--parallel", "2"])
    assert (args.stack, args.tag, args.refresh, args.parallel, args.json) == (["a", "b"], ["k=v"], True, 2, False)
    for bad in ("0", "-1", "two"):
        with pytest.raises(SystemExit):
            parser().parse_args(["--parallel", bad])


def test_without_the_pulumi_cli_the_command_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main([], work_dir=tmp_path) == core.FAILED
    assert "the Pulumi CLI is missing (no 'pulumi' on PATH)" in capsys.readouterr().err
