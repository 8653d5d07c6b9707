"""Where the binaries scripts/toolchain.sh builds (from the Go module proxy, cached) are."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from localcluster import ROOT

SCRIPT = ROOT / "scripts" / "toolchain.sh"
# The targets this process has had built (or found cached): each is checked once, so a `make up`, which asks
# from several places, prints each "cached" line once.
_checked: set[str] = set()


@functools.cache
def _paths() -> dict[str, str]:
    out = subprocess.run([str(SCRIPT), "paths"], check=True, capture_output=True, text=True)
    return dict(line.split("=", 1) for line in out.stdout.split())


def binaries(*targets: str) -> dict[str, str]:
    """Build what is missing of `targets` (default: the control plane and Pulumi; seconds when cached) and
    return where the binaries are (`scripts/toolchain.sh paths`: ETCD, KUBE_BIN, PULUMI_BIN, ...)."""
    wanted = [target for target in targets or ("all",) if target not in _checked]
    if wanted:
        subprocess.run([str(SCRIPT), *wanted], check=True)
        _checked.update(wanted)
    return dict(_paths())


def kubernetes_version() -> str:
    """The Kubernetes version built here (`v1.35.4`): the control plane's, and its kubelet's."""
    return Path(binaries()["KUBE_BIN"]).name.removeprefix("kubernetes-")
