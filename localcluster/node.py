"""A real node for the local control plane: containerd, runc and a kubelet on this machine (root, Linux).

`start` records what the host is like, then changes it: a pod bridge, containerd and a kubelet with their own
folders (/var/lib/cvm-e2e, /run/cvm-e2e), a local registry with the images of localcluster/images.py, a forwarder
from the node's address to the API server (pods cannot reach the host's loopback), and kube-router's firewall,
which enforces NetworkPolicies with iptables chains and ipsets (bridged pod traffic made visible to it by the
br_netfilter sysctls). The kubelet itself sets sysctls, makes iptables chains, cgroups and /var/log/containers.
`stop` undoes all of it from the record, also after a crash (stale pid files, leftover mounts): processes,
mounts, cgroups, iptables chains, ipsets, sysctls, the bridge and the files. `leftovers` says what differs from
a snapshot taken before; the suite asserts it is empty.

    python -m localcluster.node check     # what a stopped node left on this host (nothing, or a list)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from components.cvm import sysbox
from localcluster import ROOT, STATE, control_plane, images, local_path, node_config, processes, toolchain
from localcluster.node_config import Layout

LAYOUT = Layout()
LOGS = STATE / "node"
PIDS = LAYOUT.run / "pids"
# the control plane (its state folder) the node was started for: only that one's `stop` stops it, so that a
# second checkout's control plane (CVM_E2E_PORT_OFFSET) never takes down a node it does not own
OWNER = LAYOUT.run / "control-plane"
# in start order; stopped in reverse
PROCESSES = ("registry", "containerd", "systemd", "forwarder", "kubelet", "kube-router", "provisioner")
# Debian's packages the node needs (bookworm's versions: see docs/local-cluster.md, "The local node")
PACKAGES = {
    "mmdebstrap": "/usr/bin/mmdebstrap",
    "umoci": "/usr/bin/umoci",
    "skopeo": "/usr/bin/skopeo",
    "docker-registry": "/usr/bin/docker-registry",
    "containernetworking-plugins": "/usr/lib/cni/bridge",
    "iptables": "/usr/sbin/iptables",
    "ipset": "/usr/sbin/ipset",
    "libseccomp-dev": "/usr/include/seccomp.h",
    "pkg-config": "/usr/bin/pkg-config",
}
# paths the node (or a kubelet/containerd left to its defaults) could create outside its own folders
WATCHED_PATHS = (
    str(LAYOUT.data), str(LAYOUT.run), "/var/lib/kubelet", "/var/lib/cni", "/var/log/containers", "/var/log/pods",
    "/run/netns", "/etc/cni", "/opt/containerd", "/run/nri", "/usr/libexec/kubernetes", "/etc/kubernetes",
    "/run/containerd",
)  # fmt: skip
# the Sysbox installer's host paths (its DaemonSet runs here, as the test double): containerd makes a missing
# bind-mount source, so each of them and its parents is watched too, and removed when it was not there before
INSTALLER_PATHS = tuple(
    sorted(
        {str(parent) for path, _ in sysbox.HOST_MOUNTS.values() for parent in (Path(path), *Path(path).parents)} - {"/"}
    )
)
CGROUP_ROOT = Path("/sys/fs/cgroup")
# every sysctl the node or what it runs may change (recorded before, restored on stop)
SYSCTLS = tuple(dict.fromkeys((*node_config.KUBELET_SYSCTLS, *node_config.NODE_SYSCTLS)))
# what kube-router names its ipsets and chains (pkg/controllers/netpol of v2.1.0), for `check` and a crashed
# node without a record
KUBE_ROUTER_SETS = ("KUBE-SRC-", "KUBE-DST-", "inet6:KUBE-")
KUBE_ROUTER_CHAINS = ("KUBE-ROUTER-", "KUBE-POD-FW-", "KUBE-NWPLCY-")
FORWARD_PORT = 6443  # where pods reach the API server: NODE_IP:6443 (localcluster/images/sysbox-deploy-k8s.sh)
SYSTEMD_PORT = 6444  # where pods ask the systemd double to restart containerd (localcluster/images/systemctl)


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True)


# --- the host, as seen before and after ------------------------------------------------------------------


def _chains() -> dict[str, list[str]]:
    chains = {}
    for tool in ("iptables", "ip6tables"):
        for table in ("filter", "nat", "mangle"):
            out = _run(tool, "-t", table, "-S", check=False).stdout
            chains[f"{tool}/{table}"] = sorted(line.split()[1] for line in out.splitlines() if line.startswith("-N "))
    return chains


def _ipsets() -> list[str]:
    """The host's ipsets (kube-router keeps its policies' addresses and ports there)."""
    if not Path(PACKAGES["ipset"]).exists():
        return []
    return sorted(_run(PACKAGES["ipset"], "list", "-n", check=False).stdout.split())


def _mounts() -> list[str]:
    with open("/proc/self/mountinfo") as info:
        return sorted({line.split()[4].replace("\\040", " ") for line in info})


def _cgroups() -> dict[str, list[str]]:
    return {
        h.name: sorted(d.name for d in h.iterdir() if d.is_dir())
        for h in sorted(CGROUP_ROOT.iterdir())
        if h.is_dir() and not h.is_symlink()
    }


def _processes() -> list[str]:
    """Processes started for the node: each names one of its folders on its command line."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if str(LAYOUT.run) in cmdline or str(LAYOUT.data) in cmdline:
                found.append(f"{proc.name} {cmdline.strip()}")
    return sorted(found)


