"""Where each workspace's home lives, and the refusal of a change that would leave a home behind.

A home volume outlives its workspace: Pulumi forgets it when the workspace leaves the config (the cluster keeps
it), and a workspace added back under the same name, in the same namespace, adopts it again (server-side apply
creates over what exists). What it cannot do is follow its workspace to another namespace or storage class, so
such a change is refused before anything is applied, read against the `homes` the stack last exported.
Pure: settings and the last outputs in, the homes and the refusals out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.cvm.workspaces.inputs import SupervisorSection
from components.cvm.workspaces.objects import ENVBOX_SUFFIX, workspace_namespace
from components.cvm.workspaces.pods import home_volume_name

# The stack output that records where each home is (components/stack.py outputs).
HOMES_OUTPUT = "homes"


def homes(supervisor: SupervisorSection) -> dict[str, dict[str, str | None]]:
    """Each workspace's home: its namespace, claim and storage class (None: the cluster's default)."""
    return {
        w.name: {
            "namespace": workspace_namespace(supervisor.namespace, w.runtime),
            "claim": home_volume_name(w.name),
            "storageClass": supervisor.storage_class,
        }
        for w in supervisor.workspaces
    }


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _class(storage_class: object) -> str:
    return "unset (the cluster's default class)" if storage_class is None else f"'{storage_class}'"


_AFRESH = (
    "to start {them} afresh, remove {them} from cvm:supervisor.workspaces for one `pulumi up` (the home stays in "
    "the cluster) and add {them} back; docs/operations.md says how to move or delete a home"
)


def moves(previous: Any, supervisor: SupervisorSection) -> list[str]:
    """Every change that would move a home the stack last deployed, as refusals naming the key, the value, the
    homes and what to do. `previous` is the last `homes` output (anything else, e.g. a first run: nothing moves)."""
    if not isinstance(previous, Mapping):
        return []
    planned = homes(supervisor)
    index = {w.name: i for i, w in enumerate(supervisor.workspaces)}
    runtimes = {w.name: w.runtime for w in supervisor.workspaces}
    by_namespace: dict[str, list[str]] = {}
    by_class: dict[str | None, list[str]] = {}
    refusals: list[str] = []
    for name, home in planned.items():
        before = previous.get(name)
        if not isinstance(before, Mapping):
            continue  # new, or added back after it left: nothing of ours to move
        old_ns, new_ns = before.get("namespace"), home["namespace"]
        if old_ns != new_ns:
            runtime = runtimes[name]
            other = "sysbox-runc" if runtime == "envbox" else "envbox"
            if old_ns == workspace_namespace(supervisor.namespace, other):
                refusals.append(
                    f"cvm:supervisor.workspaces[{index[name]}].runtime = '{runtime}': the home of '{name}' is in "
                    f"namespace '{old_ns}' and {runtime} workspaces live in '{new_ns}', so it would be left "
                    f"behind for a new, empty one. Set the runtime back to '{other}', or, " + _AFRESH.format(them="it")
                )
            else:  # grouped by the `supervisor.namespace` they were deployed under
                configured = str(old_ns).removesuffix(ENVBOX_SUFFIX) if runtime == "envbox" else str(old_ns)
                by_namespace.setdefault(configured, []).append(name)
        elif before.get("storageClass") != home["storageClass"]:
            by_class.setdefault(before.get("storageClass"), []).append(name)
    for old_ns, names in by_namespace.items():
        refusals.append(
            f"cvm:supervisor.namespace = '{supervisor.namespace}': the homes of {_quoted(names)} were made under "
            f"namespace '{old_ns}' and would be left behind for new, empty ones. Set it back, or, "
            + _AFRESH.format(them="them")
        )
    for old_class, names in by_class.items():
        refusals.append(
            f"cvm:supervisor.storageClass = {_class(supervisor.storage_class)}: the homes of {_quoted(names)} are "
            f"on {_class(old_class)}, and a claim's storage class cannot change (the API refuses it). Set it back, "
            "or, " + _AFRESH.format(them="them")
        )
    return refusals
