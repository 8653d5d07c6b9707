"""The test lanes: each test's marker, given by the folder it is in (pyproject.toml declares the markers,
tests/conftest.py applies them). `make check` runs pure and program; `make test` runs every lane."""

from __future__ import annotations

import os

LANES = {"unit": "pure", "program": "program", "engine": "engine", "node": "node"}

# What a running make hands its commands: its flags, and each variable set on its command line (`.ci/run`'s
# `make test COVERAGE=1` would make a test's own `make -n check` show the coverage run).
_FROM_MAKE = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "COVERAGE")


def typed_env() -> dict[str, str]:
    """This process's environment as a person's shell has it when they type `make`: nothing from a make above."""
    return {key: value for key, value in os.environ.items() if key not in _FROM_MAKE}