def snapshot() -> dict[str, Any]:
    """What the node may change on the host, as it is now."""
    return {
        "sysctls": {name: _sysctl(name) for name in SYSCTLS if _sysctl_path(name).exists()},
        "chains": _chains(),
        "ipsets": _ipsets(),
        "mounts": _mounts(),
        "cgroups": _cgroups(),
        "links": sorted(
            line.split(":")[1].strip().split("@")[0] for line in _run("ip", "-o", "link").stdout.splitlines()
        ),
        "paths": {path: os.path.lexists(path) for path in (*WATCHED_PATHS, *INSTALLER_PATHS)},
        "processes": _processes(),
    }


def leftovers(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What `after` has that `before` did not (or changed): empty when the host is as it was. Pure."""
    found = [
        f"sysctl {k} = {v} (was {before['sysctls'].get(k)})"
        for k, v in after["sysctls"].items()
        if v != before["sysctls"].get(k)
    ]
    for table, chains in after["chains"].items():
        found += [f"{table} chain {c}" for c in chains if c not in before["chains"].get(table, [])]
    found += [f"ipset {name}" for name in after["ipsets"] if name not in before["ipsets"]]
    found += [f"mount {m}" for m in after["mounts"] if m not in before["mounts"]]
    for hierarchy, groups in after["cgroups"].items():
        found += [f"cgroup {hierarchy}/{g}" for g in groups if g not in before["cgroups"].get(hierarchy, [])]
    found += [f"link {link}" for link in after["links"] if link not in before["links"]]
    found += [f"path {p}" for p, there in after["paths"].items() if there and not before["paths"].get(p)]
    found += [f"process {p}" for p in after["processes"]]
    return found


def _sysctl_path(name: str) -> Path:
    return Path("/proc/sys", *name.split("."))


def _sysctl(name: str) -> str:
    return _sysctl_path(name).read_text().strip()


def _set_sysctl(name: str, value: str) -> None:
    _sysctl_path(name).write_text(value)


# --- processes ---------------------------------------------------------------------------------------------


def _spawn(name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
    return processes.spawn(argv, LOGS / f"{name}.log", PIDS / f"{name}.pid", env=env, cwd=ROOT)


def _wait(name: str, what: str, ready: Callable[[], bool], timeout: float) -> None:
    processes.wait_until(what, ready, timeout, LOGS / f"{name}.log")


def _container_pids() -> list[int]:
    """Every process in the kubelet's pod cgroups (containers, and what runs inside them)."""
    pids: set[int] = set()
    for hierarchy in ("pids", "memory", "cpu", "systemd"):
        top = CGROUP_ROOT / hierarchy / "kubepods"
        if top.is_dir():
            for procs in top.rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(p) for p in procs.read_text().split())
    return sorted(pids)


# --- start -------------------------------------------------------------------------------------------------


