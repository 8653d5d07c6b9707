"""The pinned releases' tables: Kubernetes minors as ranges, and the windows they make."""

from __future__ import annotations

from packaging.version import Version

from components.facts import minors, pins


def test_minors_and_spans_read_as_the_refusals_write_them() -> None:
    assert minors.minors("1.32", "1.35") == tuple(Version(f"1.{m}") for m in range(32, 36))
    assert minors.span(minors.minors("1.32", "1.35")) == "1.32-1.35"
    assert minors.span(minors.minors("1.35", "1.35")) == "1.35" and minors.span(()) == "none"


def test_every_release_names_its_installer_and_its_source() -> None:
    for version, release in pins.SYSBOX_RELEASES.items():
        assert release.installer_image.endswith(f":v{version}-0") and release.source
        assert release.kubernetes == minors.minors(str(release.kubernetes[0]), str(release.kubernetes[-1]))
