"""The canary's readiness check, run for real by `sh` against a fake CVM: a fake /proc (PID 1's name and uid_map)
and stubs of `systemctl` and `docker` that answer as told. It passes on a CVM and fails, saying which part, when
any one part is missing. The real thing runs on the node (tests/node: the canary becomes Ready)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from components.cvm.workspaces import pods

# Stubs of what the check calls, answering from FAKE_* variables; `docker import` keeps the archive it is given.
SYSTEMCTL = '#!/bin/sh\n[ "$*" = "is-active --quiet docker" ] && [ "$FAKE_DOCKER" = active ]\n'
DOCKER = """#!/bin/sh
case "$1" in
  info) [ "$FAKE_DOCKER" = active ] && echo "$FAKE_DRIVER" ;;
  image) [ "$FAKE_IMAGE" = present ] ;;
  import) cat > "$FAKE_ARCHIVE" && echo "sha256:0" ;;
  run) [ "$FAKE_RUN" = ok ] && echo nested ;;
  *) exit 2 ;;
esac
"""
A_CVM = {"comm": "systemd", "uid_map": "         0     165536      65536", "FAKE_DOCKER": "active",
         "FAKE_DRIVER": "overlay2", "FAKE_IMAGE": "present", "FAKE_RUN": "ok"}  # fmt: skip


def check(tmp_path: Path, **changed: str) -> subprocess.CompletedProcess[str]:
    fake = {**A_CVM, **changed}
    proc = tmp_path / "proc"
    (proc / "1").mkdir(parents=True, exist_ok=True)
    (proc / "1" / "comm").write_text(fake.pop("comm") + "\n")
    (proc / "1" / "uid_map").write_text(fake.pop("uid_map") + "\n")
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for name, text in (("systemctl", SYSTEMCTL), ("docker", DOCKER)):
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    env = {**os.environ, **fake, "FAKE_ARCHIVE": str(tmp_path / "nested.tar"), "PATH": f"{stubs}:{os.environ['PATH']}"}
    script = pods.canary_check(str(proc))
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)


def test_a_cvm_passes(tmp_path: Path) -> None:
    done = check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # Docker's containerd image store names its driver overlayfs
    assert check(tmp_path, FAKE_DRIVER="overlayfs").returncode == 0


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        ({"comm": "bash"}, "PID 1 is bash, not systemd"),
        ({"uid_map": "         0          0 4294967295"}, "root is the host's root"),
        ({"FAKE_DOCKER": "inactive"}, "docker.service is not active"),
        ({"FAKE_DRIVER": "vfs"}, "the inner Docker stores images with vfs, not overlay2"),
        ({"FAKE_RUN": "fails"}, "the nested container did not run"),
    ],
)
def test_each_part_fails_the_check(tmp_path: Path, changed: dict[str, str], said: str) -> None:
    done = check(tmp_path, **changed)
    assert done.returncode == 1
    assert f"cvm canary: {said}" in done.stdout


def test_the_nested_image_is_made_from_the_canarys_own_shell(tmp_path: Path) -> None:
    """No image to pull: the first run imports /bin/sh and the libraries it loads (here, this machine's)."""
    done = check(tmp_path, FAKE_IMAGE="absent")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run(["tar", "-tf", str(tmp_path / "nested.tar")], capture_output=True, text=True, check=True)
    names = listed.stdout.split()
    assert "bin/sh" in names
    assert any(name.rsplit("/", 1)[-1].startswith("libc.so") for name in names), names