def _require_packages() -> None:
    missing = [package for package, path in PACKAGES.items() if not Path(path).exists()]
    if missing:
        raise RuntimeError(f"the node needs Debian's {' '.join(missing)}: `make node-packages` (apt-get) installs them")
    if not all(_sysctl_path(name).exists() for name in node_config.NODE_SYSCTLS):
        raise RuntimeError(
            "the node's NetworkPolicy firewall needs the kernel's br_netfilter (net.bridge.bridge-nf-call-iptables "
            "is missing): `modprobe br_netfilter`, or a kernel built with it"
        )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _configure(paths: dict[str, str]) -> Path:
    """Every file containerd, the kubelet, the registry and the double read; returns the kubelet's config."""
    runc = Path(paths["RUNC"])
    _write(LAYOUT.containerd_config, node_config.toml(node_config.containerd_config(LAYOUT, runc)))
    _write(LAYOUT.installer_entry, node_config.toml(node_config.installer_entry(LAYOUT)))
    for registry in node_config.MIRRORED:
        _write(LAYOUT.certs_d / registry / "hosts.toml", node_config.hosts_toml(registry))
    network = json.dumps(node_config.cni_config(LAYOUT), indent=2)
    _write(LAYOUT.cni_conf_dir / f"10-{node_config.BRIDGE}.conflist", network)
    double = Path(__file__).resolve().parent / "sysbox_runc_double.py"
    _write(
        LAYOUT.double,
        f"#!/bin/sh\n# the sysbox-runc TEST DOUBLE ({double.name}): runc, adjusted for system containers\n"
        f'CVM_E2E_RUNC={runc} CVM_E2E_DOUBLE_DATA={LAYOUT.double_data} exec /usr/bin/python3 {double} "$@"\n',
    )
    LAYOUT.double.chmod(0o755)
    _write(
        LAYOUT.run / "registry.yml",
        yaml.safe_dump(
            {
                "version": 0.1,
                "storage": {
                    "filesystem": {"rootdirectory": str(LAYOUT.data / "registry")},
                    "delete": {"enabled": True},
                },
                "http": {"addr": node_config.REGISTRY},
            }
        ),
    )
    keys = control_plane.pki(STATE / "pki")
    control_plane.kubeconfig(LAYOUT.run / "kubelet.kubeconfig", keys, "node")
    control_plane.kubeconfig(LAYOUT.run / "kube-router.kubeconfig", keys, "kube-router")
    config = LAYOUT.run / "kubelet.yaml"
    _write(config, yaml.safe_dump(node_config.kubelet_config(LAYOUT, keys / "ca.crt")))
    return config


def _bridge() -> None:
    """The pod bridge, made here (not by the CNI plugin) so that the node's address exists before the kubelet."""
    _run("ip", "link", "add", node_config.BRIDGE, "type", "bridge")
    _run("ip", "addr", "add", f"{node_config.NODE_IP}/24", "dev", node_config.BRIDGE)
    _run("ip", "link", "set", node_config.BRIDGE, "up")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _node_ready(admin: Path) -> bool:
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    api = client.CoreV1Api(config.new_client_from_config(str(admin)))  # type: ignore[no-untyped-call]
    try:
        status: Any = api.read_node(node_config.NODE_NAME).status
    except ApiException:
        return False
    conditions = status.conditions or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _grant_kube_router(admin: Path) -> None:
    """The firewall's read-only access (node_config.kube_router_access), once per control plane."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    rbac = client.RbacAuthorizationV1Api(config.new_client_from_config(str(admin)))  # type: ignore[no-untyped-call]
    role, binding = node_config.kube_router_access()
    creates: list[tuple[Callable[[Any], object], dict[str, Any]]] = [
        (rbac.create_cluster_role, role),
        (rbac.create_cluster_role_binding, binding),
    ]  # the client takes a manifest as a dict too
    for create, body in creates:
        try:
            create(body)
        except ApiException as error:
            if error.status != 409:  # there already: a second start on the same control plane
                raise


def _firewall_ready() -> bool:
    """kube-router has synced its caches and hooked its chains into the filter table's FORWARD."""
    return "-j KUBE-ROUTER-FORWARD" in _run("iptables", "-t", "filter", "-S", "FORWARD", check=False).stdout


