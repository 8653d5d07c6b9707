"""An existing bare-metal cluster, adopted through its kubeconfig.

Pulumi never owns the cluster or its nodes: the CVM nodes get their `sysbox-install` label through a
server-side-apply patch, so dropping a node from `cvm:baremetal.nodes` removes only our label.

Before anything is applied, every listed node is read from the cluster and checked by the preflight rules
(components/preflight.py). The provider every object is created with takes its context from the verdict, so a
refused node stops the run, in preview too, before the first write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import kube, preflight
from components.settings import ABSENT, Problem, SettingsError

INSTALL_LABEL = {"sysbox-install": "yes"}


def node_label_patch(node: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A Node manifest carrying only the labels we manage; applied as a patch, never as the whole Node."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": dict(labels)}}


def ambient_kubeconfig_paths(environ: Mapping[str, str], home: Path) -> list[Path]:
    """Where kubectl and the Kubernetes provider look: $KUBECONFIG's entries, else ~/.kube/config."""
    if environ.get("KUBECONFIG"):
        return [Path(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    return [home / ".kube" / "config"]


# Fields that name files, which client-go reads relative to the kubeconfig that holds them.
_FILE_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def _absolute(entry: dict[str, Any], section: str, base: Path) -> dict[str, Any]:
    key, fields = _FILE_FIELDS.get(section, ("", ()))
    body = entry.get(key)
    if not isinstance(body, dict):
        return entry
    fixed = {f: str(base / body[f]) for f in fields if isinstance(body.get(f), str) and not Path(body[f]).is_absolute()}
    return {**entry, key: {**body, **fixed}} if fixed else entry


def merge_kubeconfigs(files: Sequence[tuple[str, Path]]) -> dict[str, Any]:
    """Merge kubeconfig files as client-go does: the first file to name an entry or a current-context wins.

    `files` holds each file's text and folder; relative file references become absolute, so that the merged
    kubeconfig works from anywhere.
    """
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    for text, base in files:
        document = yaml.safe_load(text) or {}
        if not isinstance(document, dict):
            continue
        for section in ("clusters", "contexts", "users"):
            names = {entry["name"] for entry in merged[section]}
            merged[section] += [
                _absolute(e, section, base)
                for e in document.get(section) or []
                if isinstance(e, dict) and e.get("name") not in names
            ]
        if document.get("current-context") and "current-context" not in merged:
            merged["current-context"] = document["current-context"]
    return merged


def kubeconfig_for(document: dict[str, Any], context: str | None, source: str) -> str:
    """The kubeconfig reduced to one context (the given one, else the current one), made current.

    This is what the stack exports: other stacks get exactly the cluster this stack deploys to.
    """
    wanted = context or document.get("current-context")
    chosen = next((c for c in document.get("contexts") or [] if c.get("name") == wanted), None)
    if chosen is None:
        known = sorted(c.get("name") for c in document.get("contexts") or [])
        key = "cvm:baremetal.context"
        reason = f"is not a context of {source}: {known}" if wanted else f"is required: {source} has no current-context"
        raise SettingsError([Problem(key, wanted if wanted else ABSENT, reason)])
    spec = chosen.get("context") or {}
    return str(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [c for c in document.get("clusters") or [] if c.get("name") == spec.get("cluster")],
                "contexts": [chosen],
                "users": [u for u in document.get("users") or [] if u.get("name") == spec.get("user")],
                "current-context": wanted,
            },
            sort_keys=False,
        )
    )


def resolve_kubeconfig(configured: str | None, context: str | None, environ: Mapping[str, str], home: Path) -> str:
    """The kubeconfig text of the cluster: cvm:baremetal.kubeconfig, else the ambient one (I/O: reads files)."""
    if configured is not None:
        return kubeconfig_for(yaml.safe_load(configured), context, "cvm:baremetal.kubeconfig")
    paths = ambient_kubeconfig_paths(environ, home)
    files = [(p.read_text(), p.parent) for p in paths if p.is_file()]
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise SettingsError(
            [
                Problem(
                    "cvm:baremetal.kubeconfig",
                    ABSENT,
                    f"is not set and there is no kubeconfig at {where}: point KUBECONFIG at the cluster, or "
                    "`pulumi config set --secret --path baremetal.kubeconfig < FILE`",
                )
            ]
        )
    return kubeconfig_for(
        merge_kubeconfigs(files), context, "the ambient kubeconfig (" + ", ".join(map(str, paths)) + ")"
    )


@dataclass(frozen=True)
class BareMetalClusterArgs:
    exported_kubeconfig: str  # what `resolve_kubeconfig` found: the stack's `kubeconfig` output
    configured_kubeconfig: str | None = None  # cvm:baremetal.kubeconfig; None means the ambient one
    context: str | None = None
    nodes: Sequence[str] = field(default_factory=list)  # the CVM nodes, which get the installer's label
    preflight: Mapping[str, preflight.Role] = field(default_factory=dict)  # every listed node, and what it is for


class BareMetalCluster(pulumi.ComponentResource):
    """The provider for an existing cluster, and the `sysbox-install` label on its CVM nodes."""

    def __init__(self, name: str, args: BareMetalClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:clusters:BareMetal", name, None, opts)
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(args.exported_kubeconfig)
        configured = args.configured_kubeconfig
        kubeconfig = pulumi.Output.secret(configured) if configured is not None else None
        child = pulumi.ResourceOptions(parent=self)
        context: pulumi.Input[str | None] = args.context
        if args.preflight:
            # Reads go through a provider of their own: the writing one waits for their verdict.
            reader = pulumi.ResourceOptions(
                parent=self, provider=kube.provider(f"{name}-preflight", kubeconfig, child, args.context)
            )
            statuses = [
                k8s.core.v1.Node.get(f"{name}-preflight-{node}", node, opts=reader).status for node in args.preflight
            ]
            context = pulumi.Output.all(*statuses).apply(lambda found: self._preflight(args, found))
        self.provider = kube.provider(name, kubeconfig, child, context)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.node_labels = [kube.create(node_label_patch(node, INSTALL_LABEL), on_cluster) for node in args.nodes]
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _preflight(self, args: BareMetalClusterArgs, statuses: Sequence[Any]) -> str | None:
        """Log the warnings and stop the run on a refusal; else the context the writing provider uses."""
        # the SDK hands the status over keyed by its Python names
        reports = {
            node: preflight.NodeReport.of_status(node, status, python_names=True)
            for node, status in zip(args.preflight, statuses, strict=True)
        }
        findings = preflight.check_nodes(reports, args.preflight)
        for finding in findings:
            if finding.severity == "warned":
                pulumi.log.warn(f"preflight: {finding}", resource=self)
        refusal = preflight.refusal(findings)
        if refusal is not None:
            raise pulumi.RunError(refusal)
        return args.context
