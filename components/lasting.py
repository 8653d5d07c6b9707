"""Imports whose objects live as long as the program: the SDKs' generated types, pydantic, our settings models.

Importing the Kubernetes SDK alone makes several hundred thousand such objects. A garbage collection that runs
while they are being made walks all of them and frees none: a small stack's preview spent about a fifth of its
time there (docs/performance.md, "What the fixed cost was"). Under `lasting()` none runs, and what was imported
is frozen afterwards (`gc.freeze`), out of every later collection's way.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def lasting() -> Iterator[None]:
    """Import under this: no garbage collection meanwhile, and what exists by its end is frozen."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def load(*modules: ModuleType) -> None:
    """Load now the modules an SDK imports lazily (pulumi's `lazy_import`, at a module's first attribute use).
    A platform's cluster module calls it as it is imported, under `lasting()` (clusters/create.py), so that the
    SDK's types are made with no collection running rather than during the cluster's first registration."""
    for module in modules:
        getattr(module, "__all__", None)  # any attribute but the module's own metadata loads it
