"""Every test belongs to one lane, given by its folder (tests/lanes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lanes import LANES

TESTS = Path(__file__).resolve().parent


def pytest_itemcollected(item: pytest.Item) -> None:
    folder = item.path.resolve().relative_to(TESTS).parts[0]
    if folder not in LANES:
        lanes = ", ".join(f"tests/{name}" for name in LANES)
        raise pytest.UsageError(f"{item.nodeid}: every test belongs in one of the lanes' folders ({lanes})")
    item.add_marker(LANES[folder])
