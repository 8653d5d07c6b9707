"""What the engine driver (engine.py) prints of Pulumi's output, as pure functions: each line and each diagnostic
once, the local engine's provider warning explained, and a run told in one line at the end.

Issue 25 measured a `make up` on a warm machine: the provider's version warning five times (a progress row per
engine phase, then each again under Diagnostics), a program's error four times (two rows; under Diagnostics once
as raised and once wrapped by the inline program's host), a resource's progress row up to three times. Pulumi's
non-interactive display prints a row each time a resource's row changes, with the resource's latest diagnostic
(pulumi/pulumi v3.274.0, pkg/backend/display/rows.go), and lists every diagnostic again in its summary
(progress.go, printDiagnostics), so the summary is where each is told.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# the headings of Pulumi's summary, after the progress rows
SECTIONS = frozenset({"Diagnostics:", "Outputs:", "Resources:", "Policies:", "Duration:"})
DIAGNOSTIC = re.compile(r"^\s*(warning|error|info): ")
# a diagnostic on a progress row: `<op> <type> <name> <state> warning: ...`
ON_ROW = re.compile(r"\S\s+(warning|error): ")
# under Diagnostics: `  <type> (<name>):`, the resource the lines below it are about
RESOURCE = re.compile(r"^  \S.*\):$")
# the inline program's host repeats a program's error inside its own
WRAPPED = "Exception calling application: "
# the engine's check of a provider's reported version against the one the SDK asks for (pulumi/pulumi v3.274.0,
# pkg/host/host.go); the provider built here reports the one version the Go module proxy serves
PROVIDER = re.compile(r"resource plugin kubernetes is expected to have version >=\S+, but has \S+;")
EXPLAINED = (
    " (expected on the local engine: its provider is built from the Go module proxy, which serves no newer one;"
    " docs/operations.md)"
)
# Pulumi's operation names (UpdateSummary.resource_changes) as its own summary words them
DONE = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted", "same": "unchanged"}


class Shown:
    """One Pulumi command's output, line by line: `keep(line)` is the line to print, or None when it was told
    already (a repeated progress row, a diagnostic on a row, a diagnostic of a resource told before)."""

    def __init__(self) -> None:
        self.section = ""  # "" while the progress rows run
        self.resource = ""
        self.seen: set[tuple[str, str]] = set()
        self.dropping = False  # the lines under a diagnostic that was dropped

    def keep(self, line: str) -> str | None:
        if line in SECTIONS:
            self.section, self.resource, self.dropping = line, "", False
            return line
        if not line.strip():
            self.dropping = False
            return line
        if not self.section:
            if ON_ROW.search(line) or ("", line) in self.seen:
                return None
            self.seen.add(("", line))
            return line
        if self.section != "Diagnostics:":
            return line
        if RESOURCE.match(line):
            self.resource, self.dropping = line, False
            return line
        if DIAGNOSTIC.match(line):
            told = (self.resource, line.replace(WRAPPED, ""))
            self.dropping = told in self.seen
            self.seen.add(told)
            if not self.dropping and PROVIDER.search(line):
                return line + EXPLAINED
        return None if self.dropping else line


def changes(resource_changes: Mapping[Any, int] | None) -> str:
    """What a run did, as Pulumi's summary words it: `2 created, 14 unchanged` (reads left out). The keys are
    operation names (the Automation API types them as its str enum OpType; its JSON gives plain strings)."""
    named = {getattr(op, "value", op): n for op, n in (resource_changes or {}).items()}
    counts = {op: n for op, n in named.items() if n and op != "read"}
    ordered = [op for op in DONE if op in counts] + sorted(op for op in counts if op not in DONE)
    return ", ".join(f"{counts[op]} {DONE.get(op, op)}" for op in ordered) or "nothing to do"
