"""The config fuzz suite's figures: how many generated configs were refused cleanly, accepted (and valid),
ended in a traceback, or were accepted but invalid (docs/security.md).

    python -m bench.config_fuzz [--examples 2500]

It draws from the strategies of tests/fuzz_configs.py, as tests/unit/config/test_fuzz.py does, which asserts the
last two are zero.
"""

from __future__ import annotations

import argparse
import collections

from hypothesis import HealthCheck, given, settings

from components.config import SettingsError, load_settings, stored_config
from tests.fuzz_configs import CONFIG, assert_kubernetes_accepts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2500)
    examples = parser.parse_args().examples
    counts: collections.Counter[str] = collections.Counter()

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(config=CONFIG)
    def one(config: dict[str, object]) -> None:
        try:
            accepted = load_settings(stored_config(config), "fuzz", ("cvm:baremetal", "cvm:supervisor"))
        except SettingsError:
            counts["refused cleanly"] += 1
            return
        except Exception:  # what the suite exists to find
            counts["tracebacks"] += 1
            return
        try:
            assert_kubernetes_accepts(accepted)
            counts["accepted"] += 1
        except AssertionError:
            counts["accepted but invalid"] += 1

    one()
    print(f"configs tried: {sum(counts.values())}")
    for key in ("refused cleanly", "accepted", "tracebacks", "accepted but invalid"):
        print(f"{key}: {counts[key]}")


if __name__ == "__main__":
    main()
