"""A test double of Terraform's string templates, enough to read the Coder template's manifests with Coder's
values filled in (no Terraform is reachable where cvm is tested).

`evaluate` looks each `${EXPRESSION}` up in a table of the values Terraform would give (the parameters, the
workspace's ID, the agent's token and script) and reads `$${` and `%%{` as the literal `${` and `%{` they stand
for. A string that is one interpolation takes the value as it is, as Terraform does. It parses no expression:
one missing from the table, or a `%{` directive, fails the test. So it shows that the template's strings, once
Coder's values are in, are what the program builds; it does not show that Terraform accepts the expressions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SEQUENCE = re.compile(r"\$\$\{|%%\{|\$\{([^}]*)\}|%\{")


class Unevaluated(AssertionError):
    pass


def _string(text: str, table: Mapping[str, Any]) -> Any:
    whole = re.fullmatch(r"\$\{([^}]*)\}", text)
    if whole:
        return _lookup(whole[1], table)

    def replace(found: re.Match[str]) -> str:
        if found[0] in ("$${", "%%{"):
            return found[0][1:]
        if found[0] == "%{":
            raise Unevaluated(f"a template directive in {text!r}")
        return str(_lookup(found[1], table))

    return _SEQUENCE.sub(replace, text)


def _lookup(expression: str, table: Mapping[str, Any]) -> Any:
    if expression not in table:
        raise Unevaluated(f"no value for ${{{expression}}}; the table has {sorted(table)}")
    return table[expression]


def evaluate(value: Any, table: Mapping[str, Any]) -> Any:
    """A JSON expression's value, with each interpolation taken from `table`."""
    if isinstance(value, str):
        return _string(value, table)
    if isinstance(value, dict):
        return {key: evaluate(item, table) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, table) for item in value]
    return value
