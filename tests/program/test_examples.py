"""The example stack files are valid stacks: their settings load, and the cloud ones run under mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import load_settings, stored_config
from tests.harness import ROOT, run_program

EXAMPLES = sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


def stored(path: Path) -> dict[str, Any]:
    """The stack file's config as `pulumi config` hands it to the program: objects as JSON."""
    config = yaml.safe_load(path.read_text())["config"]
    return stored_config(config)


def test_there_is_one_example_per_platform() -> None:
    platforms = {yaml.safe_load(p.read_text())["config"]["cvm:platform"] for p in EXAMPLES}
    assert platforms == {"gke", "aks", "eks", "baremetal"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_settings_load(path: Path) -> None:
    stack = path.name.split(".")[1]
    settings = load_settings(stored(path), stack)
    assert settings.name == f"cvm-{stack}"


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "metal" not in p.name], ids=lambda p: p.name)
def test_cloud_examples_run(path: Path) -> None:
    config = yaml.safe_load(path.read_text())["config"]
    run = run_program(config, stack=path.name.split(".")[1])
    assert run.outputs["clusterName"] == f"cvm-{path.name.split('.')[1]}"
