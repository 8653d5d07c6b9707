"""cvm's containerd 2.x fix (nestybox/sysbox#997): its objects, and its script run by bash on config files.

Which key containerd itself reads from these shapes is proven with the real containerd 2.2.9 in
tests/node/test_containerd2.py (`containerd config dump`); here the script's own decisions are.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from components.cvm import containerd_fix, sysbox
from components.facts import pins
from components.kube.names import CONTAINERD_FIX, INSTALL_LABEL

RELEASE = pins.SYSBOX_RELEASES["0.7.1"]
OLD = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.sysbox-runc'
NEW = '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.sysbox-runc'
# what the installer appends (sysbox-deploy-k8s.sh config_containerd_for_sysbox, through dasel)
INSTALLERS = f"""{OLD}]
  runtime_type = "io.containerd.runc.v2"
{OLD}.options]
  BinaryName = "/usr/bin/sysbox-runc"
  SystemdCgroup = true
"""
# AKS 1.35+ (Azure/AgentBaker aks-node-controller/parser/templates/containerd_v2_no_GPU.toml.gtpl @e3422a58)
AKS = """version = 2
oom_score = -999
[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "mcr.microsoft.com/oss/v2/kubernetes/pause:3.6"
[plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = "/usr/bin/runc"
      SystemdCgroup = true
[metrics]
  address = "0.0.0.0:10257"
"""
# containerd 2.x's `containerd config default` (version 3), as dasel rewrites it (single-quoted keys)
V3 = """version = 3
[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'runc'
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
"""
# a containerd 1.x config kept on 2.x: its migration carries the installer's entry over
LEGACY = """version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
"""


def run(config: Path, mode: str, tmp_path: Path, systemctl_exit: int = 0) -> tuple[int, str, list[str]]:
    """The script in `mode` on `config`, with a `systemctl` double that records its arguments."""
    script = tmp_path / "containerd2.sh"
    script.write_text(containerd_fix.SCRIPT)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexit {systemctl_exit}\n')
    (bin_dir / "systemctl").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CVM_CONTAINERD_CONFIG": str(config)}
    done = subprocess.run(["bash", str(script), mode], env=env, capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout + done.stderr, calls.read_text().splitlines() if calls.exists() else []


QUOTED = INSTALLERS.replace("runtimes.sysbox-runc", "runtimes.'sysbox-runc'")  # a writer that quotes every key


@pytest.mark.parametrize(
    ("shape", "entry"),
    [(AKS, INSTALLERS), (V3, INSTALLERS), (AKS, QUOTED)],
    ids=["aks-version-2", "version-3", "quoted"],
)
def test_the_installers_ignored_entry_is_copied_where_containerd_reads_it(
    shape: str, entry: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(shape + entry)
    assert run(config, "check", tmp_path)[0] == 1  # not ready: containerd reads no sysbox-runc
    code, out, calls = run(config, "step", tmp_path)
    assert code == 0 and calls == ["restart containerd"], out
    text = config.read_text()
    assert text.startswith(shape + entry) and containerd_fix.MARKER in text  # appended, nothing else changed
    runtime = tomllib.loads(text)["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    assert runtime["sysbox-runc"] == {
        "runtime_type": "io.containerd.runc.v2",
        "options": {"BinaryName": "/usr/bin/sysbox-runc", "SystemdCgroup": True},
    }
    assert "runc" in runtime  # the node's own runtimes stay
    assert run(config, "check", tmp_path)[0] == 0
    # a second pass changes nothing and restarts nothing
    assert run(config, "step", tmp_path)[2] == ["restart containerd"] and config.read_text() == text


@pytest.mark.parametrize(
    ("text", "ready"),
    [
        (LEGACY + INSTALLERS, True),  # migrated by containerd: nothing to do
        ("version = 3\n" + INSTALLERS.replace(OLD, NEW), True),  # already where containerd reads it
        (AKS, False),  # the installer has not written yet: wait for it
        (AKS + INSTALLERS.replace('  BinaryName = "/usr/bin/sysbox-runc"\n', ""), False),  # half written
        (V3 + "[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes]\nsysbox-runc = {runtime_type = 'x'}\n", False),
    ],
    ids=["legacy-version-2", "fixed", "no-entry-yet", "half-written", "unknown-shape"],
)
def test_a_file_the_script_should_leave_alone_is_left_alone(text: str, tmp_path: Path, *, ready: bool) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    code, out, calls = run(config, "step", tmp_path)
    assert (code, calls, config.read_text()) == (0, [], text), out
    assert run(config, "check", tmp_path)[0] == (0 if ready else 1)


def test_a_failed_restart_puts_the_file_back_and_fails(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(AKS + INSTALLERS)
    code, out, calls = run(config, "step", tmp_path, systemctl_exit=1)
    assert code == 1 and calls == ["restart containerd"] and "the file is put back" in out
    assert config.read_text() == AKS + INSTALLERS


def test_the_daemon_set_runs_the_script_beside_the_installer_with_little_of_the_host() -> None:
    config_map, daemon_set = containerd_fix.manifests(RELEASE, sysbox.PLACEMENT)
    assert config_map["metadata"] == {"name": CONTAINERD_FIX, "namespace": "kube-system"}
    assert config_map["data"] == {"containerd2.sh": containerd_fix.SCRIPT}
    pod = daemon_set["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == INSTALL_LABEL and pod["automountServiceAccountToken"] is False
    installer = sysbox.manifests(RELEASE)[4]["spec"]["template"]["spec"]
    assert (pod["tolerations"], pod["priorityClassName"]) == (installer["tolerations"], installer["priorityClassName"])
    (container,) = pod["containers"]
    assert container["image"] == RELEASE.installer_image  # pinned with the release, as the installer
    assert container["command"] == ["bash", containerd_fix.SCRIPT_PATH, "run"]
    assert container["readinessProbe"]["exec"]["command"] == ["bash", containerd_fix.SCRIPT_PATH, "check"]
    security = container["securityContext"]
    assert security["privileged"] is False and security["capabilities"] == {"drop": ["ALL"]}
    host = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert host == {"/etc/containerd", "/run/systemd", "/var/run/dbus"}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["containerd-config"] == "/mnt/host/etc/containerd"  # the script's default config path
    assert "/mnt/host/etc/containerd/config.toml" in containerd_fix.SCRIPT
