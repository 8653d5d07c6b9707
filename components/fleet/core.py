"""The fleet command's core: which stacks to run, what one stack's run means, and how the answer prints. Pure."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from components.columns import aligned
from components.kube.names import CANARY_NAME

Mode = Literal["preview", "refresh"]

# The stack tags the fleet keeps, each mirroring a stack output, so that `pulumi stack ls --tag cvm:platform=gke`
# works (a Pulumi program cannot tag its own stack; the Automation API and `pulumi stack tag set` can).
TAGS = {"cvm:platform": "platform", "cvm:cluster": "clusterName"}

# A preview's steps that change nothing: unchanged resources, and reads (the bare-metal preflight reads every
# listed Node on every run).
UNCHANGED = frozenset({"same", "read"})
# A refresh's steps that mean the live object is not what the state says: changed, or gone.
DRIFTED = frozenset({"update", "delete"})

# Exit codes; 2 is argparse's, for bad flags.
IN_SYNC, CHANGED, FAILED = 0, 1, 3


class SelectionError(ValueError):
    """Bad `--stack`/`--tag` values, every one named at once."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def tags_from_outputs(outputs: Mapping[str, Any]) -> dict[str, str]:
    """The tags a deployed stack should carry (none before its first `pulumi up`: it has no outputs yet)."""
    return {tag: str(outputs[key]) for tag, key in TAGS.items() if outputs.get(key) is not None}


def missing_tags(outputs: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, str]:
    """The tags to set on a stack: those its outputs call for that it lacks or carries with another value."""
    return {tag: value for tag, value in tags_from_outputs(outputs).items() if tags.get(tag) != value}


def parse_tags(texts: Sequence[str]) -> tuple[dict[str, set[str]], list[str]]:
    """`--tag KEY=VALUE` flags as KEY -> accepted values (one key given twice accepts either), and the problems."""
    wanted: dict[str, set[str]] = {}
    problems = []
    for text in texts:
        key, sep, value = text.partition("=")
        if not (sep and key.strip() and value):
            problems.append(f"--tag {text!r}: expected KEY=VALUE, such as cvm:platform=baremetal")
        else:
            wanted.setdefault(key.strip(), set()).add(value)
    return wanted, problems


def flag_problems(stacks: Collection[str], names: Sequence[str], tags: Sequence[str]) -> list[str]:
    """What is wrong with the `--stack` and `--tag` values, found before any stack is read."""
    known = ", ".join(sorted(stacks)) or "none"
    unknown = [f"--stack {name!r}: this project has no such stack (it has: {known})" for name in names
               if name not in stacks]  # fmt: skip
    return parse_tags(tags)[1] + unknown


def select(stacks: Mapping[str, Mapping[str, str]], names: Sequence[str], tags: Sequence[str]) -> list[str]:
    """The stacks to run, in name order: those named by `--stack`, and those carrying every `--tag` key with one
    of its values; every stack when neither flag is given. `stacks` maps each stack to its tags."""
    if problems := flag_problems(stacks, names, tags):
        raise SelectionError(problems)
    wanted = parse_tags(tags)[0]
    if not names and not tags:
        return sorted(stacks)

    def tagged(stack: str) -> bool:
        return bool(wanted) and all(stacks[stack].get(key) in values for key, values in wanted.items())

    chosen = [stack for stack in sorted(stacks) if stack in names or tagged(stack)]
    if not chosen:
        flags, known = " --tag ".join(tags), ", ".join(sorted(stacks))
        raise SelectionError([f"--tag {flags}: no stack of this project carries it (stacks: {known})"])
    return chosen


@dataclass(frozen=True)
class Step:
    """One resource's step in an engine run, as its event reports it."""

    op: str
    urn: str


def resource(urn: str) -> str:
    """A URN as people name the resource: its type and name (`kubernetes:apps/v1:Deployment ns/name`)."""
    parts = urn.split("::")
    return f"{parts[-2].rsplit('$', 1)[-1]} {parts[-1]}" if len(parts) >= 4 else urn


def pending_changes(summary: Mapping[str, int]) -> int:
    """How many resources a preview would change (create, update, replace, delete...)."""
    return sum(count for op, count in summary.items() if op not in UNCHANGED)


def drifted(steps: Iterable[Step], external: Collection[str]) -> list[str]:
    """The resources a refresh found changed or gone, but for those the stack only reads (`get`): their live
    state belongs to someone else (a Node's status and labels move all the time)."""
    return sorted({resource(step.urn) for step in steps if step.op in DRIFTED and step.urn not in external})


def canary_namespaces(outputs: Mapping[str, Any]) -> list[str]:
    """Where to look for the canary's Deployment: the stack's workspace namespaces, when its `workspaces` output
    lists the canary; none when the canary is off (or the stack was never deployed)."""
    if CANARY_NAME not in (outputs.get("workspaces") or []):
        return []
    return [ns for key in ("workspaceNamespace", "envboxNamespace") if (ns := outputs.get(key))]


