"""The local engine's program (localcluster/program.py) is the project's, with one local change: no home is
awaited, since the provider built here times out on any update of a bound home (pulumi/pulumi-kubernetes#4179)."""

from __future__ import annotations

from components.config import stored_config
from components.kube.manifest import SKIP_AWAIT
from localcluster.program import program
from tests.harness import FULL, SECRET_KEYS, evaluate

CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"


def test_the_local_program_awaits_no_home_and_all_else_as_the_project() -> None:
    run = evaluate(program, stored_config(FULL), [f"cvm:{key}" for key in SECRET_KEYS], "dev")
    homes = run.of_type(CLAIM)
    assert len(homes) == 3
    for home in homes:
        annotations = home.manifest["metadata"]["annotations"]
        assert annotations.items() >= SKIP_AWAIT.items() and "pulumi.com/patchFieldManager" in annotations
    others = [r for r in run.kubernetes_objects if r.type != CLAIM]
    assert others and not [r.name for r in others if SKIP_AWAIT.keys() & r.manifest["metadata"].get("annotations", {})]
