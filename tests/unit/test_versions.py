"""The pinned releases' tables: Kubernetes minors as ranges, and the windows they make."""

from __future__ import annotations

from packaging.version import Version

from components import versions


def test_minors_and_spans_read_as_the_refusals_write_them() -> None:
    assert versions.minors("1.32", "1.35") == tuple(Version(f"1.{m}") for m in range(32, 36))
    assert versions.span(versions.minors("1.32", "1.35")) == "1.32-1.35"
    assert versions.span(versions.minors("1.35", "1.35")) == "1.35" and versions.span(()) == "none"


def test_every_release_names_its_installer_and_its_source() -> None:
    for version, release in versions.SYSBOX_RELEASES.items():
        assert release.installer_image.endswith(f":v{version}-0") and release.source
        assert release.kubernetes == versions.minors(str(release.kubernetes[0]), str(release.kubernetes[-1]))
