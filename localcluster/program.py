"""The project's program as the local engine runs it (`localcluster.engine`): `__main__.py`, in this process,
through the Automation API's inline path (the proxy serves no Python language host). Needs no Go."""

from __future__ import annotations

import runpy
import sys

from localcluster import ROOT


def program() -> None:
    """`__main__.py`, run in this process as the language host would run it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
