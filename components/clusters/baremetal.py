"""An existing bare-metal cluster, adopted through its kubeconfig.

Pulumi never owns the cluster or its nodes: the CVM nodes get their `sysbox-install` label through a
server-side-apply patch, so dropping a node from `cvm:baremetal.nodes` removes only our label.

Before anything is applied, every listed node is read from the cluster and checked by the preflight rules
(components/preflight/). The provider every object is created with takes its context from the verdict, so a
refused node stops the run, in preview too, before the first write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import Node

from components.config import Problem, SettingsError
from components.config.checks import ABSENT
from components.kube import kubeconfig, manifest, register
from components.kube.names import INSTALL_LABEL
from components.preflight import report, rules


def reduce_kubeconfig(document: Mapping[str, Any], context: str | None, source: str) -> str:
    """The kubeconfig reduced to the stack's context; a context it lacks is refused as bad config."""
    reduced = kubeconfig.for_context(document, context)
    if reduced is None:
        wanted = context or document.get("current-context")
        known = kubeconfig.context_names(document)
        reason = f"is not a context of {source}: {known}" if wanted else f"is required: {source} has no current-context"
        raise SettingsError([Problem("cvm:baremetal.context", wanted if wanted else ABSENT, reason)])
    return reduced


def resolve_kubeconfig(configured: str | None, context: str | None, environ: Mapping[str, str], home: Path) -> str:
    """The kubeconfig text of the cluster: cvm:baremetal.kubeconfig, else the ambient one (I/O: reads files)."""
    if configured is not None:
        return reduce_kubeconfig(kubeconfig.parse(configured) or {}, context, "cvm:baremetal.kubeconfig")
    paths = [p for p in kubeconfig.ambient_paths(environ, home) if p.is_file()]
    if not paths:
        where = ", ".join(map(str, kubeconfig.ambient_paths(environ, home)))
        reason = (
            f"is not set and there is no kubeconfig at {where}: point KUBECONFIG at the cluster, or "
            "`pulumi config set --secret --path baremetal.kubeconfig < FILE`"
        )
        raise SettingsError([Problem("cvm:baremetal.kubeconfig", ABSENT, reason)])
    # a broken file (not UTF-8, not a kubeconfig) is named with its problem, never quoted: it holds credentials
    read = {path: kubeconfig.read(path) for path in paths}
    broken = [f"{path} {found}" for path, (_, found) in read.items() if found]
    texts = {path: text for path, (text, _) in read.items()}
    if broken:
        reason = f"is not set, and the ambient kubeconfig is unusable: {'; '.join(broken)}"
        raise SettingsError([Problem("cvm:baremetal.kubeconfig", ABSENT, reason)])
    merged = kubeconfig.merge([(text, path.parent) for path, text in texts.items()])
    return reduce_kubeconfig(merged, context, f"the ambient kubeconfig ({', '.join(map(str, paths))})")


@dataclass(frozen=True, kw_only=True)
class BareMetalClusterArgs:
    exported_kubeconfig: str  # what `resolve_kubeconfig` found: the stack's `kubeconfig` output
    configured_kubeconfig: str | None = None  # cvm:baremetal.kubeconfig; None means the ambient one
    context: str | None = None
    nodes: Sequence[str] = field(default_factory=list)  # the CVM nodes, which get the installer's label
    preflight: Mapping[str, rules.Role] = field(default_factory=dict)  # every listed node, and what it is for


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
                parent=self, provider=register.provider(f"{name}-preflight", kubeconfig, child, args.context)
            )
            statuses = [Node.get(f"{name}-preflight-{node}", node, opts=reader).status for node in args.preflight]
            context = pulumi.Output.all(*statuses).apply(lambda found: self._preflight(args, found))
        self.provider = register.provider(name, kubeconfig, child, context)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.node_labels = [
            register.create(manifest.node_label_patch(node, INSTALL_LABEL), on_cluster) for node in args.nodes
        ]
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _preflight(self, args: BareMetalClusterArgs, statuses: Sequence[Any]) -> str | None:
        """Log the warnings and stop the run on a refusal; else the context the writing provider uses."""
        # the SDK hands the status over keyed by its Python names
        reports = {
            node: rules.NodeReport.of_status(node, status, python_names=True)
            for node, status in zip(args.preflight, statuses, strict=True)
        }
        findings = rules.check_nodes(reports, args.preflight)
        for finding in findings:
            if finding.severity == "warned":
                pulumi.log.warn(f"preflight: {finding}", resource=self)
        refusal = report.refusal(findings)
        if refusal is not None:
            raise pulumi.RunError(refusal)
        return args.context
