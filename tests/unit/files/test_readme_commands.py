"""Every command the README shows runs in a test: each command line of its shell blocks maps, by its prefix, to
the test that runs it, or to a smoke run made right here (a `--help`, a `make -n`). A command the table does not
know fails, naming its README line: add the test that runs it, then its row below."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lanes import typed_env

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"


@dataclass(frozen=True)
class Runs:
    """Where a command runs: a test's node id (`path::function`), or a smoke run here (argv from ROOT)."""

    test: str = ""
    smoke: tuple[str, ...] = ()


PYTHON = "venv/bin/python"
ENGINE = "tests/engine/test_engine.py"
PREFLIGHT = Runs(f"{ENGINE}::test_0_operator_command_prints_each_node_with_its_verdict", ("preflight", "--help"))
FLEET = Runs("tests/engine/test_fleet.py::test_1_stacks_in_sync_are_tagged_and_exit_zero", ("fleet", "--help"))
CODER_TEMPLATE = Runs(
    "tests/unit/coder_template/test_command.py::test_writes_the_template_of_each_example", ("coder-template", "--help")
)
MAKE_UP_DOWN = Runs("tests/engine/test_make.py::test_make_up_deploys_the_dev_stack_and_make_down_stops_it")

# By the command's first words (the longest prefix wins); `python -m components.X` and `cvm X` run the same code.
RUNNERS: dict[str, Runs] = {
    "make up": MAKE_UP_DOWN,
    "make up CLUSTER": Runs(
        "tests/unit/localcluster/test_up_script.py::test_make_up_cluster_previews_asks_and_applies_on_yes"
    ),
    "make down": MAKE_UP_DOWN,
    "make preview": Runs(
        "tests/engine/test_day2.py::test_2_drift_is_found_by_the_fleet_and_a_refresh_and_repaired_by_up"
    ),
    "make refresh": Runs(
        "tests/engine/test_day2.py::test_2_drift_is_found_by_the_fleet_and_a_refresh_and_repaired_by_up"
    ),
    "make destroy": Runs("tests/engine/test_day2.py::test_5_destroy_deletes_the_stack_and_keeps_the_control_plane"),
    "make fleet": Runs("tests/engine/test_day2.py::test_1_the_fleet_command_runs_on_the_local_stack"),
    # .ci/run runs these three whole on every submission; here only that make can read them
    "make test": Runs(smoke=("make", "-n", "test")),
    "make check": Runs(smoke=("make", "-n", "check")),
    "make coverage": Runs(smoke=("make", "-n", "coverage")),
    "make setup": Runs(smoke=("make", "-n", "setup")),
    "cvm preflight": PREFLIGHT,
    "cvm fleet": FLEET,
    "cvm coder-template": CODER_TEMPLATE,
    f"{PYTHON} -m components.preflight": PREFLIGHT,
    f"{PYTHON} -m components.fleet": FLEET,
    f"{PYTHON} -m components.coder_template": CODER_TEMPLATE,
    f"{PYTHON} -m bench.preview": Runs(
        "tests/program/test_bench_preview.py::test_the_benchmark_runs_and_the_floor_replays_the_program"
    ),
    f"{PYTHON} -m bench.engine_scale": Runs(smoke=(PYTHON, "-m", "bench.engine_scale", "--help")),
    "python -m venv venv": Runs("tests/program/test_installs.py::test_each_platform_runs_with_only_its_set"),
    "venv/bin/pip install -r requirements/": Runs(
        "tests/program/test_installs.py::test_each_platform_runs_with_only_its_set"
    ),
    # the Pulumi CLI, as the real-engine tests drive it (the Automation API runs the same commands)
    "pulumi new": Runs("tests/engine/test_built_tools.py::test_the_template_declares_nothing_a_stack_must_set"),
    "pulumi stack init": Runs(f"{ENGINE}::test_1_up_creates_every_object"),
    "pulumi config set": Runs(f"{ENGINE}::test_1_up_creates_every_object"),
    "pulumi up": Runs(f"{ENGINE}::test_1_up_creates_every_object"),
    "pulumi preview": Runs(f"{ENGINE}::test_2_no_perpetual_diff"),
    # other tools' commands on what cvm made: the test that checks what they act on
    "kubectl -n cvm-workspaces": Runs(f"{ENGINE}::test_1_up_creates_every_object"),
    "docker build": Runs("tests/unit/files/test_image.py::test_systemd_is_init_and_docker_starts_with_it"),
    "docker push": Runs("tests/unit/files/test_image.py::test_systemd_is_init_and_docker_starts_with_it"),
    "coder templates push": CODER_TEMPLATE,
}


