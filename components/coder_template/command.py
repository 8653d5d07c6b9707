"""The command: a stack's file in, its Coder template directory out.

cvm coder-template --stack-config Pulumi.<stack>.yaml --out DIR [--stack NAME]  (or python -m components.coder_template)

It reads the stack file, not the stack: the template depends only on config (namespaces, runtimes, envbox's
options, the storage class), which the file holds and `load_settings` validates with the program's own rules,
so it runs with no backend, no passphrase and no cluster.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from components.coder_template.readme import readme
from components.coder_template.template import main_tf
from components.config import Settings, SettingsError, load_settings, stored_config

ENCRYPTED = "(encrypted in the stack file)"


def _without_secrets(value: Any) -> tuple[Any, bool]:
    """The value with each encrypted leaf (`secure: v1:...`) replaced by a placeholder, and whether it had one.
    The template needs no secret: Coder gives each agent its token and the provisioner its own credentials."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return ENCRYPTED, True
    if isinstance(value, dict):
        items = {key: _without_secrets(item) for key, item in value.items()}
        # a kubeconfig is parsed for its contexts: an encrypted one is left out, as if the ambient one were used
        kept = {key: plain for key, (plain, found) in items.items() if not (key == "kubeconfig" and found)}
        return kept, any(found for _, found in items.values())
    if isinstance(value, list):
        items_list = [_without_secrets(item) for item in value]
        return [plain for plain, _ in items_list], any(found for _, found in items_list)
    return value, False


def stack_settings(path: Path, stack: str) -> Settings:
    """A stack file's settings, validated as the program validates them (SettingsError names every problem)."""
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    readable: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, value in config.items():
        readable[key], encrypted = _without_secrets(value)
        if encrypted:
            secret_keys.add(key if ":" in key else f"cvm:{key}")
    return load_settings(stored_config(readable), stack, secret_keys)


def write(settings: Settings, out: Path) -> list[Path]:
    """The template directory: main.tf.json and README.md."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"main.tf.json": json.dumps(main_tf(settings), indent=2) + "\n", "README.md": readme(settings)}
    for name, text in files.items():
        (out / name).write_text(text)
    return [out / name for name in files]


DESCRIPTION = "Write the Coder template for the cluster a cvm stack made, from the stack's file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-config", type=Path, required=True, help="the stack's file, Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, required=True, help="the template directory to write")
    parser.add_argument("--stack", help="the stack's name (default: <stack> of Pulumi.<stack>.yaml)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The command on parsed flags; `parser` reports a bad one."""
    name: str = args.stack_config.name
    if args.stack is None and not (name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") >= 2):
        parser.error(f"--stack-config {name!r}: name it Pulumi.<stack>.yaml or give --stack")
    stack = args.stack or name.removeprefix("Pulumi.").removesuffix(".yaml")
    if not args.stack_config.is_file():
        parser.error(f"--stack-config {str(args.stack_config)!r}: no such file")
    try:
        settings = stack_settings(args.stack_config, stack)
        written = write(settings, args.out)
    except (SettingsError, ValueError, yaml.YAMLError) as error:
        print(f"{args.stack_config}: {error}", file=sys.stderr)
        return 1
    print("\n".join(f"wrote {path}" for path in written))
    print(f"push it: coder templates push cvm-{stack} --directory {args.out} --yes")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.coder_template", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)
