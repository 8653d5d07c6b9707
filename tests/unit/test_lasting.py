"""components/lasting.py: imports run with the garbage collector paused, and what they made is frozen."""

from __future__ import annotations

import gc

import pytest

from components.lasting import lasting


def test_no_collection_runs_inside_and_what_was_made_is_frozen() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with lasting():
            assert not gc.isenabled()
            made: list[list[int]] = [[] for _ in range(1000)]  # tracked objects, as an import's
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()


def test_the_collector_comes_back_when_an_import_fails() -> None:
    try:
        with pytest.raises(ImportError), lasting():
            raise ImportError("no module named 'missing'")
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with lasting():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
