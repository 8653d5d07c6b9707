"""`cvm preflight` as a tool: its exit code follows the verdict, and a cluster it cannot read is one line on stderr
with its own exit code (a loopback API server stands in for the cluster)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from components import cli
from localcluster.good_node import node_status

NODES: list[dict[str, Any]] = []


class _ApiServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": NODES}).encode()
        self.send_response(200 if self.path.startswith("/api/v1/nodes") else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _kubeconfig(path: Path, server: str) -> Path:
    cluster = {"name": "c", "cluster": {"server": server}}
    context = {"name": "ctx", "context": {"cluster": "c", "user": "u"}}
    user = {"name": "u", "user": {"token": "t"}}
    config = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster], "contexts": [context], "users": [user]}
    path.write_text(json.dumps({**config, "current-context": "ctx"}))  # JSON is YAML
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    """A kubeconfig whose API server, on loopback, lists NODES."""
    server = HTTPServer(("127.0.0.1", 0), _ApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield _kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    NODES.clear()


def _node(name: str, **info: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name}, "status": node_status(**info)}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["preflight", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_ready_nodes_exit_0_and_a_refused_one_exits_1(served: Path, capsys: pytest.CaptureFixture[str]) -> None:
    NODES.append(_node("good"))
    code, out, _ = _run(["--kubeconfig", str(served), "--containerd-fix"], capsys)
    assert code == 0 and "good" in out and "ok" in out
    # without the stack's containerd fix, a containerd 2.x node is warned of nestybox/sysbox#997, and passes
    code, out, _ = _run(["--kubeconfig", str(served)], capsys)
    assert code == 0 and "warned: node good: container runtime 'containerd://2.1.4' meets nestybox/sysbox#997" in out
    assert "pass --containerd-fix when the stack sets it" in out
    NODES.append(_node("al2", osImage="Amazon Linux 2"))
    code, out, _ = _run(["--kubeconfig", str(served), "--containerd-fix"], capsys)
    assert code == 1 and "refused: node al2: distribution 'Amazon Linux 2'" in out


def test_findings_name_the_flags_the_operator_used(served: Path, capsys: pytest.CaptureFixture[str]) -> None:
    NODES.append(_node("n1", kubeletVersion="v1.34.2"))
    code, out, _ = _run(["--kubeconfig", str(served), "--gpu-node", "gpu-9"], capsys)
    assert code == 1
    assert "node gpu-9: presence 'absent' is named by --gpu-node, but the cluster has no such Node" in out
    assert "kubelet 'v1.34.2' is not the minor --kubernetes-version gives ('1.35') (this command's flags)" in out
    assert "cvm:" not in out


def _closed_port() -> int:
    with socket.socket() as probe:  # a port the kernel just handed out and nobody listens on
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("kubeconfig", "argv", "error"),
    [
        (None, [], "--kubeconfig '{dir}/absent': no such file"),
        (b"apiVersion: v1\nclusters: [\n", [], "kubeconfig '{dir}/kubeconfig' is not a usable kubeconfig: "),
        (b"\xff\xfe not utf-8", [], "kubeconfig '{dir}/kubeconfig' is not a usable kubeconfig: 'utf-8' codec"),
        (b"just a string\n", [], "kubeconfig '{dir}/kubeconfig' is not a usable kubeconfig: "),
        ("closed", ["--context", "other"], "kubeconfig '{dir}/kubeconfig' has no context 'other'"),
        ("closed", [], "cannot reach the API server https://127.0.0.1:{port}: [Errno 111] Connection refused"),
    ],
)
def test_a_cluster_it_cannot_read_is_one_line_and_exit_3(
    kubeconfig: bytes | str | None, argv: list[str], error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    path = tmp_path / ("kubeconfig" if kubeconfig else "absent")
    if kubeconfig == "closed":
        _kubeconfig(path, f"https://127.0.0.1:{port}")
    elif isinstance(kubeconfig, bytes):
        path.write_bytes(kubeconfig)
    code, out, err = _run(["--kubeconfig", str(path), *argv], capsys)
    assert code == 3 and out == ""
    assert err.startswith(f"cvm preflight: error: {error.format(dir=tmp_path, port=port)}"), err
    assert len(err.splitlines()) == 1


def test_without_a_flag_it_names_kubeconfig_and_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "a"))
    assert _run([], capsys)[2].startswith(f"cvm preflight: error: $KUBECONFIG '{tmp_path}/a': no such file")
    monkeypatch.setenv("KUBECONFIG", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _run([], capsys)[2].startswith("cvm preflight: error: the default kubeconfig '~/.kube/config': no such")
