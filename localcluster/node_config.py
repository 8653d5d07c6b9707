"""What the local node is configured with: pure functions from paths and names to file contents.

localcluster/node.py writes these and starts the processes; nothing here touches the host. Every path the node
writes lives under `Layout.data` (/var/lib/cvm-e2e) or `Layout.run` (/run/cvm-e2e), so that stopping the node
ends in two `rm -rf`, and nothing collides with a system containerd or kubelet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NODE_NAME = "cvm-e2e-node"
# The node's address is the gateway of its own pod bridge: an address that exists only on this machine,
# reached only from the host and the pods' namespaces (the kubelet refuses a loopback node IP).
BRIDGE = "cvm-e2e0"
POD_SUBNET = "10.244.0.0/24"
NODE_IP = "10.244.0.1"
SERVICE_SUBNET = "10.96.0.0/16"  # the API server's --service-cluster-ip-range (no kube-proxy here serves it)
REGISTRY = "127.0.0.1:5000"
# Registries whose names our manifests pull from; each resolves to the local registry (containerd's hosts.toml).
MIRRORED = {
    "docker.io": "https://registry-1.docker.io",
    "registry.k8s.io": "https://registry.k8s.io",
    "registry.nestybox.com": "https://registry.nestybox.com",
    "ghcr.io": "https://ghcr.io",
    "nvcr.io": "https://nvcr.io",
}
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"  # the sandbox image Kubernetes 1.35 uses
# The sysctls the kubelet (protectKernelDefaults: false) and the bridge plugin (forwarding, as the pods' gateway)
# set: recorded before, restored after.
KUBELET_SYSCTLS = ("kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "net.ipv4.ip_forward")
# The sysctls the node sets itself, recorded before and restored after: bridged pod-to-pod frames pass the
# iptables hooks only with these (br_netfilter), where kube-router's firewall matches them (its chains jump
# on `-m physdev --physdev-is-bridged`). (Forwarding, for routed pod traffic, the bridge plugin turns on.)
NODE_SYSCTLS = {"net.bridge.bridge-nf-call-iptables": "1", "net.bridge.bridge-nf-call-ip6tables": "1"}
SYSBOX_HANDLER = "sysbox-runc"
# The identity kube-router's firewall reads the cluster with (its client certificate's CN), and what it reads:
# upstream's ClusterRole (cloudnativelabs/kube-router v2.1.0, daemonset/generic-kuberouter.yaml), its read rules
# alone: the firewall writes nothing to the cluster.
KUBE_ROUTER_USER = "cvm-e2e-kube-router"


@dataclass(frozen=True)
class Layout:
    """Where the node keeps things on the host."""

    data: Path = Path("/var/lib/cvm-e2e")
    run: Path = Path("/run/cvm-e2e")

    @property
    def containerd_socket(self) -> Path:
        return self.run / "containerd" / "containerd.sock"

    @property
    def containerd_config(self) -> Path:
        """In a folder of its own, which stands for a node's /etc/containerd (the Sysbox installer edits the file,
        cvm's containerd fix mounts the folder)."""
        return self.run / "etc-containerd" / "config.toml"

    @property
    def installer_entry(self) -> Path:
        """What the installer double appends to the containerd config (`installer_entry`)."""
        return self.run / "installer-entry.toml"

    @property
    def certs_d(self) -> Path:
        return self.run / "certs.d"

    @property
    def cni_conf_dir(self) -> Path:
        return self.run / "cni" / "net.d"

    @property
    def kubelet_root(self) -> Path:
        return self.data / "kubelet"

    @property
    def double(self) -> Path:
        """The sysbox-runc test double's launcher (BinaryName of its containerd runtime)."""
        return self.run / "bin" / SYSBOX_HANDLER

    @property
    def double_data(self) -> Path:
        """Per-container host directories of the double (each container's /var/lib/docker)."""
        return self.data / "sysbox-double"

    @property
    def host_record(self) -> Path:
        """What the host was like before the node started (localcluster/node.py restores it on stop)."""
        return self.data / "host-before.json"


# the kubelet answers here (on 127.0.0.1) only once it has started, past its runtime check
KUBELET_HEALTHZ_PORT = 10248


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string for what we write
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _key(key: str) -> str:
    """A bare key where TOML allows one (letters, digits, `_`, `-`), else a literal string."""
    return key if key.replace("_", "").replace("-", "").isalnum() else f"'{key}'"


