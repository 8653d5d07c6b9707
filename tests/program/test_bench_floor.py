"""The benchmark's floor sends what the program sends, on every platform: each registration and read with its
parent, provider, dependencies, options and inputs as sent, and each invoke (bench/preview.py `fingerprint`),
so that its ratio compares the SDK's cost of the very same requests."""

from __future__ import annotations

import pytest

from bench.preview import PLATFORMS, _as_given, _evaluate, _program, _replay, fingerprint, stack_config
from components.config import stored_config


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_floor_replays_every_request_of_the_program(platform: str) -> None:
    program = _evaluate(_program, stored_config(stack_config(platform, 2)))
    inputs = [_as_given(entry) for entry in program.resources]
    floor = _evaluate(lambda: _replay(program.resources, inputs, program.calls), {})

    assert fingerprint(floor) == fingerprint(program)
    # what the fingerprint compares is there to compare: resources under components, on the stack's provider,
    # with dependencies (the floor once dropped all three and still matched by types and names)
    assert all(
        r.parent.split("::")[2] != "pulumi:pulumi:Stack" for r in floor.resources if r.type.startswith("kubernetes:")
    )
    assert all(r.provider for r in floor.resources if r.custom and r.type.startswith("kubernetes:"))
    assert any(r.dependencies for r in floor.resources)
