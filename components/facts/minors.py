"""Kubernetes minors as the facts write them: a range of minors, and how a range prints in a refusal."""

from __future__ import annotations

from packaging.version import Version


def minors(first: str, last: str) -> tuple[Version, ...]:
    """The Kubernetes minors from `first` to `last`, both included (same major)."""
    low, high = Version(first), Version(last)
    return tuple(Version(f"{low.major}.{m}") for m in range(low.minor, high.minor + 1))


def span(versions: tuple[Version, ...]) -> str:
    """'1.32-1.35' for a contiguous tuple of minors."""
    if not versions:
        return "none"
    return str(versions[0]) if len(versions) == 1 else f"{versions[0]}-{versions[-1]}"
