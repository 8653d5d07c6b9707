"""Kubernetes resource quantities and version strings, each read by one grammar."""

from __future__ import annotations

import re
from decimal import Decimal

from packaging.version import Version

# ASCII digits only: `\d` would also take other scripts' digits, which the API server refuses.
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def quantity(text: str) -> Decimal | None:
    """A resource quantity ('3920m', '16318460Ki', '4Gi', '4') as a number; None when it is not one."""
    match = _QUANTITY.fullmatch(text)
    if not match:
        return None
    suffix = match[2] or ""
    scale = Decimal(1024) ** _BINARY[suffix] if suffix in _BINARY else Decimal(1000) ** _DECIMAL[suffix]
    return Decimal(match[1]) * scale


MAJOR_MINOR = re.compile(r"v?([0-9]+)\.([0-9]+)")  # a prefix: `match`, not `fullmatch`


def major_minor(text: str, *, exact: bool = False) -> tuple[int, int] | None:
    """The first two numbers of a version: 'v1.35.4-gke.1' -> (1, 35), '6.8.0-88-generic' -> (6, 8).

    `exact` accepts only a bare 'MAJOR.MINOR' ('1.35'), the form cvm:kubernetesVersion takes.
    """
    text = text.strip()
    match = re.fullmatch(r"([0-9]+)\.([0-9]+)", text) if exact else MAJOR_MINOR.match(text)
    return (int(match[1]), int(match[2])) if match else None


def minor(text: str, *, exact: bool = False) -> Version | None:
    """`major_minor` as a comparable version: 'v1.35.4' -> Version('1.35')."""
    numbers = major_minor(text, exact=exact)
    return Version(f"{numbers[0]}.{numbers[1]}") if numbers else None
