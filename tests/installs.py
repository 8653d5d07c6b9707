"""What a requirements file installs, and running code as if nothing else were installed.

- `pins(path)`: a requirements file's pins (canonical name -> version), `-r` includes followed;
- `allowed(path)`: the distributions `pip install -r path` puts in a fresh virtual environment: those pins and
  everything they require (markers evaluated, no extras), as installed here, with what `python -m venv`
  seeds (pip, setuptools);
- `refuse_all_but(path)`: from then on, importing a module of any other installed distribution raises
  ModuleNotFoundError naming it; modules of no distribution (the standard library, ours) still import.

This environment holds every set (requirements-dev.txt), so one venv serves every platform's check; the
tests check that its versions are the pinned ones. Run as a module, it runs the program for a platform under
the SDK's mocks (tests/harness.py) with only a requirements file's distributions importable, and prints what
it registered and imported as JSON:

    python -m tests.installs requirements/gke.txt gke
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import json
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typing_extensions import override

VENV_SEEDS = ("pip", "setuptools")  # what `python -m venv` installs on Python 3.11 (ensurepip)
# This checkout as a distribution (pyproject.toml): `make setup` installs it, editable, for the `cvm` command. The
# program's own modules, not a dependency: a stack's environment finds them in the project's folder instead.
PROJECT = "cvm"


def pins(path: Path) -> dict[str, str]:
    """The pins of a requirements file and of the files it includes; any other line is refused."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found.update(pins(path.parent / line.removeprefix("-r ").strip()))
        elif line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            if spec.operator != "==" or requirement.marker or requirement.extras:
                raise ValueError(f"{path}: '{line}' is not a plain pin (name==version)")
            found[canonicalize_name(requirement.name)] = spec.version
    return found


def allowed(path: Path) -> set[str]:
    names, todo = set(VENV_SEEDS), list(pins(path))
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        for text in metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return names


@functools.cache
def _providers() -> dict[str, list[str]]:
    return {m: [canonicalize_name(d) for d in ds] for m, ds in metadata.packages_distributions().items()}


def distributions_of(module: str) -> list[str]:
    """The installed distributions that provide a top-level module (several for a namespace such as `google`)."""
    return _providers().get(module.partition(".")[0], [])


class _Refuse(importlib.abc.MetaPathFinder):
    def __init__(self, path: Path, names: set[str]):
        self.path, self.names = path, names

    @override  # importlib's signature: the guard decides by the module's name alone
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        providers = distributions_of(fullname)
        if providers and not self.names.intersection(providers):
            raise ModuleNotFoundError(
                f"No module named '{fullname}' here: {', '.join(providers)} is installed, but {self.path} "
                "does not bring it in",
                name=fullname,
            )
        return None  # the other finders find it


def refuse_all_but(path: Path, *more: str) -> set[str]:
    """Refuse every distribution outside `allowed(path)` and `more` from now on; return the allowed set."""
    names = allowed(path) | set(more)
    loaded = {d for m in list(sys.modules) for d in distributions_of(m)}
    if loaded - names:  # imported before the guard: it could not refuse them
        raise RuntimeError(f"already imported from outside {path}: {sorted(loaded - names)}")
    sys.meta_path.insert(0, _Refuse(path, names))
    return names


def main(requirements: str, platform: str) -> None:
    names = refuse_all_but(Path(requirements), PROJECT)
    from tests.harness import CLOUDS, FULL, SECRET_KEYS, run_program

    run = run_program(FULL, SECRET_KEYS) if platform == "baremetal" else run_program(CLOUDS[platform])
    imported = {d for m in list(sys.modules) for d in distributions_of(m)}
    report = {
        "types": sorted({r.type for r in run.resources}),
        "platform": run.outputs.get("platform"),
        "imported": sorted(imported),
        "allowed": sorted(names),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
