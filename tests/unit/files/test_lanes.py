"""The test lanes and the linters as the Makefile, pre-commit, pytest and CI declare them: `make check` is the
linters and the pure and program lanes, `make test` the whole suite after it, pre-commit runs the linters
`make check` runs, and CI runs each lane once (the fast lanes' coverage measured by the run that tests them)."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib

import yaml

from tests.harness import ROOT
from tests.lanes import LANES, typed_env


def recipe(target: str) -> tuple[list[str], list[str]]:
    """A Makefile target's prerequisites and its commands (`$(BIN)/` dropped)."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
    assert match, target
    commands = [line.strip().replace("$(BIN)/", "") for line in match.group(2).splitlines()]
    return match.group(1).split(), commands


def test_pre_commit_runs_the_linters_of_make_check() -> None:
    assert "lint" in recipe("check")[1][0].split()
    linters = {command.removesuffix(" .") for command in recipe("lint")[1]}
    (local,) = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
    assert local["repo"] == "local"
    hooks = {hook["entry"].removeprefix("venv/bin/") for hook in local["hooks"]}
    assert hooks == linters == {"ruff check", "ruff format --check", "mypy"}
    assert all(hook["language"] == "system" for hook in local["hooks"])  # nothing to download


def dry_run(*args: str, only: str = "pytest ") -> list[str]:
    """The commands `make ARGS` would run (`make -n`: nothing runs) that contain `only` (by default its pytest runs)."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", *args], cwd=ROOT, env=typed_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return [line.strip().replace("venv/bin/", "") for line in done.stdout.splitlines() if only in line]


def lanes_of(pytest_runs: list[str]) -> list[str]:
    """Each lane the runs select by marker (`-m "pure or program"`), once per run that selects it."""
    return [lane for run in pytest_runs for lane in re.findall(r'-m "([^"]+)"', run)[0].split(" or ")]


def test_check_runs_the_fast_lanes_and_test_everything_after_it() -> None:
    _, (both,) = recipe("check")
    assert re.fullmatch(r"\$\(MAKE\) .*-j2\)? lint fast-tests", both), both  # the linters beside the tests
    assert dry_run("check", only="toolchain") == []  # the fast lane needs no Go toolchain
    assert dry_run("check") == [
        'pytest -m "pure or program" --numprocesses=auto --maxprocesses=4 tests/unit tests/program'
    ]  # no coverage, over the cores: fast
    _, (beside, *after) = recipe("test")
    # the fast lane with the engine's and node's builds beside it (one make run, two jobs), then the other lanes
    assert re.fullmatch(r"\$\(MAKE\) (.* )?-j2 (.* )?check engine node-engine( .*)?", beside), beside
    assert after == ['pytest -m "engine or node" tests/engine tests/node']
    assert lanes_of(dry_run("test")) == ["pure", "program", "engine", "node"]
    assert {path.name for path in (ROOT / "tests").iterdir() if path.is_dir() and path.name != "__pycache__"} == set(
        LANES
    )


def test_ci_runs_the_readme_test_command_and_each_lane_once() -> None:
    runs = [shlex.split(line) for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make ")]
    assert len(runs) == 1 and runs[0][:2] == ["make", "test"]  # one make run of the README's test command
    pytest_runs = dry_run(*runs[0][1:])
    assert sorted(lanes_of(pytest_runs)) == sorted(LANES.values())  # each lane once: none repeated for coverage
    (fast,) = [run for run in pytest_runs if "pure" in lanes_of([run])]
    assert "--cov" in fast.split()  # the coverage figure comes from the fast lanes' one run
    assert dry_run("coverage") == [fast]  # `make coverage` measures the same run


def test_every_lane_is_a_registered_marker() -> None:
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_options["addopts"]
    assert {marker.split(":")[0] for marker in pytest_options["markers"]} == set(LANES.values())
