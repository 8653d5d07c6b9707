"""Terraform's JSON syntax (`*.tf.json`), the part the template writes (hashicorp/terraform
website/docs/language/syntax/json.mdx at 26a478cf).

Where Terraform expects an expression, every JSON string is a string template: `${...}` interpolates, `%{...}`
is a directive, and `$${` and `%%{` stand for a literal `${` and `%{`. The builders' output is literal text, so
each of its strings is escaped; a Terraform expression goes into the builders as a marker (`ref`) that `render`
turns into `${...}` after escaping, so that nothing a builder writes becomes an interpolation by accident.
"""

from __future__ import annotations

import re
from typing import Any

_MARK = "\x00"  # never in a manifest: the API server refuses NUL in names and values alike
_MARKED = re.compile(f"{_MARK}([^{_MARK}]*){_MARK}")
_TEMPLATE_START = re.compile(r"[$%]\{")


def ref(expression: str) -> str:
    """A Terraform expression standing in for a value, in what the builders take."""
    return f"{_MARK}{expression}{_MARK}"


def escape(text: str) -> str:
    """Literal text as a string template that evaluates to it."""
    return _TEMPLATE_START.sub(lambda start: start[0][0] + start[0], text)


def _template(text: str) -> str:
    parts = _MARKED.split(text)  # literal, expression, literal, ...
    if any(_MARK in part for part in parts):
        raise ValueError(f"an unclosed Terraform reference in {text!r}")
    # `$` then `${` would read as the escape `$${`: such a string has no faithful template, so it is refused
    if any(part.endswith("$") for part in parts[0:-1:2]):
        raise ValueError(f"a literal '$' right before a Terraform reference in {text!r}")
    return "".join(escape(part) if i % 2 == 0 else f"${{{part}}}" for i, part in enumerate(parts))


def render(value: Any) -> Any:
    """A builder's output as JSON expressions: literals escaped, `ref`s made interpolations. Object keys are
    kept as they are, so one that a template would read differently is refused rather than guessed at."""
    if isinstance(value, str):
        return _template(value)
    if isinstance(value, dict):
        unsafe = [key for key in value if _MARK in key or _TEMPLATE_START.search(key)]
        if unsafe:
            raise ValueError(f"object keys cannot hold a Terraform template: {unsafe}")
        return {key: render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item) for item in value]
    return value


def interpolation(expression: str) -> str:
    """A whole JSON value that is one expression: Terraform takes its value with its type (a number stays one)."""
    return f"${{{expression}}}"
