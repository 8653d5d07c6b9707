"""A TEST DOUBLE of the one systemd request the Sysbox installer and cvm's containerd fix make of a node:
`systemctl restart containerd` (nestybox/sysbox-pkgr k8s/scripts/sysbox-deploy-k8s.sh; cvm's
components/cvm/containerd_fix.py).

The local node has no systemd: its containerd is a process localcluster/node.py started. Their pods run
`systemctl` from their image, and the installer image the node serves has a double of it
(localcluster/images/systemctl) that asks this server, on the node's own address, to restart containerd; the
answer comes once containerd is back, as `systemctl restart` returns once the unit is. It proves that what
they write into containerd's config is read after a restart; not how systemd itself restarts a unit.

    python -m localcluster.systemd_double ADDRESS:PORT RUN_DIR   # started by localcluster/node.py
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from localcluster import node

RESTART = "/restart/containerd"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        if self.path != RESTART:
            self.send_error(404, f"the systemd double knows only POST {RESTART}")
            return
        try:
            node.restart_containerd()
        except RuntimeError as error:
            self.send_error(500, str(error))
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"containerd restarted\n")


def main() -> None:
    address, port = sys.argv[1].rsplit(":", 1)  # argv[2]: the node's folder, which names this process as ours
    HTTPServer((address, int(port)), _Handler).serve_forever()


if __name__ == "__main__":
    main()
