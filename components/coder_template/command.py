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
from components.coder_template.template import GENERATED, main_tf
from components.config import Settings, SettingsError, load_settings, stored_config

# stands in for each encrypted value: one that every secret key accepts (an agent token is printable ASCII, no space)
ENCRYPTED = "encrypted-in-the-stack-file"


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


FILES = ("main.tf.json", "README.md")  # what `write` writes; nothing else may be in the folder


def _ours(main: Path) -> bool:
    try:
        return str(json.loads(main.read_text()).get("//", "")).startswith(GENERATED)
    except (OSError, ValueError, AttributeError):
        return False


def out_problem(out: Path) -> str | None:
    """Why `out` cannot take the template, else None: it must be absent, empty, or a template this command wrote
    (then its files are replaced). `coder templates push` uploads the whole folder, so anything else in it would
    be pushed with the template."""
    if out.exists() and not out.is_dir():
        return f"--out {str(out)!r} is a file: give a folder for the template"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    others = sorted(entry.name for entry in out.iterdir() if entry.name not in FILES)
    if others:
        listed = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return f"--out {str(out)!r} holds files this command did not write ({listed}): give an empty or new folder"
    if not _ours(out / "main.tf.json"):
        return f"--out {str(out)!r} holds a template this command did not write: give an empty or new folder"
    return None


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
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the template directory to write: new, empty, or one this command wrote before (its files replaced)",
    )
    parser.add_argument("--stack", help="the stack's name (default: <stack> of Pulumi.<stack>.yaml)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The command on parsed flags; `parser` reports a bad one."""
    name: str = args.stack_config.name
    if args.stack is None and not (name.startswith("Pulumi.") and name.endswith(".yaml") and name.count(".") >= 2):
        parser.error(f"--stack-config {name!r}: name it Pulumi.<stack>.yaml or give --stack")
    stack = args.stack or name.removeprefix("Pulumi.").removesuffix(".yaml")
    if not args.stack_config.is_file():
        parser.error(f"--stack-config {str(args.stack_config)!r}: no such file")
    if problem := out_problem(args.out):
        parser.error(problem)
    try:
        settings = stack_settings(args.stack_config, stack)
    except (SettingsError, ValueError, yaml.YAMLError) as error:
        print(f"{args.stack_config}: {error}", file=sys.stderr)
        return 1
    try:
        written = write(settings, args.out)
    except OSError as error:  # a parent that is a file, a folder it may not write
        print(f"{parser.prog}: error: --out {str(args.out)!r}: {error.strerror or error}", file=sys.stderr)
        return 1
    print("\n".join(f"wrote {path}" for path in written))
    # the variable as docs/workspaces.md pushes it: false when Coder runs in the cluster, true when its host
    # reads ~/.kube/config (the template's default)
    print(
        f"push it: coder templates push cvm-{stack} --directory {args.out} --variable use_kubeconfig=false --yes\n"
        "  (use_kubeconfig=false when Coder runs in the cluster; true when its host reads ~/.kube/config)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.coder_template", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)
