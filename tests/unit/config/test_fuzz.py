"""Generated configs, good and bad: `load_settings` either accepts or refuses cleanly, never with a traceback,
and what it accepts is what Kubernetes and the clouds accept (the strategies: tests/fuzz_configs.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from components.config import SettingsError, load_settings, stored_config
from tests.fuzz_configs import CONFIG, assert_kubernetes_accepts


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=CONFIG)
def test_configs_are_accepted_or_refused_cleanly(config: dict[str, Any]) -> None:
    try:
        accepted = load_settings(stored_config(config), "fuzz", ("cvm:baremetal", "cvm:supervisor"))
    except SettingsError as error:
        assert error.problems, "a refusal names at least one problem"
        for problem in error.problems:
            assert problem.key.startswith("cvm:")
        return
    assert_kubernetes_accepts(accepted)
