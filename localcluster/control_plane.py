"""A local Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager, kube-scheduler.

Built by scripts/toolchain.sh; TLS from a CA made here, service-account keys, the PodSecurity admission
plugin on, and a kubeconfig for an admin. Without a node (localcluster/node.py), Node objects registered here stay
NotReady and pods stay Pending, which is all Pulumi and the API server need to show what our objects become.

Ports are fixed, moved together by CVM_E2E_PORT_OFFSET (default 0), so that two checkouts can each run one.
`localcluster/cluster.py` starts and stops it together with the node.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path

from components.kube import kubeconfig as kube_config
from localcluster import STATE, good_node, node_config, processes, toolchain


def ports(offset: int) -> dict[str, int]:
    """The control plane's ports, moved together by `offset` so that two checkouts can each run one."""
    base = {"api": 16443, "etcd": 23790, "etcd_peer": 23800, "controller_manager": 10257, "scheduler": 10259}
    return {name: port + offset for name, port in base.items()}


PORTS = ports(int(os.environ.get("CVM_E2E_PORT_OFFSET", "0")))
API_PORT, ETCD_PORT, ETCD_PEER_PORT = PORTS["api"], PORTS["etcd"], PORTS["etcd_peer"]
KCM_PORT, SCHEDULER_PORT = PORTS["controller_manager"], PORTS["scheduler"]
SERVER = f"https://127.0.0.1:{API_PORT}"
PROCESSES = ("etcd", "kube-apiserver", "kube-controller-manager")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificate(pki: Path, name: str, subject: str, extensions: str) -> None:
    (pki / f"{name}.ext").write_text(extensions)
    _openssl(
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        subject,
        cwd=pki,
    )
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{name}.crt", "-days", "30", "-extfile", f"{name}.ext", cwd=pki,
    )  # fmt: skip


# client certificates: name -> subject (the Node authorizer knows a kubelet by system:nodes/system:node:<name>)
CLIENTS = {
    "admin": "/O=system:masters/CN=cvm-e2e-admin",
    "controller-manager": "/CN=system:kube-controller-manager",
    "scheduler": "/CN=system:kube-scheduler",
    # the API server's identity towards kubelets (exec, logs); the kubelet authorizes it by webhook
    "kubelet-client": "/O=system:masters/CN=kube-apiserver-kubelet-client",
    "node": f"/O=system:nodes/CN=system:node:{node_config.NODE_NAME}",
    # the node's NetworkPolicy firewall (localcluster/node.py), bound to a read-only ClusterRole there
    "kube-router": f"/CN={node_config.KUBE_ROUTER_USER}",
}


def pki(directory: Path) -> Path:
    """A CA, the API server's certificate, client certificates and the service-account key pair."""
    if (directory / "sa.pub").exists():
        _clients(directory)  # a folder from before a client was added gets it
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "30",
        "-subj",
        "/CN=cvm-e2e-ca",
        cwd=directory,
    )
    server_names = "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
    _certificate(
        directory, "apiserver", "/CN=kube-apiserver", f"subjectAltName={server_names}\nextendedKeyUsage=serverAuth\n"
    )
    _clients(directory)
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=directory)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=directory)
    return directory


def _clients(directory: Path) -> None:
    for name, subject in CLIENTS.items():
        if not (directory / f"{name}.crt").exists():
            _certificate(directory, name, subject, "extendedKeyUsage=clientAuth\n")


def kubeconfig(path: Path, keys: Path, user: str) -> Path:
    """A kubeconfig for `user`'s client certificate, built like every other kubeconfig of the project."""

    def data(name: str) -> str:
        return base64.b64encode((keys / name).read_bytes()).decode()

    cluster = {"server": SERVER, "certificate-authority-data": data("ca.crt")}
    credentials = {"client-certificate-data": data(f"{user}.crt"), "client-key-data": data(f"{user}.key")}
    path.write_text(kube_config.build("cvm-e2e", cluster, credentials))
    return path


def _spawn(name: str, argv: list[str]) -> None:
    processes.spawn(argv, STATE / f"{name}.log", STATE / f"{name}.pid")