def start(admin: Path) -> None:
    """Bring the node up against the control plane of `admin` and wait until it is Ready."""
    if sys.platform != "linux" or os.geteuid() != 0:
        raise RuntimeError("a real node needs root on Linux (it runs containerd and a kubelet on this machine)")
    if running():
        return
    stop()  # whatever a crashed run left behind
    _require_packages()
    paths = toolchain.binaries("node")
    layout = images.build()
    LAYOUT.data.mkdir(parents=True, exist_ok=True)
    LAYOUT.host_record.write_text(json.dumps(snapshot()))
    _write(OWNER, str(STATE))
    for name, value in node_config.NODE_SYSCTLS.items():
        _set_sysctl(name, value)
    kubelet_config = _configure(paths)
    _bridge()

    # our registry must be the one that answers there, or the images would go elsewhere
    host, port = node_config.REGISTRY.split(":")
    with socket.socket() as probe:
        if probe.connect_ex((host, int(port))) == 0:
            raise RuntimeError(f"{node_config.REGISTRY} is taken by another process; the node's registry needs it")
    _spawn("registry", ["/usr/bin/docker-registry", "serve", str(LAYOUT.run / "registry.yml")])
    _wait("registry", "registry", lambda: _http_ok(f"http://{node_config.REGISTRY}/v2/"), 30)
    images.push(layout, node_config.REGISTRY)

    _start_containerd(Path(paths["CONTAINERD_BIN"]) / "containerd")
    listen = f"{node_config.NODE_IP}:{SYSTEMD_PORT}"
    _spawn("systemd", [sys.executable, "-m", "localcluster.systemd_double", listen, str(LAYOUT.run)])

    api = f"127.0.0.1:{control_plane.API_PORT}"
    listen = f"{node_config.NODE_IP}:{FORWARD_PORT}"
    _spawn("forwarder", [sys.executable, "-m", "localcluster.node", "forward", listen, api, str(LAYOUT.run)])
    kube = Path(paths["KUBE_BIN"])
    path = f"{paths['CONTAINERD_BIN']}{os.pathsep}{os.environ['PATH']}"
    _spawn("kubelet", [
        str(kube / "kubelet"), f"--config={kubelet_config}", f"--kubeconfig={LAYOUT.run / 'kubelet.kubeconfig'}",
        f"--root-dir={LAYOUT.kubelet_root}", f"--cert-dir={LAYOUT.kubelet_root / 'pki'}",
        f"--hostname-override={node_config.NODE_NAME}", f"--node-ip={node_config.NODE_IP}", "--v=2",
    ], {"PATH": path})  # fmt: skip
    # its own healthz first: the Node object may still say Ready from a kubelet before a crash, while this one
    # is still starting and would exit if containerd went away now (a restart of it, say)
    healthz = f"http://127.0.0.1:{node_config.KUBELET_HEALTHZ_PORT}/healthz"
    _wait("kubelet", f"node {node_config.NODE_NAME}", lambda: _http_ok(healthz) and _node_ready(admin), 120)
    # the NetworkPolicy dataplane, as a host process like the kubelet; it reads the node's address from its
    # Node object, so it starts once the kubelet has registered it
    _grant_kube_router(admin)
    router = node_config.kube_router_args(LAYOUT.run / "kube-router.kubeconfig")
    _spawn("kube-router", [paths["KUBE_ROUTER"], *router], {"PATH": path})
    _wait("kube-router", "kube-router's firewall", _firewall_ready, 90)
    _storage(paths, admin)


def _storage(paths: dict[str, str], admin: Path) -> None:
    """The storage provisioner (localcluster/local_path.py): its objects, its files, then the process; its
    volumes live under the node's data folder, which `stop` removes (the process goes with the others)."""
    from kubernetes import config, utils

    api = config.new_client_from_config(str(admin))  # type: ignore[no-untyped-call]
    for manifest in local_path.objects():
        try:
            utils.create_from_dict(api, manifest)  # type: ignore[no-untyped-call]
        except utils.FailToCreateError as error:  # already there (a node restarted on a running control plane)
            if any(failure.status != 409 for failure in error.api_exceptions):
                raise
    for path, text in local_path.files(LAYOUT, images.HELLO).items():
        _write(path, text)
    _spawn("provisioner", local_path.command(paths["LOCAL_PATH"], admin, LAYOUT, images.HELLO))


