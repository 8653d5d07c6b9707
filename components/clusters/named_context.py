"""`python -m components.clusters.named_context CLUSTER OUT`: the kubeconfig `make up CLUSTER=<context>`
(scripts/up.sh) hands the program. The ambient kubeconfig ($KUBECONFIG, else ~/.kube/config) reduced to the
context CLUSTER, made current, as `baremetal.resolve_kubeconfig` resolves it for the program, written to OUT; a
problem ends the run (exit 1) with one line each on stderr, named as `make up` was called."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from components.clusters.baremetal import resolve_kubeconfig
from components.config import SettingsError


def main(argv: list[str]) -> int | str:
    cluster, out = argv
    try:
        Path(out).write_text(resolve_kubeconfig(None, cluster, os.environ, Path.home()))
    except SettingsError as error:
        return "\n".join(f"make up CLUSTER={cluster}: {problem}" for problem in error.problems)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