def _ready(keys: Path, timeout: float = 90) -> None:
    context = ssl.create_default_context(cafile=str(keys / "ca.crt"))
    context.load_cert_chain(str(keys / "admin.crt"), str(keys / "admin.key"))

    def readyz() -> bool:
        try:
            with urllib.request.urlopen(f"{SERVER}/readyz", context=context, timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    processes.wait_until("kube-apiserver", readyz, timeout, STATE / "kube-apiserver.log", every=1)


def _ports_free() -> None:
    """Fail at once, and say why, when another control plane (another checkout's, say) holds our ports."""
    for port in PORTS.values():
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(
                    f"127.0.0.1:{port} is taken by another process; stop it (another checkout's `make down`?)"
                )


def start(nodes: list[str], *, scheduler: bool = False) -> Path:
    """Start the control plane (once), register `nodes`, and return the admin kubeconfig.

    `scheduler` adds the scheduler, for a real node (localcluster/cluster.py starts one). Without a node there
    is no scheduler: it would bind pods to the registered Node objects, where no kubelet would ever finish their
    deletion.
    """
    STATE.mkdir(parents=True, exist_ok=True)
    admin = STATE / "admin.kubeconfig"
    if not running():
        stop()
        _ports_free()
        # a fresh cluster starts with fresh Pulumi state: neither outlives the other
        for stale in ("etcd", "pulumi-state"):
            shutil.rmtree(STATE / stale, ignore_errors=True)
        paths = toolchain.binaries()
        keys = pki(STATE / "pki")
        kube = Path(paths["KUBE_BIN"])
        _spawn("etcd", [
            paths["ETCD"], "--name", "cvm-e2e", "--data-dir", str(STATE / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{ETCD_PORT}", "--advertise-client-urls", f"http://127.0.0.1:{ETCD_PORT}",
            "--listen-peer-urls", f"http://127.0.0.1:{ETCD_PEER_PORT}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{ETCD_PEER_PORT}",
            "--initial-cluster", f"cvm-e2e=http://127.0.0.1:{ETCD_PEER_PORT}",
        ])  # fmt: skip
        _spawn("kube-apiserver", [
            str(kube / "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{ETCD_PORT}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={API_PORT}",
            f"--tls-cert-file={keys / 'apiserver.crt'}", f"--tls-private-key-file={keys / 'apiserver.key'}",
            f"--client-ca-file={keys / 'ca.crt'}",
            f"--service-account-key-file={keys / 'sa.pub'}", f"--service-account-signing-key-file={keys / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={node_config.SERVICE_SUBNET}", "--endpoint-reconciler-type=none",
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota",
            f"--cert-dir={STATE / 'apiserver-certs'}",
            # exec and logs: the node's name resolves nowhere, its InternalIP is an address of this machine
            f"--kubelet-client-certificate={keys / 'kubelet-client.crt'}",
            f"--kubelet-client-key={keys / 'kubelet-client.key'}",
            "--kubelet-preferred-address-types=InternalIP",
        ])  # fmt: skip
        _ready(keys)
        manager = kubeconfig(STATE / "controller-manager.kubeconfig", keys, "controller-manager")
        _spawn("kube-controller-manager", [
            str(kube / "kube-controller-manager"), f"--kubeconfig={manager}",
            f"--authentication-kubeconfig={manager}", f"--authorization-kubeconfig={manager}",
            f"--service-account-private-key-file={keys / 'sa.key'}", f"--root-ca-file={keys / 'ca.crt'}",
            "--use-service-account-credentials=true", "--leader-elect=false",
            "--bind-address=127.0.0.1", f"--secure-port={KCM_PORT}",
            # else it makes /usr/libexec/kubernetes/kubelet-plugins/volume/exec on the host
            f"--flex-volume-plugin-dir={STATE / 'flex-volume'}",
        ])  # fmt: skip
        kubeconfig(admin, keys, "admin")
    if scheduler and not processes.alive(STATE / "kube-scheduler.pid"):
        own = kubeconfig(STATE / "scheduler.kubeconfig", pki(STATE / "pki"), "scheduler")
        _spawn("kube-scheduler", [
            str(Path(toolchain.binaries("kubelet")["KUBE_BIN"]) / "kube-scheduler"), f"--kubeconfig={own}",
            f"--authentication-kubeconfig={own}", f"--authorization-kubeconfig={own}",
            "--leader-elect=false", "--bind-address=127.0.0.1", f"--secure-port={SCHEDULER_PORT}",
        ])  # fmt: skip
    register_nodes(admin, nodes)
    return admin


def register_nodes(admin: Path, nodes: list[str], **node_info: str) -> None:
    """Node objects for the stack's node names, each reporting a good node's status with this control plane's
    Kubernetes version (good_node.py), but for `node_info` (`status.nodeInfo` keys, or `cpu`/`memory`).

    Without a kubelet they stay NotReady, which is fine here; the status is what the preflight reads.
    """
    if not nodes:
        return
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    api = client.CoreV1Api(config.new_client_from_config(str(admin)))  # type: ignore[no-untyped-call]
    status = good_node.node_status(**{"kubeletVersion": toolchain.kubernetes_version(), **node_info})
    for name in nodes:
        try:
            api.create_node(
                client.V1Node(metadata=client.V1ObjectMeta(name=name, labels={"kubernetes.io/hostname": name}))
            )
        except ApiException as error:
            if error.status != 409:  # already registered
                raise
        api.patch_node_status(name, {"status": status})


def running() -> bool:
    return all(processes.alive(STATE / f"{name}.pid") for name in PROCESSES)


def stop(grace: float = 10) -> None:
    """Stop the control plane's processes (the node's are its own: localcluster/cluster.py stops both): all at
    once, then whatever is still there after `grace` seconds, for good."""
    pids = []
    for name in (*PROCESSES, "kube-scheduler"):
        pid_file = STATE / f"{name}.pid"
        if (found := processes.pid(pid_file)) is not None:
            pids.append(found)
        pid_file.unlink(missing_ok=True)
    processes.stop(pids, grace, groups=True)
