"""The few pieces every config rule is made of: a refusal with its reason, several at once, and the config as far
as it validated (`part`), which the rules across keys read."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

# The value of a finding about a key that is not set.
ABSENT: Any = object()
# What a refusal shows in place of a credential's value.
SECRET = "(secret)"
# A problem found while validating: where (a path below the field that found it), the value, and why.
Finding = tuple[tuple[str | int, ...], Any, str]


# The value of a part of the config that failed its own rules: a rule that needs it waits until it is fixed.
UNKNOWN: Any = object()


def part(known: Any, *path: str | int) -> Any:
    """The value at `path` (config keys) in the config as far as it validated: dicts, lists and validated models,
    with `UNKNOWN` for a part that failed; `UNKNOWN` too where a step is not there."""
    for step in path:
        if isinstance(step, int):
            known = known[step] if isinstance(known, list) and step < len(known) else UNKNOWN
        elif isinstance(known, BaseModel):
            name = _aliases(type(known)).get(step)
            known = UNKNOWN if name is None else getattr(known, name)
        else:
            known = known.get(step, UNKNOWN) if isinstance(known, dict) else UNKNOWN
    return known


def values(known: Any, *keys: str) -> tuple[Any, ...]:
    """`part` of several keys of one object, read at once (the rules read each workspace's so)."""
    if isinstance(known, BaseModel):
        aliases = _aliases(type(known))
        return tuple(getattr(known, aliases[key]) if key in aliases else UNKNOWN for key in keys)
    if isinstance(known, dict):
        return tuple(known.get(key, UNKNOWN) for key in keys)
    return (UNKNOWN,) * len(keys)


def forget(known: Any, path: tuple[str | int, ...]) -> Any:
    """`known` with the value at `path` made `UNKNOWN` (a copy: the parts along `path` are new)."""
    if not path:
        return UNKNOWN
    step, rest = path[0], path[1:]
    if isinstance(step, int) and isinstance(known, list) and step < len(known):
        return [forget(item, rest) if i == step else item for i, item in enumerate(known)]
    if isinstance(step, str) and isinstance(known, (Mapping, BaseModel)):
        shallow = fields(known)
        return {**shallow, step: forget(shallow.get(step, UNKNOWN), rest)}
    return known


def fields(known: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    """A validated model's fields by config key (its aliases), or a mapping's items."""
    if isinstance(known, BaseModel):
        return {alias: getattr(known, name) for alias, name in _aliases(type(known)).items()}
    return dict(known)


@functools.cache
def _aliases(model: type[BaseModel]) -> dict[str, str]:
    return {field.alias or name: name for name, field in model.model_fields.items()}


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
