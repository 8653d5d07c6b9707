"""The cloud stacks' minor guard on the real engine: a stack reads its own last `kubernetesVersion` output
through a StackReference to itself (components/last_run.py, read by components/clusters/create.py
`guarded_minor`), so the mocks cannot show that the engine allows the self-reference, sees no outputs on a new
stack, and fails a backward step.

The program here is the guard alone, on a GKE stack's settings: no cloud is reached.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from components.clusters import create
from components.config import load_settings, stored_config
from components.last_run import last_outputs
from localcluster import engine


def program(minor: str) -> None:
    config = {"platform": "gke", "kubernetesVersion": minor, "gke": {"location": "europe-west4", "project": "acme-cvm"}}
    settings = load_settings(stored_config(config), pulumi.get_stack())
    pulumi.export(create.VERSION_OUTPUT, create.guarded_minor(settings, last_outputs(settings.name)))


@pytest.fixture
def work() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="cvm-minor-guard-"))
    (folder / "Pulumi.yaml").write_text("name: cvm-minor-guard\nruntime: python\n")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def up(work: Path, minor: str) -> auto.UpResult:
    stack = auto.create_or_select_stack(
        stack_name="guard",
        project_name="cvm-minor-guard",
        program=lambda: program(minor),
        opts=auto.LocalWorkspaceOptions(work_dir=str(work), env_vars=engine.environment()),
    )
    return stack.up(color="never")


def test_a_stack_moves_one_minor_forward_and_never_back(work: Path) -> None:
    try:
        assert up(work, "1.34").outputs[create.VERSION_OUTPUT].value == "1.34"  # a new stack: nothing to compare
        assert up(work, "1.34").outputs[create.VERSION_OUTPUT].value == "1.34"  # the same minor again
        assert up(work, "1.35").outputs[create.VERSION_OUTPUT].value == "1.35"  # one step forward
        with pytest.raises(auto.CommandError) as refused:
            up(work, "1.34")
        assert "cvm:kubernetesVersion = '1.34': the cluster runs Kubernetes 1.35" in str(refused.value)
        assert "Traceback" not in str(refused.value)
    finally:
        auto.LocalWorkspace(work_dir=str(work), env_vars=engine.environment()).remove_stack("guard", force=True)
