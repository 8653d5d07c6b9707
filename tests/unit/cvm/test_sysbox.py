"""What cvm knows of Sysbox's known problems on each platform."""

from __future__ import annotations

from components import versions
from components.cvm import sysbox


def test_known_problems_name_upstream_issues() -> None:
    release = versions.SYSBOX_RELEASES["0.7.1"]
    assert any("#997" in p for p in sysbox.known_problems("aks", release))
    assert any("#721" in p for p in sysbox.known_problems("eks", release))
    assert sysbox.known_problems("baremetal", release) == []
