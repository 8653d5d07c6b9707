"""The README's benchmark in its smallest run (one platform, one workspace, one repeat): the program and the
floor that replays it both run, so a change the floor cannot replay fails here rather than in the next
measurement."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT


def test_the_benchmark_runs_and_the_floor_replays_the_program() -> None:
    command = [sys.executable, "-m", "bench.preview", "--repeats", "1", "--sizes", "1", "--platforms", "baremetal"]
    done = subprocess.run([*command, "--no-engine"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    row = next(line.split() for line in lines if line.startswith("baremetal"))
    assert row[:2] == ["baremetal", "1"] and int(row[2]) > 0  # the platform, its workspaces, what it registered
    assert lines[-1].startswith("max ratio to SDK floor: ")
