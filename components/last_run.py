"""The stack's own outputs from its last run, read through a StackReference to itself: what some changes are
checked against before anything is applied (the clouds' minor step, homes that must not move)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

# The outputs as the program reads them: empty on a first run.
LastOutputs = pulumi.Output[Mapping[str, Any]]


def last_outputs(cluster_name: str) -> LastOutputs:
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    itself = pulumi.StackReference(f"{cluster_name}-previous", stack_name=stack)
    return itself.outputs.apply(lambda outputs: outputs or {})