def readme_commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) for each command of the README's shell blocks: ```sh, ```bash, ```console, or a
    bare ``` whose lines start with `$ `; continuations joined, comments dropped, `a && b` as two commands."""
    commands: list[tuple[int, str]] = []
    fence: str | None = None
    pending = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        if fence is None or fence not in ("sh", "bash", "console", "shell", ""):
            continue
        if fence in ("", "console"):
            if not line.startswith("$ ") and not pending:
                continue  # output, not a command
            line = line.removeprefix("$ ")
        command = re.split(r"\s#", line.strip(), maxsplit=1)[0].strip() if not line.lstrip().startswith("#") else ""
        if command.endswith("\\"):
            pending += command.removesuffix("\\") + " "
            continue
        if command or pending:
            commands.extend((number, " ".join(part.split())) for part in (pending + command).split("&&"))
        pending = ""
    return commands


def runner(command: str) -> Runs | None:
    known = [prefix for prefix in RUNNERS if command == prefix or command.startswith(prefix.rstrip("/") + " ")]
    known += [prefix for prefix in RUNNERS if prefix.endswith("/") and command.startswith(prefix)]
    return RUNNERS[max(known, key=len)] if known else None


def test_the_reader_finds_commands_and_skips_output() -> None:
    text = "```sh\nmake up   # note\n# a comment\ncvm fleet \\\n    --json && make test\n```\n"
    text += "```\nNODE  OS\n$ cvm preflight\n```\n"
    assert readme_commands(text) == [(2, "make up"), (5, "cvm fleet --json"), (5, "make test"), (9, "cvm preflight")]


def test_every_readme_command_has_a_runner() -> None:
    commands = readme_commands(README.read_text())
    assert commands, "no command found in README.md's shell blocks"
    unknown = [f"README.md:{number}: {command}" for number, command in commands if runner(command) is None]
    assert not unknown, "no test runs these README commands (add one, then a row to RUNNERS):\n" + "\n".join(unknown)


def _defined(node_id: str) -> bool:
    path, name = node_id.split("::")
    file = ROOT / path
    return file.is_file() and any(
        isinstance(node, ast.FunctionDef) and node.name == name for node in ast.parse(file.read_text()).body
    )


@pytest.mark.parametrize("node_id", sorted({runs.test for runs in RUNNERS.values() if runs.test}))
def test_each_named_test_exists(node_id: str) -> None:
    assert _defined(node_id), f"{node_id} is not a test of this repository: fix its row in RUNNERS"


@pytest.mark.parametrize("smoke", sorted({runs.smoke for runs in RUNNERS.values() if runs.smoke}), ids=" ".join)
def test_each_smoke_run_passes(smoke: tuple[str, ...]) -> None:
    if smoke[0] == "make" and smoke[-1] not in _make_targets():
        pytest.skip(f"the Makefile has no `{smoke[-1]}` target yet")
    argv = [sys.executable, *smoke[1:]] if smoke[0] == PYTHON else list(smoke)
    if smoke[0] in ("preflight", "fleet", "coder-template"):
        argv = [sys.executable, "-c", "import sys; from components.cli import main; sys.exit(main())", *smoke]
    done = subprocess.run(argv, cwd=ROOT, env=typed_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _make_targets() -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE)}
