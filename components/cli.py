"""`cvm`: the operator's command (the console script pyproject.toml declares), one subcommand per tool.

Each tool keeps its flags and its run in its own package's `command.py`, which `python -m components.<package>`
runs too; this module only gathers them under one name.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Protocol

from components.coder_template import command as coder_template
from components.fleet import command as fleet
from components.preflight import command as preflight


class Command(Protocol):
    """What each tool's `command` module offers."""

    DESCRIPTION: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int: ...


COMMANDS: dict[str, Command] = {"preflight": preflight, "fleet": fleet, "coder-template": coder_template}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cvm", description="Operate the clusters cvm stacks make.")
    commands = top.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.DESCRIPTION, description=command.DESCRIPTION)
        command.add_arguments(sub)
        sub.set_defaults(command=command, parser=sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command: Command = args.command
    return command.run(args, args.parser)
