"""The local cluster: a control plane (and, as root, a real node) on this machine, the Go-built tools it runs,
the images and test doubles the node serves, and the engine driver. `make up` and the engine and node tests
share it.

Modules: `cluster` starts and stops the whole (the control plane, then the node), `control_plane` and `node`
each run their own processes (through `processes`), `node_config` is the node's files as pure functions,
`local_path` its storage provisioner's,
`toolchain` finds the binaries scripts/toolchain.sh builds, `good_node` is what a good Node reports, `engine`
drives the real Pulumi engine (`dev_config` is the dev stack's config there and `engine_output` what it prints
of Pulumi's output, as pure functions), `images`
and the `*_double` modules stand in for what cannot be fetched here.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# where the control plane, its logs and the local Pulumi state live (CVM_E2E_DIR moves it)
STATE = Path(os.environ.get("CVM_E2E_DIR", ROOT / ".e2e"))
