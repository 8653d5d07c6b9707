"""The local cluster as a whole: the control plane, and with `--with-node` a real node on this machine (root,
Linux). It starts the control plane, then the node; it stops the node (when it is this checkout's), then the
control plane.

    python -m localcluster.cluster start [--node NAME ...] [--with-node]   # prints the kubeconfig path
    python -m localcluster.cluster stop
"""

from __future__ import annotations

import argparse
from pathlib import Path

from localcluster import STATE, control_plane, node


def start(nodes: list[str], *, with_node: bool = False) -> Path:
    """Start the control plane (once), register `nodes` as Node objects, with `with_node` run a real node
    (localcluster/node.py) and wait until it is Ready; return the admin kubeconfig."""
    if not control_plane.running():
        stop()  # whatever a crashed run left behind, the node first
    admin = control_plane.start(nodes, scheduler=with_node)
    if with_node:
        node.start(admin)
    return admin


def stop() -> None:
    """Stop the node, when there is one and this checkout's control plane started it, then the control plane."""
    if node.owned_by(STATE):
        node.stop()
    control_plane.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--node", action="append", default=[], help="a Node object to register (repeatable)")
    parser.add_argument("--with-node", action="store_true", help="also run a real node here (root, Linux)")
    args = parser.parse_args()
    if args.action == "start":
        print(start(args.node, with_node=args.with_node))
    else:
        stop()


if __name__ == "__main__":
    main()
