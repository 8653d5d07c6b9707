"""`cvm`, the operator's command: its subcommands are the tools' own parsers, each with its help and defaults,
a bad argument is a usage error, and the console script is declared and installed."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from components import cli

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("preflight", "fleet", "coder-template")


def _exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str, str]:
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    out, err = capsys.readouterr()
    return stopped.value.code, out, err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _exit(["--help"], capsys)
    assert code == 0
    assert all(f"    {name} " in out or f"    {name}\n" in out for name in NAMES), out
    assert tuple(cli.COMMANDS) == NAMES


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    (commands,) = (a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


@pytest.mark.parametrize("name", NAMES)
def test_each_command_has_help_with_its_defaults(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _exit([name, "--help"], capsys)
    assert code == 0 and out.startswith(f"usage: cvm {name} ")
    text = " ".join(out.split())  # help wraps at the terminal's width
    for action in _subparsers()[name]._actions:
        if action.required or action.default in (argparse.SUPPRESS, False, []):
            continue  # nothing to say: a required flag, --help, a switch, a repeatable flag
        assert "default: " in (action.help or ""), action.option_strings
        if action.default is not None:
            assert f"default: {action.default}" in text, action.option_strings


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--bogus"], "cvm: error: the following arguments are required: COMMAND"),
        ([], "cvm: error: the following arguments are required: COMMAND"),
        (["nonesuch"], "cvm: error: argument COMMAND: invalid choice: 'nonesuch'"),
        (["fleet", "--bogus"], "cvm: error: unrecognized arguments: --bogus"),
        (
            ["fleet", "--parallel", "0"],
            "cvm fleet: error: argument --parallel: '0' is not a whole number of at least 1",
        ),
        # a command's own check reports through its own usage line
        (
            ["coder-template", "--stack-config", "stack.yaml", "--out", "t"],
            "cvm coder-template: error: --stack-config 'stack.yaml': name it Pulumi.<stack>.yaml or give --stack",
        ),
    ],
)
def test_a_bad_argument_is_a_usage_error(argv: list[str], error: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _exit(argv, capsys)
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith(error), err
    assert err.splitlines()[0].startswith("usage: cvm") and "Traceback" not in err


@pytest.mark.parametrize("name", NAMES)
def test_python_m_runs_the_same_command(name: str) -> None:
    module = f"components.{name.replace('-', '_')}"
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    flags = {s for action in _subparsers()[name]._actions for s in action.option_strings}
    assert done.stdout.startswith(f"usage: python -m {module} ")
    assert all(flag in done.stdout for flag in flags), flags


def test_the_console_script_is_declared_for_components_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"cvm": "components.cli:main"}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["components*"]
    setup = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("$(BIN)/activate:"))
    assert "pyproject.toml" in setup  # a changed declaration reinstalls


def test_the_installed_command_runs() -> None:
    script = Path(sys.executable).parent / "cvm"
    if not script.exists():
        pytest.skip(f"no {script}: this environment was not made by `make setup` (pip install --no-deps -e .)")
    done = subprocess.run([str(script), "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in NAMES)
