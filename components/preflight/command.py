"""The operator command: every node of a cluster with its verdict, for teams choosing which nodes to list.

cvm preflight [--kubeconfig FILE] [--context NAME] [--kubernetes-version 1.35] ...   (or python -m components.preflight)

Its exit code gates a script: 0 when no node is refused, 1 when one is, 2 for a bad flag, 3 when the cluster
cannot be read (kubeconfig, context or API server), each with a one-line error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.version import Version

from components.facts import pins
from components.facts.compatibility import DEFAULT_MINOR
from components.kube.units import major_minor
from components.preflight.report import table, verdict
from components.preflight.rules import NodeReport, Terms, check_nodes, roles

REFUSED, UNREADABLE = 1, 3  # exit codes; argparse's usage errors are 2
TIMEOUT = 10  # seconds to connect to, then to hear from, the API server
# The findings name the flags the operator used, not config keys they never wrote.
TERMS = Terms(
    nodes="is named by --gpu-node",
    minor="the minor --kubernetes-version gives ('{}')",
    source="this command's flags",
    containerd_fix="pass --containerd-fix when the stack sets it",
)


class Unreadable(Exception):
    """The cluster cannot be read: a one-line reason naming the kubeconfig, the context or the API server."""


def _kubeconfig_files(flag: str | None) -> str:
    """The kubeconfig path(s) as kubectl picks them: --kubeconfig, else $KUBECONFIG (a path list), else the
    default; refused when none of them exists."""
    paths = flag or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config"))
    source = "--kubeconfig" if flag else "$KUBECONFIG" if os.environ.get("KUBECONFIG") else "the default kubeconfig"
    if not any(Path(p).expanduser().is_file() for p in paths.split(os.pathsep) if p):
        raise Unreadable(f"{source} {paths!r}: no such file (give --kubeconfig FILE or set KUBECONFIG)")
    return paths


def _read_nodes(kubeconfig: str | None, context: str | None) -> list[dict[str, Any]]:
    """Every Node of the cluster as a plain manifest (I/O: asks the API server); Unreadable when it cannot."""
    import urllib3
    import yaml
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException

    files = _kubeconfig_files(kubeconfig)
    settings = client.Configuration()
    try:
        contexts, _ = config.list_kube_config_contexts(config_file=files)  # type: ignore[no-untyped-call]
        if context is not None and context not in [c["name"] for c in contexts]:
            raise Unreadable(f"kubeconfig {files!r} has no context {context!r}")
        config.load_kube_config(config_file=files, context=context, client_configuration=settings)  # type: ignore[no-untyped-call]
    except (ConfigException, yaml.YAMLError, UnicodeDecodeError, TypeError, AttributeError, KeyError) as error:
        # what the client library says of a file that is no kubeconfig
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise Unreadable(f"kubeconfig {files!r} is not a usable kubeconfig: {first}") from None
    settings.retries = False  # one attempt: an unreachable server is reported at once, not after three
    api = client.ApiClient(settings)
    try:
        nodes = client.CoreV1Api(api).list_node(_request_timeout=(TIMEOUT, TIMEOUT)).items
    except ApiException as error:
        raise Unreadable(f"the API server {settings.host} answered {error.status} {error.reason}") from None
    except urllib3.exceptions.HTTPError as error:
        # (urllib3's NewConnectionError, a refused connection, is a subclass of its ConnectTimeoutError)
        refused = isinstance(error, urllib3.exceptions.NewConnectionError)
        timed_out = not refused and isinstance(error, urllib3.exceptions.TimeoutError)
        why = f"no answer within {TIMEOUT} s" if timed_out else str(error).rsplit(": ", 1)[-1]
        raise Unreadable(f"cannot reach the API server {settings.host}: {why}") from None
    return [api.sanitize_for_serialization(node) for node in nodes]  # type: ignore[no-untyped-call]


DESCRIPTION = "Check every node of a cluster against what Sysbox needs, as a bare-metal stack would."
EPILOG = (
    "exit codes: 0 no node is refused, 1 a node is refused, 2 a bad flag, "
    "3 the cluster cannot be read (kubeconfig, context or API server)"
)


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
    parser.add_argument(
        "--containerd-fix",
        action="store_true",
        help="the stack sets cvm:sysbox.containerdFix (containerd 2.x nodes then not warned of nestybox/sysbox#997)",
    )
    parser.epilog = EPILOG


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The command on parsed flags; `parser` reports a bad one."""
    if major_minor(args.kubernetes_version, exact=True) is None:
        parser.error(f"--kubernetes-version {args.kubernetes_version!r}: must be a 'MAJOR.MINOR' such as '1.35'")
    try:
        reports = [NodeReport.of(node) for node in _read_nodes(args.kubeconfig, args.context)]
    except Unreadable as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return UNREADABLE
    sysbox = pins.SYSBOX_RELEASES.get(args.sysbox_version)
    cvm_nodes = [r.name for r in reports if r.name not in args.gpu_node]
    wanted = roles(
        Version(args.kubernetes_version), sysbox, cvm_nodes, args.gpu_node, containerd_fix=args.containerd_fix
    )
    findings = check_nodes({r.name: r for r in reports}, wanted, TERMS)
    print(table(reports, findings))
    return REFUSED if verdict(findings) == "refused" else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.preflight", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)
