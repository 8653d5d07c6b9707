"""The few pieces every config rule is made of: a refusal with its reason, and several at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import AfterValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

# The value of a finding about a key that is not set.
ABSENT: Any = object()
# What a refusal shows in place of a credential's value.
SECRET = "(secret)"
# A problem found while validating: where (a path below the field that found it), the value, and why.
Finding = tuple[tuple[str | int, ...], Any, str]


def refuse(reason: str) -> PydanticCustomError:
    """One problem, with the reason as its whole message."""
    return PydanticCustomError("cvm_rule", "{reason}", {"reason": reason})


def report(findings: Iterable[Finding]) -> None:
    """Report several problems from one validator; pydantic merges them with the other fields' errors."""
    details = [InitErrorDetails(type=refuse(reason), loc=loc, input=value) for loc, value, reason in findings]
    if details:
        raise ValidationError.from_exception_data("Settings", details)


def check(predicate: Callable[[Any], bool], reason: str) -> AfterValidator:
    """A validator that refuses, with `reason`, every value `predicate` does not accept."""

    def validate(value: Any) -> Any:
        if not predicate(value):
            raise refuse(reason)
        return value

    return AfterValidator(validate)


def one_of(choices: Iterable[str], reason: str) -> AfterValidator:
    allowed = tuple(choices)
    accepted = ", ".join(f"'{c}'" for c in allowed)
    return check(lambda value: value in allowed, f"{reason}; accepted: {accepted}")
