"""The test lanes and the linters as the Makefile, pre-commit, pytest and CI declare them: `make check` is the
linters and the pure and program lanes, `make test` the whole suite after it, and pre-commit runs the linters
`make check` runs."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.harness import ROOT
from tests.lanes import LANES


def recipe(target: str) -> tuple[list[str], list[str]]:
    """A Makefile target's prerequisites and its commands (`$(BIN)/` dropped)."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
    assert match, target
    commands = [line.strip().replace("$(BIN)/", "") for line in match.group(2).splitlines()]
    return match.group(1).split(), commands


def test_pre_commit_runs_the_linters_of_make_check() -> None:
    assert "lint" in recipe("check")[0]
    linters = {command.removesuffix(" .") for command in recipe("lint")[1]}
    (local,) = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
    assert local["repo"] == "local"
    hooks = {hook["entry"].removeprefix("venv/bin/") for hook in local["hooks"]}
    assert hooks == linters == {"ruff check", "ruff format --check", "mypy"}
    assert all(hook["language"] == "system" for hook in local["hooks"])  # nothing to download


def test_check_runs_the_fast_lanes_and_test_everything_after_it() -> None:
    prerequisites, commands = recipe("check")
    assert prerequisites == ["lint"]  # no `engine`: the fast lane needs no Go toolchain
    assert commands == ['pytest -m "pure or program" tests/unit tests/program']
    prerequisites, commands = recipe("test")
    assert prerequisites[0] == "check" and "engine" in prerequisites
    assert commands == ['pytest -m "engine or node" tests/engine tests/node']
    assert {path.name for path in (ROOT / "tests").iterdir() if path.is_dir() and path.name != "__pycache__"} == set(
        LANES
    )
    assert "make test coverage" in (ROOT / ".ci" / "run").read_text()  # one make run: check is test's first step


def test_every_lane_is_a_registered_marker() -> None:
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_options["addopts"]
    assert {marker.split(":")[0] for marker in pytest_options["markers"]} == set(LANES.values())
