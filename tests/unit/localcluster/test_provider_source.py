"""The provider build's steps in Python (localcluster/provider_source.py, run by scripts/toolchain.sh with the
machine's python3): the embedded schema stamped with the version, and the nearest served version of a module."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from localcluster import ROOT
from localcluster.provider_source import embed, nearest


def test_embed_writes_the_compact_schema_stamped_with_the_version_and_the_mapping(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text(json.dumps({"name": "kubernetes", "version": ""}, indent=2))
    (tmp_path / "terraform-mapping.json").write_text(json.dumps({"a": [1, 2]}, indent=2))
    embed(tmp_path, "4.25.0")
    assert (tmp_path / "schema-embed.json").read_text() == '{"name":"kubernetes","version":"4.25.0"}'
    assert (tmp_path / "terraform-mapping-embed.json").read_text() == '{"a":[1,2]}'


@pytest.mark.parametrize(
    ("want", "served", "chosen"),
    [
        ("v4.19.0", ["v4.18.0", "v4.19.0", "v4.20.0"], "v4.19.0"),  # served as asked
        ("v4.19.1", ["v4.18.0", "v4.20.0-20250101000000-abcdef", "v4.21.0"], "v4.20.0-20250101000000-abcdef"),
        ("v4.30.0", ["v4.18.0", "v4.21.0"], "v4.21.0"),  # none at or above: the newest
    ],
)
def test_nearest_is_the_first_served_at_or_above_else_the_newest(want: str, served: list[str], chosen: str) -> None:
    assert nearest(want, served) == chosen


def test_the_machines_python_runs_it_as_the_script_does(tmp_path: Path) -> None:
    """As scripts/toolchain.sh calls it: `python3 -m`, the checkout on PYTHONPATH, versions on stdin."""
    done = subprocess.run(
        ["python3", "-m", "localcluster.provider_source", "nearest", "v4.19.1"],
        input="v4.18.0\nv4.20.0\n\n",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "v4.20.0\n", "")
