"""The README's benchmark in its smallest run (every platform, one workspace, one repeat): the program and the
floor that replays it both run, and the script refuses a floor that does not send the program's very requests
(every field of every registration, read and invoke: `fingerprint` in bench/preview.py), so a change the floor
cannot replay fails here rather than in the next measurement."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT


def test_the_benchmark_runs_and_the_floor_replays_the_program() -> None:
    platforms = ["baremetal", "gke", "aks", "eks"]
    command = [
        sys.executable,
        "-m",
        "bench.preview",
        "--repeats",
        "1",
        "--sizes",
        "1",
        "--platforms",
        ",".join(platforms),
    ]
    done = subprocess.run([*command, "--no-engine"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for platform in platforms:
        row = next(line.split() for line in lines if line.startswith(platform))
        assert row[:2] == [platform, "1"] and int(row[2]) > 0  # the platform, its workspaces, what it registered
    assert lines[-1].startswith("max ratio to SDK floor: ")
