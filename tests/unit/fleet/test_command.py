"""The fleet command's shell where it needs no backend: its flags, and a machine without the Pulumi CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from components.fleet import core, stacks
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


def test_stacks_run_from_a_scratch_copy_so_the_tracked_stack_files_keep_their_bytes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "components").mkdir(parents=True)
    tracked = {"Pulumi.yaml": b"name: cvm\nruntime: python\n", "Pulumi.dev.yaml": b"config:\n  cvm:platform: gke\n"}
    for name, text in tracked.items():
        (project / name).write_bytes(text)
    (project / "__main__.py").write_text("print('program')\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copy = stacks.scratch_project(project, scratch)
    # what the Pulumi CLI does to a stack's file when it reads the stack (pulumi/pulumi#8408)
    with (copy / "Pulumi.dev.yaml").open("a") as written:
        written.write("encryptionsalt: v1:abc:def\n")
    (copy / "Pulumi.yaml").write_text("name: changed\n")
    assert {name: (project / name).read_bytes() for name in tracked} == tracked
    # the program and everything it imports is the project's own
    assert (copy / "__main__.py").resolve() == project / "__main__.py"
    assert (copy / "components").resolve() == project / "components"
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in project.iterdir())


def test_the_workspace_is_a_scratch_folder_removed_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: cvm\n")
    # the workspace's folder, without asking a Pulumi CLI for its version
    monkeypatch.setattr(auto, "LocalWorkspace", lambda work_dir, **_: work_dir)
    with stacks.workspace(tmp_path) as ws:
        scratch = Path(str(ws))
        assert scratch != tmp_path and (scratch / "Pulumi.yaml").read_text() == "name: cvm\n"
    assert not scratch.exists()
