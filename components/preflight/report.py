"""The preflight's verdicts: per node, the message that stops a run, and the operator command's table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from components.columns import aligned
from components.preflight.rules import Finding, NodeReport


def verdict(findings: Iterable[Finding]) -> str:
    severities = {f.severity for f in findings}
    return "refused" if "refused" in severities else "warned" if severities else "ok"


def refusal(findings: Sequence[Finding]) -> str | None:
    """The one message that stops a run, listing every refused finding of every node; None when none is."""
    refused = [f for f in findings if f.severity == "refused"]
    if not refused:
        return None
    lines = "\n".join(f"  - {f}" for f in refused)
    return (
        f"bare-metal preflight refused {len({f.node for f in refused})} node(s) before anything was applied "
        f"(drop them from cvm:baremetal.nodes/gpuNodes, or fix them):\n{lines}"
    )


def table(reports: Sequence[NodeReport], findings: Sequence[Finding]) -> str:
    """Every node on one line with its verdict, then every finding: what the operator command prints."""
    header = ("NODE", "OS", "KERNEL", "RUNTIME", "KUBELET", "ARCH", "CPU", "MEMORY", "VERDICT")
    rows = [header] + [
        (
            r.name,
            r.os_image,
            r.kernel,
            r.runtime,
            r.kubelet,
            r.architecture,
            r.cpu or "",
            r.memory or "",
            verdict(f for f in findings if f.node == r.name),
        )
        for r in reports
    ]
    lines = aligned(rows)
    if findings:
        lines += ["", *(f"{f.severity}: {f}" for f in findings)]
    return "\n".join(lines)
