"""Where each workspace's home lives, and the refusal of a change that would leave a home behind.

A home volume outlives its workspace: Pulumi forgets it when the workspace leaves the config (the cluster keeps
it), and a workspace added back under the same name, in the same namespace, adopts it again (server-side apply
creates over what exists). What it cannot do is follow its workspace to another namespace or storage class, so
such a change is refused before anything is applied, read against the `homes` the stack last exported.
Pure: the resolved stack (resolved.py) and the last outputs in, the homes and the refusals out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.cvm.workspaces.resolved import ResolvedStack
from components.facts.runtimes import FACTS

# The stack output that records where each home is (components/stack.py outputs).
HOMES_OUTPUT = "homes"


def homes(resolved: ResolvedStack) -> dict[str, dict[str, str | None]]:
    """Each workspace's home: its namespace, claim and storage class (None: the cluster's default)."""
    return {
        w.name: {"namespace": w.namespace, "claim": w.storage.claim, "storageClass": w.storage.storage_class}
        for w in resolved.workspaces
        if w.storage.claim is not None
    }


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _class(storage_class: object) -> str:
    return "unset (the cluster's default class)" if storage_class is None else f"'{storage_class}'"


_AFRESH = (
    "to start {them} afresh, remove {them} from cvm:supervisor.workspaces for one `pulumi up` (the home stays in "
    "the cluster) and add {them} back; docs/operations.md says how to move or delete a home"
)


def moves(previous: Any, resolved: ResolvedStack) -> list[str]:
    """Every change that would move a home the stack last deployed, as refusals naming the key, the value, the
    homes and what to do. `previous` is the last `homes` output (anything else, e.g. a first run: nothing moves)."""
    if not isinstance(previous, Mapping):
        return []
    planned = homes(resolved)
    workspaces = {w.name: w for w in resolved.workspaces}
    by_namespace: dict[str, list[str]] = {}
    by_class: dict[str | None, list[str]] = {}
    refusals: list[str] = []
    for name, home in planned.items():
        before = previous.get(name)
        if not isinstance(before, Mapping):
            continue  # new, or added back after it left: nothing of ours to move
        old_ns, new_ns = before.get("namespace"), home["namespace"]
        if old_ns != new_ns:
            runtime, entry = workspaces[name].runtime, workspaces[name].entry
            # the namespace of the runtime it had: its runtime changed
            other = next((r for r, ns in resolved.runtime_namespaces.items() if ns == old_ns and r != runtime), None)
            if other is not None:
                refusals.append(
                    f"cvm:supervisor.workspaces[{entry}].runtime = '{runtime}': the home of '{name}' is in "
                    f"namespace '{old_ns}' and {runtime} workspaces live in '{new_ns}', so it would be left "
                    f"behind for a new, empty one. Set the runtime back to '{other}', or, " + _AFRESH.format(them="it")
                )
            else:  # grouped by the `supervisor.namespace` they were deployed under
                configured = str(old_ns).removesuffix(FACTS[runtime].namespace_suffix)
                by_namespace.setdefault(configured, []).append(name)
        elif before.get("storageClass") != home["storageClass"]:
            by_class.setdefault(before.get("storageClass"), []).append(name)
    for old_ns, names in by_namespace.items():
        refusals.append(
            f"cvm:supervisor.namespace = '{resolved.namespace}': the homes of {_quoted(names)} were made under "
            f"namespace '{old_ns}' and would be left behind for new, empty ones. Set it back, or, "
            + _AFRESH.format(them="them")
        )
    for old_class, names in by_class.items():
        refusals.append(
            f"cvm:supervisor.storageClass = {_class(resolved.storage_class)}: the homes of {_quoted(names)} are "
            f"on {_class(old_class)}, and a claim's storage class cannot change (the API refuses it). Set it back, "
            "or, " + _AFRESH.format(them="them")
        )
    return refusals
