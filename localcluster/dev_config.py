"""The dev stack's config on the local cluster, as pure functions: Pulumi.dev.yaml merged with what the local
cluster provides, the settings it cannot honour refused by key, and the keys a run removes from the stack so
that its config is the file's, exactly (issue 25: a key deleted from the file stayed in the stack forever)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from components.config.loading import shorten
from components.facts.pins import CANARY_IMAGE

NAMESPACE = "cvm"
HINT = "name a real cluster with `make up CLUSTER=<context>` to use it"


class Refused(ValueError):
    """Settings of the file the local cluster cannot honour: one line each, naming the key."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def ours(key: str) -> str:
    """A file key as the driver names it: `cvm:` dropped, any other namespace kept."""
    return key.removeprefix(f"{NAMESPACE}:")


def refusals(file_config: Mapping[str, Any], local_node: str, *, with_node: bool) -> list[str]:
    """One line per setting of the file the local cluster cannot honour."""
    file_config = {ours(key): value for key, value in file_config.items()}
    lines = []
    if "skipAwait" in file_config:
        lines.append(
            f"cvm:skipAwait: set by the local cluster (true without a node, false with `make up NODE=1`); "
            f"remove it, or {HINT}"
        )
    if with_node:
        lines += unrunnable(file_config.get("supervisor"))
    baremetal = file_config.get("baremetal")
    if baremetal is None:
        return lines
    if not isinstance(baremetal, Mapping):
        return [*lines, "cvm:baremetal: must be an object of settings (see docs/configuration.md)"]
    for key in ("kubeconfig", "context"):
        if key in baremetal:
            lines.append(f"cvm:baremetal.{key}: the local cluster provides its own; remove it, or {HINT}")
    for key in ("nodes", "gpuNodes"):
        names = baremetal.get(key) or []
        others = [name for name in names if name != local_node] if isinstance(names, list) else [names]
        if others:
            lines.append(
                f"cvm:baremetal.{key} = {others}: the local cluster has only the node {local_node!r} "
                f"(with `make up NODE=1`); remove them, or {HINT}"
            )
        elif names and not with_node:
            lines.append(
                f"cvm:baremetal.{key} lists {local_node!r}, which runs only with `make up NODE=1`; "
                "use that, or remove it"
            )
    return lines


def unrunnable(supervisor: Any) -> list[str]:
    """One line per workspace setting the local node cannot run: `make up NODE=1` waits for every workspace,
    so such a pod would hold it for the provider's 10 minutes before it fails. The node's registry serves one
    workspace image, the canary's stand-in built here, and no envbox (it needs real Sysbox)."""
    workspaces = supervisor.get("workspaces") if isinstance(supervisor, Mapping) else None
    lines = []
    for index, workspace in enumerate(workspaces if isinstance(workspaces, list) else []):
        if not isinstance(workspace, Mapping):
            continue  # the settings' own check names it
        key = f"cvm:supervisor.workspaces[{index}]"
        if workspace.get("runtime", "envbox") == "envbox":
            default = "" if "runtime" in workspace else " (the default)"
            lines.append(
                f"{key}.runtime = 'envbox'{default}: envbox needs real Sysbox, which the local node does not run; "
                "set `sysbox-runc` (docs/local-cluster.md)"
            )
        image = workspace.get("image")
        if isinstance(image, str) and image != CANARY_IMAGE:
            lines.append(
                f"{key}.image = {shorten(image)!r}: the local node serves one workspace image, {CANARY_IMAGE!r} "
                "(a stand-in built here, docs/local-cluster.md); use it on the local node"
            )
    return lines


def merged(file_config: Mapping[str, Any], kubeconfig: str, local_node: str, *, with_node: bool) -> dict[str, Any]:
    """The dev stack's config on the local cluster: the file's settings (keys without `cvm:`), its `baremetal`
    object merged (not replaced) with the local cluster's kubeconfig and node, and `skipAwait` unless a node
    runs pods. Raises `Refused` for what the local cluster cannot honour."""
    config = {ours(key): value for key, value in file_config.items()}
    lines = refusals(config, local_node, with_node=with_node)
    if lines:
        raise Refused(lines)
    baremetal = {**(config.get("baremetal") or {}), "kubeconfig": kubeconfig}
    if with_node:
        baremetal["nodes"] = [local_node]
    return {**config, "skipAwait": not with_node, "baremetal": baremetal}


def node_listed(local_node: str, *, asked: bool, ours_runs: bool) -> tuple[bool, str | None]:
    """Whether a run lists the local node, and what it says when it decides so itself: when asked (`make up
    NODE=1`), or when this checkout's node already runs. A plain `make up` after `make up NODE=1` would
    otherwise unlist it (its label patch deleted, the Sysbox installer's pod ended; issue 25)."""
    if asked or not ours_runs:
        return asked, None
    return True, (
        f"make up: the local node {local_node!r} runs (`make up NODE=1` started it), so the dev stack keeps "
        "it listed; `make down` stops it"
    )


def removed(current: Collection[str], desired: Collection[str]) -> list[str]:
    """The stack's keys the desired config no longer has (full keys, as `pulumi config` lists them)."""
    return sorted(set(current) - set(desired))
