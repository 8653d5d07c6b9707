"""A test double of Terraform's string templates, enough to read the Coder template's manifests with Coder's
values filled in (no Terraform is reachable where cvm is tested).

`evaluate` looks each `${EXPRESSION}` up in a table of the values Terraform would give (the parameters, the
workspace's ID, the agent's token and script) and reads `$${` and `%%{` as the literal `${` and `%{` they stand
for. A string that is one interpolation takes the value as it is, as Terraform does. It parses no expression:
one missing from the table, or a `%{` directive, fails the test. So it shows that the template's strings, once
Coder's values are in, are what the program builds; it does not show that Terraform accepts the expressions.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from components.coder_template import template
from components.cvm.workspaces.resolved import Role
from components.facts.runtimes import Runtime

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


def token_values(token: str) -> dict[str, str]:
    """What Terraform gives the template's expressions of the agent's token."""
    return {
        f"{template.AGENT}.token": token,
        f"base64encode({template.AGENT}.token)": base64.b64encode(token.encode()).decode(),
        # Terraform's sha256() is the hex digest of the string's UTF-8 bytes; substr() counts characters
        f"substr(sha256({template.AGENT}.token), 0, 16)": hashlib.sha256(token.encode()).hexdigest()[:16],
    }


def started(
    main: Mapping[str, Any],
    runtime: str,
    *,
    init_script: str = "#!/bin/sh\n",
    token: str = "t",
    workspace_id: str = "6f1c2a44-0d5e-4a63-9a1f-2b7d3c9e8a01",
    access_url: str = "https://coder.example.com",
    parameters: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The objects of one workspace under `runtime` of template `main` (its main.tf.json), with the values Coder
    gives at a start: the parameters' (`parameters` over small defaults), the workspace's ID and access URL, the
    agent's token and init script."""
    chosen = {"image": "ghcr.io/a/b:1", "cpus": "2", "memory": "4", "disk": "20", "arch": "amd64", **(parameters or {})}
    values = {
        **{template.value(name): given for name, given in chosen.items()},
        f"{template.ME}.id": workspace_id,
        f"{template.ME}.access_url": access_url,
        f"{template.AGENT}.init_script": init_script,
        **token_values(token),
    }
    bodies = main["resource"]["kubernetes_manifest"]
    prefix = template.resource_name(Runtime(runtime), Role.WORKSPACE)
    return [evaluate(body["manifest"], values) for name, body in bodies.items() if name.startswith(prefix)]
