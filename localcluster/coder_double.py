"""A TEST DOUBLE of a Coder deployment, for the agent's start (components/cvm/workspaces/agent.py): it serves a
stub agent at `/bin/coder-linux-<arch>`, as Coder serves its agent binary, and records each path asked for.
It proves that a workspace fetches and runs the agent with its token, URL and user; not Coder itself.
`bootstrap_script` is the init script such a deployment gives a template's agent (coder_bootstrap_double.sh).
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

BOOTSTRAP = Path(__file__).with_name("coder_bootstrap_double.sh")


def bootstrap_script(access_url: str, arch: str, auth_type: str = "token") -> str:
    """`coder_agent.init_script` as Coder hands it out: the double's text with the placeholders written in, as
    the provisioner writes `${ARCH}` and the coder provider `${ACCESS_URL}` (ending in "/") and `${AUTH_TYPE}`."""
    text = BOOTSTRAP.read_text()
    for name, filled in (("ARCH", arch), ("ACCESS_URL", access_url.rstrip("/") + "/"), ("AUTH_TYPE", auth_type)):
        text = text.replace(f"${{{name}}}", filled)
    return text


@contextlib.contextmanager
def serving(address: str, agent: str, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve `agent` (the stub's text) on `address`, on a free port, over HTTPS with `tls`; yields the URL and the
    paths asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            found = self.path.startswith("/bin/coder-linux-")
            self.send_response(200 if found else 404)
            self.end_headers()
            if found:
                self.wfile.write(agent.encode())

        def log_message(self, *args: object) -> None:  # the suite reads `asked`, not a log
            pass

    server = http.server.ThreadingHTTPServer((address, 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://{address}:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
