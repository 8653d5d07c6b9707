"""The GitHub workflows: checked by actionlint (built from the Go module proxy), and what they promise."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from e2e.control_plane import toolchain
from tests.harness import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


@pytest.fixture(scope="module")
def actionlint() -> str:
    return toolchain()["ACTIONLINT"]


def load(name: str) -> dict[str, object]:
    # YAML 1.1 reads the key `on` as True
    return {("on" if k is True else str(k)): v for k, v in yaml.safe_load((WORKFLOWS / name).read_text()).items()}


def test_actionlint_passes(actionlint: str) -> None:
    result = subprocess.run([actionlint, "-no-color"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_can_fail(actionlint: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    steps = "    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-dept: 1}\n"  # misspelt input
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n" + steps)
    result = subprocess.run([actionlint, "-no-color", str(broken)], capture_output=True, text=True)
    assert result.returncode == 1 and "fetch-dept" in result.stdout


def test_pull_requests_test_then_preview_every_stack_with_the_pack() -> None:
    workflow = load("pull_request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    assert jobs["preview"]["needs"] == "test"
    assert jobs["preview"]["with"] == {"command": "preview"}


def test_main_deploys_one_stack_at_a_time() -> None:
    workflow = load("push.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    assert jobs["up"]["with"] == {"command": "up", "max-parallel": 1}
    assert workflow["concurrency"] == {"group": "pulumi-up", "cancel-in-progress": False}


def test_each_stack_runs_pulumi_with_the_policy_pack() -> None:
    jobs = load("stack.yml")["jobs"]
    assert isinstance(jobs, dict)
    (pulumi,) = [s for s in jobs["stack"]["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["command"] == "${{ inputs.command }}"
    assert pulumi["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"
