"""Two steps of scripts/toolchain.sh's build of pulumi-resource-kubernetes, run as `python3 -m
localcluster.provider_source ...` with the machine's Python: `make engine` may run before the venv exists, so
this module (and `localcluster/__init__.py`) use the standard library only.

- `embed VERSION`, in the provider's `cmd/pulumi-resource-kubernetes`: the module zip lacks the gitignored,
  generated `schema-embed.json` and `terraform-mapping-embed.json`; write them as upstream's `generate.go` in that
  folder does, the schema stamped with VERSION.
- `nearest WANT`, the served versions of a module on stdin: the first at or above WANT (its release part, a
  pseudo-version's suffix dropped), else the newest; the versions come sorted (`sort -V`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path


def embed(folder: Path, version: str) -> None:
    schema = json.loads((folder / "schema.json").read_text())
    schema["version"] = version
    (folder / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    mapping = json.loads((folder / "terraform-mapping.json").read_text())
    (folder / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("-")[0].split("."))


def nearest(want: str, served: Sequence[str]) -> str:
    at_least = [version for version in served if _release(version) >= _release(want)]
    return at_least[0] if at_least else served[-1]


def main(argv: Sequence[str]) -> None:
    match argv:
        case ["embed", version]:
            embed(Path.cwd(), version)
        case ["nearest", want]:
            print(nearest(want, [line.strip() for line in sys.stdin if line.strip()]))
        case _:
            sys.exit("usage: python3 -m localcluster.provider_source embed VERSION | nearest WANT < versions")


if __name__ == "__main__":
    main(sys.argv[1:])
