"""A TEST DOUBLE of Sysbox's `sysbox-runc`, for the local node only. It is not Sysbox and isolates nothing more
than runc does.

Sysbox cannot be built here (the Go module proxy refuses every github.com/nestybox module), yet our manifests
must be proven on a real node: the `sysbox-runc` RuntimeClass, `hostUsers: false`, systemd as PID 1, Docker
inside, the images and the canary's probe. containerd registers this script as the `sysbox-runc` runtime's
binary; it hands every call to runc unchanged, except `create` of a container with a user namespace, whose
OCI spec it first gives what Sysbox gives a system container:

- the capabilities Sysbox gives a process of a system container, its init and every process `exec` starts
  (`kubectl exec`): a root one every capability, in all five sets, held inside the user namespace only; any
  other user none, but the bounding set (nestybox/sysbox-runc libsysbox/syscont/spec.go `cfgCapabilities`,
  called for `create` and for `exec`'s process by `ConvertProcessSpec`, exec.go `getProcess`, at 081856cc;
  nestybox/sysbox docs/user-guide/security.md, "Process Capabilities", at 27cb713f);
- `/sys` and the cgroup mount writable, `/proc/sys` writable;
- tmpfs on `/run` and `/run/lock` (systemd wants them), a host directory on `/var/lib/docker` (overlayfs
  cannot stack on the container's overlay root) unless the pod mounts a volume there, which Sysbox keeps too
  (nestybox/sysbox docs/user-guide/dind.md, "Persistence of Inner Docker Images", at 27cb713f);
- after `runc create`, the container's v1 cgroup directories owned by its mapped root, so systemd can make
  its own cgroups (Sysbox's sysbox-fs/sysbox-mgr do this their own way).

What it does not give: sysbox-fs's virtualised /proc and /sys, the ID-mapped host exclusivity, and Sysbox's
hardening. So the suite proves our objects and images, never Sysbox's isolation.

Run by containerd as `<launcher> [runc global flags] <command> ...`; the launcher (written by localcluster/node.py) sets
CVM_E2E_RUNC (the real runc) and CVM_E2E_DOUBLE_DATA (where per-container directories go). Standard library
only: it runs under the host's python3 for every runc call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

CGROUP_V1 = Path("/sys/fs/cgroup")
# runc's global flags that take a value (runc --help)
_VALUED = {"--root", "--log", "--log-format", "--criu", "--rootless"}
# every capability up to CAP_CHECKPOINT_RESTORE (Linux 5.9); held inside the user namespace only
_CAPS = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
    "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
    "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
    "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ "
    "PERFMON BPF CHECKPOINT_RESTORE"
)
ALL_CAPS = [f"CAP_{name}" for name in _CAPS.split()]


def command(args: list[str]) -> tuple[str | None, int]:
    """runc's subcommand among `args` and its index (global flags come first)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _VALUED:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg, i
        i += 1
    return None, -1


def option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            return args[i + 1]
        for name in names:
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def mapped_root(spec: dict[str, Any]) -> tuple[int, int] | None:
    """The host UID and GID of the container's root, or None when it has no user namespace."""
    linux = spec.get("linux", {})
    if not any(ns.get("type") == "user" for ns in linux.get("namespaces", [])):
        return None

    def host_id(mappings: list[dict[str, int]]) -> int:
        return next(m["hostID"] for m in mappings if m["containerID"] == 0)

    return host_id(linux["uidMappings"]), host_id(linux["gidMappings"])


def system_process(process: dict[str, Any]) -> dict[str, Any]:
    """`process` (an OCI process: the init's, or one `runc exec` starts) with the capabilities Sysbox gives it:
    root every one in all five sets, any other user only the bounding set. Pure: returns a new process."""
    root = process.get("user", {}).get("uid", 0) == 0
    sets = {key: list(ALL_CAPS) if root else [] for key in ("effective", "permitted", "inheritable", "ambient")}
    return {**process, "capabilities": {"bounding": list(ALL_CAPS), **sets}}


def system_container(spec: dict[str, Any], docker_dir: str) -> dict[str, Any]:
    """`spec` with what a system container needs (see the module's docstring). Pure: returns a new spec."""
    spec = json.loads(json.dumps(spec))
    spec["process"] = system_process(spec.get("process", {}))
    given = {mount["destination"] for mount in spec.get("mounts", [])}
    mounts: list[dict[str, Any]] = []
    for mount in spec.get("mounts", []):
        if mount["destination"] in ("/sys", "/sys/fs/cgroup"):
            options = [o for o in mount.get("options", []) if o != "ro"]
            mount = {**mount, "options": [*options, "rw"] if "rw" not in options else options}
        if mount["destination"] in ("/run", "/run/lock"):
            continue  # replaced below
        mounts.append(mount)
    own = [
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755"]},
        {"destination": "/run/lock", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec"]},
    ]
    if "/var/lib/docker" not in given:  # Sysbox's implicit mount, where the pod brings none
        own.append({"destination": "/var/lib/docker", "type": "bind", "source": docker_dir, "options": ["rbind", "rw"]})
    # before any mount beneath them (a mount under /run would otherwise be hidden by the tmpfs)
    under = next((i for i, m in enumerate(mounts) if m["destination"].startswith(("/run/", "/var/lib/docker/"))), None)
    at = len(mounts) if under is None else under
    spec["mounts"] = mounts[:at] + own + mounts[at:]
    linux = spec.setdefault("linux", {})
    linux["readonlyPaths"] = [p for p in linux.get("readonlyPaths", []) if p != "/proc/sys"]
    return spec


def give_cgroups(cgroups_path: str, uid: int, gid: int, root: Path = CGROUP_V1) -> list[Path]:
    """Chown the container's cgroup directory (and its files) in every v1 hierarchy to its mapped root."""
    given = []
    for hierarchy in sorted(root.iterdir()):
        directory = hierarchy / cgroups_path.lstrip("/")
        if hierarchy.name == "unified" or not directory.is_dir():
            continue
        for path in [directory, *directory.iterdir()]:
            os.chown(path, uid, gid)
        given.append(directory)
    return given


def main(args: list[str]) -> int:
    runc = os.environ["CVM_E2E_RUNC"]
    data = Path(os.environ["CVM_E2E_DOUBLE_DATA"])
    sub, at = command(args)
    container_id = args[-1] if args else ""
    if sub == "create":
        bundle = Path(option(args[at:], "--bundle", "-b") or ".")
        spec = json.loads((bundle / "config.json").read_text())
        root = mapped_root(spec)
        if root is not None:
            docker_dir = data / container_id / "docker"
            docker_dir.mkdir(parents=True, exist_ok=True)
            os.chown(docker_dir, *root)
            (bundle / "config.json").write_text(json.dumps(system_container(spec, str(docker_dir))))
        code = subprocess.run([runc, *args], close_fds=False).returncode
        if code == 0 and root is not None and spec.get("linux", {}).get("cgroupsPath"):
            give_cgroups(spec["linux"]["cgroupsPath"], *root)
        return code
    if sub == "exec" and (data / container_id).is_dir():  # a system container's: made so by `create` above
        process = Path(option(args[at:], "--process", "-p") or "")
        if process.is_file():
            process.write_text(json.dumps(system_process(json.loads(process.read_text()))))
    if sub == "delete":
        code = subprocess.run([runc, *args], close_fds=False).returncode
        shutil.rmtree(data / container_id, ignore_errors=True)
        return code
    os.execv(runc, [runc, *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
