"""Kubernetes quantities, as Nodes report their capacity."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from components.kube.units import quantity


@given(
    st.integers(min_value=0, max_value=10**12),
    st.sampled_from(list(zip(["Ki", "Mi", "Gi", "Ti"], range(1, 5), strict=True))),
)
def test_binary_quantities(number: int, suffix: tuple[str, int]) -> None:
    assert quantity(f"{number}{suffix[0]}") == number * 1024 ** suffix[1]


def test_decimal_quantities() -> None:
    assert quantity("3920m") == Decimal("3.92")
    assert quantity("4") == 4 and quantity("4G") == 4 * 10**9
    assert quantity("four") is None
