"""Fixtures for the config tests: load a config as the program would, or collect what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Settings, SettingsError, load_settings, stored_config

SECRET_KEYS = ("cvm:baremetal", "cvm:supervisor")


def _load(config: dict[str, Any], secret_keys: tuple[str, ...] = SECRET_KEYS) -> Settings:
    return load_settings(stored_config(config), "dev", secret_keys)


@pytest.fixture
def load() -> Callable[..., Settings]:
    """The settings of stack `dev` with `config` (keys without `cvm:`), its credentials set as secrets."""
    return _load


@pytest.fixture
def problems() -> Callable[..., dict[str, str]]:
    """key -> reason of each problem `config` has; fails the test if it has none."""

    def collect(config: dict[str, Any], **kwargs: Any) -> dict[str, str]:
        with pytest.raises(SettingsError) as raised:
            _load(config, **kwargs)
        found: dict[str, str] = {}
        for p in raised.value.problems:
            found[p.key] = found.get(p.key, "") + str(p)
        return found

    return collect


@pytest.fixture
def workspace() -> Callable[..., dict[str, Any]]:
    """A workspace entry with the two keys it requires, and `fields`."""
    return lambda **fields: {"name": "alice", "image": "ghcr.io/acme/workspace:1.0", **fields}