def canary_state(status: Mapping[str, Any] | None, *, listed: bool) -> str:
    """`ready` when the canary's Deployment has every replica Ready; `not ready`; `missing` when the stack
    lists it and the cluster has none; `off` when the stack runs no canary."""
    if not listed:
        return "off"
    if status is None:
        return "missing"
    ready = int(status.get("readyReplicas") or 0)
    return "ready" if ready >= 1 and ready >= int(status.get("replicas") or 0) else "not ready"


def error_lines(text: str) -> list[str]:
    """What a failed Pulumi command said went wrong: its `error:` lines and the lines indented under them,
    without the CLI's own wrapping; the last line when there is no `error:` line."""
    # the Automation API's CommandError puts `stdout:`/`stderr:` before the first line of each stream
    lines = [line.strip().removeprefix("stdout:").removeprefix("stderr:").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    found: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("error:"):
            message = line.removeprefix("error:").strip()
            if message and message not in found:
                found.append(message)
        elif line.startswith("- ") and index and found:  # a listed problem under the error before it
            found[-1] += f"\n  {line}"
    # the inline program's host repeats a program's error inside its own ("an unhandled error occurred: ...")
    return [m for m in found if not any(o != m and o in m for o in found)] or lines[-1:]


@dataclass(frozen=True)
class Probe:
    """What the shell found for one stack: plain data, never a secret."""

    stack: str
    mode: Mode
    outputs: Mapping[str, Any] = field(default_factory=dict)  # the stack outputs, without the kubeconfig
    changes: Mapping[str, int] = field(default_factory=dict)  # a preview's change summary
    steps: Sequence[Step] = ()  # a refresh's steps
    external: Collection[str] = frozenset()  # URNs of the resources the stack only reads
    canary: Mapping[str, Any] | None = None  # the canary Deployment's status, None when the cluster has none
    canary_read: bool = False  # whether the cluster was asked (not when the canary is off or unreachable)
    errors: Sequence[str] = ()


@dataclass(frozen=True)
class Row:
    """One stack's line: what its last deployment says it is, and what this run found."""

    stack: str
    status: str  # in sync, changes, drift or error
    platform: str | None
    kubernetes: str | None
    sysbox: str | None  # `off` when the stack installs no Sysbox
    changes: int | None  # None when not measured (a refresh)
    drift: list[str] | None  # None when not measured (a preview)
    canary: str
    errors: list[str]


def verdict(probe: Probe) -> Row:
    """One stack's row from what its run found."""
    outputs = probe.outputs
    deployed = bool(outputs)
    changes = pending_changes(probe.changes) if probe.mode == "preview" and not probe.errors else None
    drift = drifted(probe.steps, probe.external) if probe.mode == "refresh" and not probe.errors else None
    status = "error" if probe.errors else "changes" if changes else "drift" if drift else "in sync"
    listed = bool(canary_namespaces(outputs))
    canary = canary_state(probe.canary, listed=listed) if probe.canary_read or (deployed and not listed) else "unknown"
    return Row(
        stack=probe.stack,
        status=status,
        platform=outputs.get("platform"),
        kubernetes=outputs.get("kubernetesVersion"),
        sysbox=(outputs.get("sysboxVersion") or "off") if deployed else None,
        changes=changes,
        drift=drift,
        canary=canary,
        errors=list(probe.errors),
    )


def exit_code(rows: Iterable[Row]) -> int:
    """FAILED when any stack could not be judged, else CHANGED when any would change or has drifted."""
    statuses = {row.status for row in rows}
    return FAILED if "error" in statuses else CHANGED if statuses & {"changes", "drift"} else IN_SYNC


def _first_line(text: str, width: int = 60) -> str:
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 3] + "..."


def cells(rows: Sequence[Row]) -> list[list[str]]:
    """The rows as cells, header first; `-` where nothing is known or nothing was measured."""
    header = ["STACK", "PLATFORM", "K8S", "SYSBOX", "CHANGES", "DRIFT", "CANARY", "STATUS", "ERROR"]
    return [header] + [
        [
            row.stack,
            row.platform or "-",
            row.kubernetes or "-",
            row.sysbox or "-",
            "-" if row.changes is None else str(row.changes),
            "-" if row.drift is None else str(len(row.drift)),
            row.canary,
            row.status,
            _first_line(row.errors[0]) if row.errors else "",
        ]
        for row in rows
    ]


def details(rows: Sequence[Row]) -> list[str]:
    """Under the table: each drifted resource and each whole error, by stack."""
    drift = [f"drift: {row.stack}: {name}" for row in rows for name in row.drift or []]
    return drift + [f"error: {row.stack}: {message}" for row in rows for message in row.errors]


def text(rows: Sequence[Row]) -> str:
    """What the command prints: the table, then the details."""
    below = details(rows)
    return "\n".join(aligned(cells(rows)) + (["", *below] if below else []))


def as_json(mode: Mode, rows: Sequence[Row]) -> str:
    return json.dumps({"mode": mode, "exitCode": exit_code(rows), "stacks": [asdict(row) for row in rows]}, indent=2)


def progress(mode: Mode, done: int, total: int, running: Collection[str]) -> str:
    """The progress line: how far the run is, and which stacks are running now."""
    line = f"fleet: {mode} {done}/{total} stacks done"
    return line + (f"; running: {', '.join(sorted(running))}" if running else "")
