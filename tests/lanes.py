"""The test lanes: each test's marker, given by the folder it is in (pyproject.toml declares the markers,
tests/conftest.py applies them). `make check` runs pure and program; `make test` runs every lane."""

from __future__ import annotations

LANES = {"unit": "pure", "program": "program", "engine": "engine", "node": "node"}