def toml(document: dict[str, Any]) -> str:
    """A small TOML writer: scalars and lists as key = value, nested dicts as [dotted.'quoted'] tables."""
    lines: list[str] = []

    def table(path: list[str], body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        if path and (scalars or not body):
            lines.append("[" + ".".join(_key(k) for k in path) + "]")
        lines.extend(f"{_key(k)} = {_toml_value(v)}" for k, v in scalars.items())
        for key, value in body.items():
            if isinstance(value, dict):
                table([*path, key], value)

    table([], document)
    return "\n".join(lines) + "\n"


def _runtime(binary: Path) -> dict[str, Any]:
    # cgroupfs: the host has no systemd, and the kubelet's cgroupDriver must match
    return {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": str(binary), "SystemdCgroup": False}}


def containerd_config(layout: Layout, runc: Path, version: int = 3, *, sysbox: bool = True) -> dict[str, Any]:
    """containerd 2.x: its own root, state and socket, CRI with runc and (with `sysbox`) the `sysbox-runc` double.

    The CRI sections have containerd 2's names (`io.containerd.cri.v1.*`) whatever the `version`: `version = 2`
    with them and without `sysbox` is the shape of AKS's Ubuntu 24.04 nodes (Azure/AgentBaker
    aks-node-controller/parser/templates/containerd_v2_no_GPU.toml.gtpl @e3422a58), where the Sysbox installer
    (its double, `installer_entry`) adds sysbox-runc under a key that containerd does not read (nestybox/sysbox#997).
    """
    runtimes = {"runc": _runtime(runc)} | ({SYSBOX_HANDLER: _runtime(layout.double)} if sysbox else {})
    return {
        "version": version,
        "root": str(layout.data / "containerd"),
        "state": str(layout.run / "containerd"),
        # plugins that would write outside our folders (/opt/containerd, /var/run/nri) or need cgo (the CRI needs
        # the image verifier, which only reads /opt/containerd/image-verifier/bin when it exists)
        "disabled_plugins": [
            "io.containerd.internal.v1.opt",
            "io.containerd.nri.v1.nri",
            "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.zfs",
            "io.containerd.snapshotter.v1.devmapper",
        ],
        "grpc": {"address": str(layout.containerd_socket)},
        "ttrpc": {"address": str(layout.run / "containerd" / "containerd.sock.ttrpc")},
        "plugins": {
            "io.containerd.cri.v1.images": {
                "snapshotter": "overlayfs",
                "pinned_images": {"sandbox": PAUSE_IMAGE},
                "registry": {"config_path": str(layout.certs_d)},
            },
            "io.containerd.cri.v1.runtime": {
                # root here lacks CAP_SYS_RESOURCE, so it may not lower a process's oom_score_adj
                "restrict_oom_score_adj": True,
                "containerd": {"default_runtime_name": "runc", "runtimes": runtimes},
                "cni": {"bin_dirs": ["/usr/lib/cni"], "conf_dir": str(layout.cni_conf_dir), "max_conf_num": 1},
            },
            "io.containerd.grpc.v1.cri": {"stream_server_address": "127.0.0.1", "stream_server_port": "0"},
        },
    }


def installer_entry(layout: Layout) -> dict[str, Any]:
    """The runtime entry the Sysbox installer appends (sysbox-deploy-k8s.sh `config_containerd_for_sysbox`,
    nestybox/sysbox-pkgr @da2d2bff: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.sysbox-runc`), with
    the double's binary and cgroupfs where the installer writes /usr/bin/sysbox-runc and `SystemdCgroup = true`."""
    runtimes = {SYSBOX_HANDLER: _runtime(layout.double)}
    return {"plugins": {"io.containerd.grpc.v1.cri": {"containerd": {"runtimes": runtimes}}}}


def hosts_toml(registry: str, mirror: str = REGISTRY) -> str:
    """containerd's certs.d/<registry>/hosts.toml: pull `registry`'s images from the local registry."""
    upstream = MIRRORED[registry]
    return toml({"server": upstream, "host": {f"http://{mirror}": {"capabilities": ["pull", "resolve"]}}})


def cni_config(layout: Layout) -> dict[str, Any]:
    """One bridge network for the node's pods (Debian's bridge and host-local plugins), no masquerading:
    pods talk only to the host and each other."""
    return {
        "cniVersion": "1.0.0",
        "name": "cvm-e2e",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_SUBNET, "gateway": NODE_IP}]],
                    "dataDir": str(layout.data / "cni" / "networks"),
                },
            }
        ],
    }


def kubelet_config(layout: Layout, client_ca: Path) -> dict[str, Any]:
    """The KubeletConfiguration for this machine: what it needs is said here, not assumed."""
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        # the host's cgroups are a v1 hierarchy (its VM agent uses the v1 memory controller), without systemd
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
        "address": NODE_IP,
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": KUBELET_HEALTHZ_PORT,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(client_ca)},
        },
        "authorization": {"mode": "Webhook"},
        "failSwapOn": False,
        "resolvConf": "/etc/resolv.conf",
        "podLogsDir": str(layout.data / "pod-logs"),
        "volumePluginDir": str(layout.data / "volume-plugins"),
        "serializeImagePulls": False,
        # a small test machine: no image garbage collection or eviction for disk while the suite runs
        "imageGCHighThresholdPercent": 100,
        "evictionHard": {"memory.available": "100Mi"},
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
    }


def kube_router_args(kubeconfig: Path) -> list[str]:
    """kube-router's flags: its NetworkPolicy firewall alone (iptables and ipsets), beside the bridge CNI, for
    this node; no routing, service proxy or CNI of its own, no health or metrics listener."""
    return [
        "--run-firewall=true", "--run-router=false", "--run-service-proxy=false", "--enable-cni=false",
        f"--kubeconfig={kubeconfig}", f"--hostname-override={NODE_NAME}",
        f"--service-cluster-ip-range={SERVICE_SUBNET}", "--health-port=0", "--metrics-port=0", "--v=1",
    ]  # fmt: skip


def kube_router_access() -> list[dict[str, Any]]:
    """The ClusterRole and its binding that let `KUBE_ROUTER_USER` read what the firewall watches."""
    read = ["get", "list", "watch"]
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": KUBE_ROUTER_USER},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces", "pods", "services", "nodes", "endpoints"], "verbs": read},
            {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": read},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": KUBE_ROUTER_USER},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": KUBE_ROUTER_USER},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": KUBE_ROUTER_USER}],
    }
    return [role, binding]