def _containerd_answers() -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        return probe.connect_ex(str(LAYOUT.containerd_socket)) == 0


def _start_containerd(binary: Path) -> None:
    path = f"{binary.parent}{os.pathsep}{os.environ['PATH']}"  # the shim is found next to containerd
    _spawn("containerd", [str(binary), "--config", str(LAYOUT.containerd_config)], {"PATH": path})
    _wait("containerd", "containerd", _containerd_answers, 30)


def restart_containerd() -> None:
    """What `systemctl restart containerd` does to a node (the systemd double's one request): the same containerd
    stops and starts again, reading its config file as it is now; the containers' shims, so the pods, keep running."""
    found = processes.pid(PIDS / "containerd.pid")
    if found is None or not processes.exists(found):
        raise RuntimeError("the node's containerd does not run")
    binary = Path((Path("/proc") / str(found) / "cmdline").read_bytes().split(b"\0")[0].decode())
    processes.stop([found], grace=10)
    _start_containerd(binary)


def configure_containerd(version: int, *, sysbox: bool) -> None:
    """Rewrite containerd's config in another shape (node_config.containerd_config) and restart it."""
    runc = Path(toolchain.binaries("node")["RUNC"])
    config = node_config.containerd_config(LAYOUT, runc, version=version, sysbox=sysbox)
    _write(LAYOUT.containerd_config, node_config.toml(config))
    restart_containerd()


def running() -> bool:
    """Whether every process of the node runs."""
    return all(processes.alive(PIDS / f"{name}.pid") for name in PROCESSES)


# --- stop --------------------------------------------------------------------------------------------------


def _unmount_under(prefixes: list[str]) -> None:
    for mount in sorted(_mounts(), key=lambda m: m.count("/"), reverse=True):
        if any(mount == p or mount.startswith(p.rstrip("/") + "/") for p in prefixes):
            _run("umount", "-l", mount, check=False)


