"""docs/configuration.md covers every config key the settings accept and every output the stack exports."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from components import stack
from components.config import Settings

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "configuration.md"


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field's annotation holds, and whether it holds a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    for argument in typing.get_args(annotation):
        model, in_list = _model_in(argument)
        if model is not None:
            return model, in_list or origin is list
    return None, False


def config_fields(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every key as a user writes it with `pulumi config set --path` ('gke.machineType',
    'supervisor.workspaces[i].name': the aliases, which is what the settings accept), with its annotation."""
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        yield key, field.annotation
        nested, in_list = _model_in(field.annotation)
        if nested is not None:
            yield from config_fields(nested, f"{key}[i]." if in_list else f"{key}.")


def config_keys() -> set[str]:
    return {key for key, _ in config_fields()}


def exported_outputs() -> set[str]:
    """The keys of the dict `components.stack.outputs` returns, literal or named by a constant of the module."""
    tree = ast.parse(inspect.getsource(stack.outputs))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.add(key.value)
                elif isinstance(key, ast.Name):
                    found.add(str(getattr(stack, key.id)))
    return found


def _tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Each markdown table: its header cells and its rows' cells."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif header is not None:
            yield header, rows
            header, rows = None, []


def _documented(first_column: str, where: str = "") -> set[str]:
    """The names in backticks in the first cell of the rows of the doc's tables headed `first_column`; with
    `where`, only of the rows whose cell in that column says yes."""
    return {
        name
        for header, rows in _tables(DOC.read_text())
        if header[0] == first_column
        for row in rows
        if not where or (where in header and "yes" in row[header.index(where)])
        for name in re.findall(r"`([^`]+)`", row[0])
    }


def test_the_walk_finds_keys_at_every_depth() -> None:
    keys = config_keys()
    assert {"platform", "gke.machineType", "supervisor.workspaces", "supervisor.workspaces[i].agentToken"} <= keys
    assert {"platform", "kubeconfig", "homes", "envboxNamespace"} <= exported_outputs()


def test_every_config_key_the_settings_accept_is_documented() -> None:
    missing = sorted(config_keys() - _documented("key"))
    assert not missing, f"docs/configuration.md has no row for {missing}"


def test_every_documented_key_is_one_the_settings_accept() -> None:
    stale = sorted(_documented("key") - config_keys())
    assert not stale, f"docs/configuration.md documents keys the settings refuse: {stale}"


def test_every_stack_output_is_documented_and_no_other() -> None:
    assert _documented("output") == exported_outputs()


def test_the_keys_marked_secret_are_the_settings_secret_fields() -> None:
    secret_fields = {key for key, annotation in config_fields() if SecretStr in set(_classes(annotation))}
    assert secret_fields and _documented("key", where="secret") == secret_fields


def _classes(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _classes(argument)
