"""Coder's agent start: the script runs for real here, against a Coder stand-in on 127.0.0.1 that serves a stub
agent binary; the unit and the mounts are checked as text and manifests."""

from __future__ import annotations

import os
import platform
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.config import Workspace
from components.cvm.workspaces import agent, resolve
from localcluster import coder_double

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
# What the stub agent records: its arguments, and what Coder's agent reads from its environment.
STUB = """#!/bin/sh
{ echo "args=$*"; echo "token=$CODER_AGENT_TOKEN"; echo "url=$CODER_AGENT_URL"; echo "auth=$CODER_AGENT_AUTH"; \
echo "user=$(id -un)"; } > "$RECORD"
"""


@pytest.fixture
def coder() -> Iterator[tuple[str, list[str]]]:
    """A Coder stand-in: serves the stub at /bin/coder-linux-<arch> and records each path asked for."""
    with coder_double.serving("127.0.0.1", STUB) as (url, asked):
        yield f"{url}/", asked


def run(script: str, tmp_path: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "BINARY_DIR": str(tmp_path / "home" / ".coder"),
        "CODER_AGENT_TOKEN": "token-of-alice",
        "RECORD": str(tmp_path / "record"),
    }
    return subprocess.run(["/bin/sh", "-s"], input=script, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_script_fetches_the_agent_and_runs_it_with_the_token(coder: tuple[str, list[str]], tmp_path: Path) -> None:
    url, asked = coder
    result = run(agent.script(url), tmp_path)
    assert result.returncode == 0, result.stderr
    assert asked == [f"/bin/coder-linux-{ARCH}"]
    record = dict(line.split("=", 1) for line in (tmp_path / "record").read_text().splitlines())
    assert record["args"] == "agent"
    assert record["token"] == "token-of-alice" and record["auth"] == "token"
    assert record["url"] == url  # the deployment's URL, written into the script
    assert (tmp_path / "home" / ".coder" / "coder").stat().st_mode & 0o111


def test_the_script_waits_while_coder_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(subprocess.TimeoutExpired) as waited:
        run(agent.script("http://127.0.0.1:9/"), tmp_path, timeout=3)  # the discard port: nothing answers
    assert "cannot fetch the agent from http://127.0.0.1:9 yet" in str(waited.value.stderr)
    assert not (tmp_path / "record").exists()


@pytest.fixture
def private_coder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The stand-in over HTTPS on 127.0.0.1, its certificate from a CA of the test's own (a private CA); yields
    its URL and a folder holding that CA, as the supervisor's ConfigMap would."""
    ca = tmp_path / "ca"
    ca.mkdir()
    key, cert = tmp_path / "key.pem", ca / "corp-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=cvm test CA", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with coder_double.serving("127.0.0.1", STUB, tls) as (url, _):
        yield f"{url}/", ca


def test_the_bootstrap_trusts_the_supervisors_cas(private_coder: tuple[str, Path], tmp_path: Path) -> None:
    """With supervisor.caCertificates, the agent is fetched from a Coder behind a private CA: the bundle of the
    system's CAs and the mounted ones, which the agent keeps in its environment too."""
    url, ca = private_coder
    result = run(agent.trust_lines(str(ca)) + agent.script(url), tmp_path)
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "home" / ".coder" / "cvm-ca-bundle.pem"
    assert (ca / "corp-ca.pem").read_text() in bundle.read_text()
    system = next((Path(p) for p in agent.SYSTEM_BUNDLES if Path(p).is_file()), None)
    assert system is None or bundle.read_text().startswith(system.read_text())
    assert agent.bootstrap(url, None, "corp-ca") == agent.trust_lines() + agent.script(url)
    assert agent.bootstrap(url, "#!/bin/sh\necho coder", None) == "#!/bin/sh\necho coder"


def test_without_the_cas_a_private_coder_is_not_trusted(private_coder: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = private_coder
    with pytest.raises(subprocess.TimeoutExpired) as waited:
        run(agent.script(url), tmp_path, timeout=3)
    assert "cannot fetch the agent" in str(waited.value.stderr)


def test_a_url_cannot_break_out_of_the_script() -> None:
    text = agent.script("https://coder.example.com/a'$(touch /tmp/x)'")
    assert "url='https://coder.example.com/a'\"'\"'$(touch /tmp/x)'\"'\"''" in text


def test_the_unit_runs_the_script_as_the_workspace_user_and_keeps_it_running() -> None:
    workspace = Workspace.model_validate({"name": "bob", "image": "ghcr.io/acme/ws:1", "username": "dev"})
    unit = agent.unit(workspace.username, resolve.home_dir(workspace.username))
    assert "User=dev\n" in unit and "Environment=HOME=/home/dev BINARY_DIR=/home/dev/.coder\n" in unit
    assert "PassEnvironment=CODER_AGENT_TOKEN\n" in unit  # from PID 1's environment, from the Secret
    assert f"ExecStart=/bin/sh {agent.SCRIPT_PATH}\n" in unit and "Restart=always\n" in unit
    assert "WantedBy=multi-user.target\n" in unit
    # Coder's init script cds into BINARY_DIR without making it: the unit makes it, as the user (no `+`), in a
    # home that is the user's already (the pod's home-owner init container)
    assert "ExecStartPre=/bin/mkdir -p /home/dev/.coder\n" in unit
    assert agent.WANTED_TEXT == "[Unit]\nWants=coder-agent.service\n"  # what starts it at boot


def test_the_pod_enables_the_unit_where_systemd_looks() -> None:
    mounts = {m["mountPath"]: m["subPath"] for m in agent.sysbox_mounts()}
    assert mounts == {
        "/opt/cvm/coder-agent.sh": "coder-agent.sh",
        "/etc/systemd/system/coder-agent.service": "coder-agent.service",
        "/etc/systemd/system/multi-user.target.d/cvm-coder-agent.conf": "cvm-coder-agent.conf",
    }
    assert all(m["readOnly"] for m in agent.sysbox_mounts())
