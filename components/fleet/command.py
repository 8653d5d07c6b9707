"""`cvm fleet` (or `python -m components.fleet`): every stack of this project, previewed (or refresh-previewed)
in parallel.

    cvm fleet [--stack NAME ...] [--tag KEY=VALUE ...] [--refresh] [--parallel N] [--json]

Prints one row per stack (platform, Kubernetes minor, Sysbox release, pending changes, drift, canary, errors)
and exits 0 when every stack is in sync, 1 when one would change or has drifted, 3 when one failed (2: bad
flags). Runs the project's stacks on the backend the Pulumi CLI is logged in to (or PULUMI_BACKEND_URL), from a
scratch copy of the project's folder: it writes nothing into the project's files and leaves its selected stack.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from pulumi import automation as auto

from components.fleet import core, stacks

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "https://www.pulumi.com/docs/iac/download-install/"


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


DESCRIPTION = "Preview every stack of this project in parallel and print one table of what they run."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", action="append", default=[], help="a stack to run (repeatable)")
    parser.add_argument(
        "--tag", action="append", default=[], help="run the stacks with this tag, KEY=VALUE such as cvm:platform=gke"
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="look for drift (`pulumi refresh --preview-only`) instead of pending changes (`pulumi preview`)",
    )
    parser.add_argument("--parallel", type=_positive, default=4, help="stacks at once (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")


def parser() -> argparse.ArgumentParser:
    """The command's flags as `python -m components.fleet` reads them."""
    parser = argparse.ArgumentParser(prog="python -m components.fleet", description=DESCRIPTION)
    add_arguments(parser)
    return parser


class Progress:
    """The progress line on stderr: rewritten in place on a terminal, one line per change elsewhere."""

    def __init__(self, mode: core.Mode, total: int, stream: TextIO):
        self.mode, self.total, self.stream = mode, total, stream
        self.done, self.running = 0, set[str]()
        self.lock = threading.Lock()

    def update(self, started: str | None = None, finished: str | None = None) -> None:
        with self.lock:
            if started:
                self.running.add(started)
            if finished:
                self.running.discard(finished)
                self.done += 1
            line = core.progress(self.mode, self.done, self.total, self.running)
            end = "" if self.stream.isatty() else "\n"
            self.stream.write(f"\r\033[K{line}{end}" if self.stream.isatty() else f"{line}{end}")
            self.stream.flush()

    def close(self) -> None:
        if self.stream.isatty():
            self.stream.write("\r\033[K")


def main(argv: Sequence[str] | None = None, work_dir: Path = ROOT, program: auto.PulumiFn | None = None) -> int:
    """The command; `program` runs the stacks inline instead of through the language host (the tests' seam)."""
    command = parser()
    return run(command.parse_args(argv), command, work_dir, program)


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    work_dir: Path = ROOT,
    program: auto.PulumiFn | None = None,
) -> int:
    """The command on parsed flags; `parser` reports a bad one."""
    mode: core.Mode = "refresh" if args.refresh else "preview"
    with ExitStack() as scratch:
        try:
            ws = scratch.enter_context(stacks.workspace(work_dir, program))
            names = [summary.name for summary in ws.list_stacks()]
        except FileNotFoundError:
            sys.stderr.write(f"{parser.prog}: the Pulumi CLI is missing (no 'pulumi' on PATH): {INSTALL}\n")
            return core.FAILED
        except auto.CommandError as error:
            sys.stderr.write(f"{parser.prog}: cannot list the stacks: {'; '.join(core.error_lines(str(error)))}\n")
            return core.FAILED
        if problems := core.flag_problems(names, args.stack, args.tag):
            parser.error("\n".join(problems))  # before reading any stack
        # tags can only be matched on stacks read; a plain --stack run reads only the stacks it names
        to_read = names if args.tag or not args.stack else [name for name in names if name in args.stack]
        with ThreadPoolExecutor(args.parallel) as pool:
            found = dict(zip(to_read, pool.map(lambda name: stacks.survey(ws, name), to_read), strict=True))
        try:
            chosen = core.select({name: found.get(name, stacks.Survey()).tags for name in names}, args.stack, args.tag)
        except core.SelectionError as error:
            parser.error("\n".join(error.problems))
        progress = Progress(mode, len(chosen), sys.stderr)

        def run(name: str) -> core.Row:
            progress.update(started=name)
            row = core.verdict(stacks.probe(ws, name, mode, found[name]))
            progress.update(finished=name)
            return row

        with ThreadPoolExecutor(args.parallel) as pool:
            futures = [pool.submit(run, name) for name in chosen]
            rows = sorted((future.result() for future in as_completed(futures)), key=lambda row: row.stack)
        progress.close()
    print(core.as_json(mode, rows) if args.json else core.text(rows))
    return core.exit_code(rows)