def _remove_cgroups(before: dict[str, list[str]]) -> None:
    """The cgroups made since `before` (kubepods and what containers made inside), deepest first."""
    for hierarchy in sorted(CGROUP_ROOT.iterdir()):
        if not hierarchy.is_dir() or hierarchy.is_symlink():
            continue
        for top in [d for d in hierarchy.iterdir() if d.is_dir() and d.name not in before.get(hierarchy.name, [])]:
            for directory in sorted(
                (d for d in top.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True
            ):
                with contextlib.suppress(OSError):
                    directory.rmdir()
            with contextlib.suppress(OSError):
                top.rmdir()


def jumps_into(rules: str, chains: list[str]) -> list[list[str]]:
    """The rules of `rules` (`iptables -S` output) in other chains that refer to `chains`, each as the
    arguments of its `-D`. A rule's comment is quoted, spaces and all (kube-router's are). Pure."""
    found = []
    for line in rules.splitlines():
        words = shlex.split(line)
        if words[:1] == ["-A"] and words[1] not in chains and any(w in chains for w in words[2:]):
            found.append(words[1:])
    return found


def _remove_chains(before: dict[str, list[str]]) -> None:
    """Chains made since `before`: first the rules that jump to them, then their rules, then the chains."""
    for key, chains in _chains().items():
        tool, table = key.split("/")
        new = [c for c in chains if c not in before.get(key, [])]
        if not new:
            continue
        for rule in jumps_into(_run(tool, "-t", table, "-S", check=False).stdout, new):
            _run(tool, "-t", table, "-D", *rule, check=False)
        for chain in new:
            _run(tool, "-t", table, "-F", chain, check=False)
        for chain in new:
            _run(tool, "-t", table, "-X", chain, check=False)


def owned_by(state: Path) -> bool:
    """Whether the node here (if any) is the one the control plane in `state` started; an unmarked leftover
    (a crash before the mark) counts as anyone's."""
    with contextlib.suppress(OSError):
        return Path(OWNER.read_text()) == state
    return True


def stop() -> None:
    """Stop the node and give the host back as it was before `start` (a no-op when no node ran)."""
    if not LAYOUT.host_record.exists() and not LAYOUT.run.exists():
        return
    record: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        record = json.loads(LAYOUT.host_record.read_text())
    pids = {name: pid for name in PROCESSES if (pid := processes.pid(PIDS / f"{name}.pid")) is not None}
    processes.stop([pids[n] for n in ("kube-router", "kubelet", "forwarder", "systemd") if n in pids], grace=10)
    processes.stop(_container_pids(), grace=1)  # the pods' processes, then their shims, then containerd
    processes.stop([int(p.split()[0]) for p in _processes() if "containerd-shim" in p], grace=5)
    processes.stop([pids[n] for n in ("containerd", "registry") if n in pids], grace=10)
    processes.stop([int(p.split()[0]) for p in _processes()], grace=5)  # anything else that names our folders

    before_mounts = set(record.get("mounts", []))
    netns = [m for m in _mounts() if m.startswith("/run/netns/") and m not in before_mounts]
    _unmount_under([str(LAYOUT.data), str(LAYOUT.run), *netns])
    for namespace in netns:
        with contextlib.suppress(OSError):
            os.unlink(namespace)
    # without a record (a crash before it was written), the kubelet's own top-level cgroup is what goes
    before = record.get("cgroups") or {h: [g for g in gs if g != "kubepods"] for h, gs in _cgroups().items()}
    for _ in range(20):  # a cgroup whose last process is still exiting is busy for a moment
        _remove_cgroups(before)
        if all(set(gs) <= set(before.get(h, [])) for h, gs in _cgroups().items()):
            break
        time.sleep(0.5)
    _remove_chains(record.get("chains", {}))
    # kube-router's ipsets, once no rule refers to them; without a record, those named as kube-router names them
    before_sets = record.get("ipsets")
    for name in _ipsets():
        if (name not in before_sets) if before_sets is not None else name.startswith(KUBE_ROUTER_SETS):
            _run(PACKAGES["ipset"], "destroy", name, check=False)
    _run("ip", "link", "delete", node_config.BRIDGE, check=False)
    for name, value in record.get("sysctls", {}).items():
        _set_sysctl(name, value)
    for path, existed in record.get("paths", {}).items():
        if not existed and path in WATCHED_PATHS and path not in (str(LAYOUT.data), str(LAYOUT.run)):
            shutil.rmtree(path, ignore_errors=True)
    # the installer's paths that containerd made: empty folders, deepest first (never anything with content)
    for path in sorted(INSTALLER_PATHS, key=lambda p: p.count("/"), reverse=True):
        if not record.get("paths", {}).get(path, True):
            with contextlib.suppress(OSError):
                os.rmdir(path)
    shutil.rmtree(LAYOUT.data, ignore_errors=True)
    shutil.rmtree(LAYOUT.run, ignore_errors=True)


# --- the forwarder: NODE_IP:6443 -> the API server on the loopback -----------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _forward(listen: str, target: str) -> None:
    host, port = target.rsplit(":", 1)

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    address, listen_port = listen.rsplit(":", 1)
    server = await asyncio.start_server(connect, address, int(listen_port), family=socket.AF_INET)
    async with server:
        await server.serve_forever()


def main() -> None:
    if sys.argv[1:2] == ["forward"]:
        asyncio.run(_forward(sys.argv[2], sys.argv[3]))  # argv[4]: our folder, which names this process as ours
    elif sys.argv[1:] == ["check"]:
        found = _processes() + [f"mount {m}" for m in _mounts() if "cvm-e2e" in m]
        found += [p for p in WATCHED_PATHS[:2] if os.path.lexists(p)]
        found += [f"cgroup {h}/kubepods" for h in _cgroups() if "kubepods" in _cgroups()[h]]
        found += [f"link {node_config.BRIDGE}"] if Path(f"/sys/class/net/{node_config.BRIDGE}").exists() else []
        found += [f"ipset {name}" for name in _ipsets() if name.startswith(KUBE_ROUTER_SETS)]
        found += [
            f"{table} chain {chain}"
            for table, chains in _chains().items()
            for chain in chains
            if chain.startswith(KUBE_ROUTER_CHAINS)
        ]
        print("\n".join(found) or "nothing of the node is left on this host")
        sys.exit(1 if found else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
