"""The operator command: every node of a cluster with its verdict, for teams choosing which nodes to list.

cvm preflight [--kubeconfig FILE] [--context NAME] [--kubernetes-version 1.35] ...   (or python -m components.preflight)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from packaging.version import Version

from components.facts import pins
from components.facts.compatibility import DEFAULT_MINOR
from components.kube.units import major_minor
from components.preflight.report import table
from components.preflight.rules import NodeReport, check_nodes, roles


def _read_nodes(kubeconfig: str | None, context: str | None) -> list[dict[str, Any]]:
    """Every Node of the cluster as a plain manifest (I/O: asks the API server)."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=kubeconfig, context=context)  # type: ignore[no-untyped-call]
    nodes = client.CoreV1Api(api).list_node().items
    return [api.sanitize_for_serialization(node) for node in nodes]


DESCRIPTION = "Check every node of a cluster against what Sysbox needs, as a bare-metal stack would."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument(
        "--kubernetes-version",
        default=str(DEFAULT_MINOR["baremetal"]),
        help="the stack's cvm:kubernetesVersion (default: %(default)s)",
    )
    parser.add_argument(
        "--sysbox-version",
        default=pins.DEFAULT_SYSBOX,
        choices=[*pins.SYSBOX_RELEASES, "none"],
        help="the stack's cvm:sysbox.version ('none' when sysbox.enabled is false; default: %(default)s)",
    )
    parser.add_argument("--gpu-node", action="append", default=[], help="judge this node as a GPU node (repeatable)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The command on parsed flags; `parser` reports a bad one."""
    if major_minor(args.kubernetes_version, exact=True) is None:
        parser.error(f"--kubernetes-version {args.kubernetes_version!r}: must be a 'MAJOR.MINOR' such as '1.35'")
    reports = [NodeReport.of(node) for node in _read_nodes(args.kubeconfig, args.context)]
    sysbox = pins.SYSBOX_RELEASES.get(args.sysbox_version)
    cvm_nodes = [r.name for r in reports if r.name not in args.gpu_node]
    wanted = roles(Version(args.kubernetes_version), sysbox, cvm_nodes, args.gpu_node)
    findings = check_nodes({r.name: r for r in reports}, wanted)
    print(table(reports, findings))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.preflight", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)
