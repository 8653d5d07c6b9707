"""What the Go-built tools (scripts/toolchain.sh) say of the project's files: actionlint of the GitHub workflows,
and the real Pulumi CLI reading Pulumi.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from localcluster import toolchain
from tests.harness import ROOT


@pytest.fixture(scope="module")
def actionlint() -> str:
    return toolchain.binaries()["ACTIONLINT"]


def test_actionlint_passes(actionlint: str) -> None:
    result = subprocess.run([actionlint, "-no-color"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_can_fail(actionlint: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    steps = "    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-dept: 1}\n"  # misspelt input
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n" + steps)
    result = subprocess.run([actionlint, "-no-color", str(broken)], capture_output=True, text=True)
    assert result.returncode == 1 and "fetch-dept" in result.stdout


def test_the_template_declares_nothing_a_stack_must_set(tmp_path: Path) -> None:
    """The real CLI reads the project (its schema checks the template section) and validates a stack's config
    against the declared keys before it runs the program: a stack with only the platform gets past that."""
    pulumi = Path(toolchain.binaries("pulumi")["PULUMI_BIN"]) / "pulumi"
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", project)
    env = {
        **os.environ,
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path}",
        "PULUMI_CONFIG_PASSPHRASE": "test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pulumi), *args], cwd=project, env=env, capture_output=True, text=True)

    for stack in ("bare", "platform"):
        assert cli("stack", "init", stack).returncode == 0
    assert cli("config", "set", "--stack", "platform", "cvm:platform", "gke").returncode == 0
    refused = cli("preview", "--stack", "bare")
    assert "Stack 'bare' is missing configuration value 'platform'" in refused.stderr + refused.stdout
    # past the config check, the preview needs the Python language host, which is not built here
    # (scripts/toolchain.sh); wherever it is, the preview goes on to run the program
    accepted = cli("preview", "--stack", "platform")
    assert "validating stack config" not in accepted.stderr + accepted.stdout
    assert "Previewing update (platform)" in accepted.stdout
