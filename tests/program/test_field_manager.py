"""Every Kubernetes object a stack registers names the stack's own server-side-apply field manager, so that a
rerun after an interrupted `up` re-adopts what the killed run made (tests/engine/test_interrupted.py)."""

from __future__ import annotations

from tests.harness import FULL, SECRET_KEYS, run_program


def test_every_object_is_applied_by_the_stacks_field_manager() -> None:
    run = run_program(FULL, SECRET_KEYS, stack="lab")
    assert run.kubernetes_objects
    for resource in run.kubernetes_objects:
        annotations = resource.manifest["metadata"]["annotations"]
        assert annotations["pulumi.com/patchFieldManager"] == "cvm-lab", (resource.type, resource.name)
