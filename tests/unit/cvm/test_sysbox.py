"""What cvm knows of Sysbox's known problems on each platform, and the installer's command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components.cvm import sysbox
from components.facts import pins


def test_known_problems_name_upstream_issues() -> None:
    release = pins.SYSBOX_RELEASES["0.7.1"]
    assert any("#997" in p for p in sysbox.known_problems("aks", release))
    assert any("#721" in p for p in sysbox.known_problems("eks", release))
    assert sysbox.known_problems("baremetal", release) == []
    # a stack that applies cvm's containerd fix is not warned of what it works around
    assert not any("#997" in p for p in sysbox.known_problems("aks", release, containerd_fix=True))


def run_install(tmp_path: Path, exit_code: int) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The installer's command with a stand-in script exiting `exit_code`, its termination log in `tmp_path`."""
    script, log = tmp_path / "install.sh", tmp_path / "termination-log"
    script.write_text(f"#!/bin/sh\necho installing\nexit {exit_code}\n")
    script.chmod(0o755)
    command = sysbox.INSTALL.replace("/opt/sysbox/scripts/sysbox-deploy-k8s.sh", str(script))
    command = command.replace("/dev/termination-log", str(log))
    env = {**os.environ, "NODE_NAME": "worker-7", "HOSTNAME": "sysbox-deploy-k8s-x1y2z"}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env), log


@pytest.mark.parametrize("exit_code", [1, 3])
def test_a_failed_install_names_its_node_and_keeps_its_exit_code(tmp_path: Path, exit_code: int) -> None:
    done, log = run_install(tmp_path, exit_code)
    assert done.returncode == exit_code and done.stdout == "installing\n"
    message = (
        f"cvm: the Sysbox installer failed on node worker-7 (exit {exit_code}); its log: "
        "kubectl -n kube-system logs --previous sysbox-deploy-k8s-x1y2z\n"
    )
    assert log.read_text() == message and done.stderr == message


def test_a_successful_install_leaves_no_message(tmp_path: Path) -> None:
    done, log = run_install(tmp_path, 0)
    assert done.returncode == 0 and not log.exists() and done.stderr == ""
