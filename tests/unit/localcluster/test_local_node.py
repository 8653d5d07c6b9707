"""The local node's pure parts, tested anywhere: the files it is configured with (node_config.py), the control
plane's ports, the sysbox-runc double's spec changes, the host comparison, and the images it serves."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from components.facts import pins
from localcluster import control_plane, images, node, node_config, sysbox_runc_double
from localcluster.node_config import Layout


def test_containerd_config_is_toml_with_what_this_machine_needs() -> None:
    layout = Layout(Path("/d"), Path("/r"))
    parsed = tomllib.loads(node_config.toml(node_config.containerd_config(layout, Path("/bin/runc"))))
    assert parsed["version"] == 3 and parsed["root"] == "/d/containerd" and parsed["grpc"]["address"].startswith("/r/")
    runtime = parsed["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    handlers = runtime["containerd"]["runtimes"]
    assert handlers["runc"]["options"] == {"BinaryName": "/bin/runc", "SystemdCgroup": False}
    assert handlers["sysbox-runc"]["options"]["BinaryName"] == "/r/bin/sysbox-runc"
    assert runtime["cni"]["conf_dir"] == "/r/cni/net.d"
    images_ = parsed["plugins"]["io.containerd.cri.v1.images"]
    assert images_["registry"]["config_path"] == "/r/certs.d"
    assert images_["pinned_images"]["sandbox"] == node_config.PAUSE_IMAGE
    assert "io.containerd.internal.v1.opt" in parsed["disabled_plugins"]


def test_containerd_config_takes_aks_shape_and_the_installer_entry_is_where_the_installer_writes() -> None:
    """AKS 1.35+'s shape (`version = 2`, containerd 2's keys, no sysbox-runc) for the #997 scenario; the entry
    the installer double appends, under containerd 1.x's key (nestybox/sysbox-pkgr sysbox-deploy-k8s.sh)."""
    layout = Layout(Path("/d"), Path("/r"))
    aks = tomllib.loads(node_config.toml(node_config.containerd_config(layout, Path("/bin/runc"), 2, sysbox=False)))
    assert aks["version"] == 2
    assert set(aks["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]) == {"runc"}
    assert layout.containerd_config == Path("/r/etc-containerd/config.toml")  # a folder that stands for /etc/containerd
    text = node_config.toml(node_config.installer_entry(layout))
    assert text.startswith("[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.sysbox-runc]\n")
    entry = tomllib.loads(text)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["sysbox-runc"]
    assert entry == {
        "runtime_type": "io.containerd.runc.v2",
        "options": {"BinaryName": "/r/bin/sysbox-runc", "SystemdCgroup": False},
    }


def test_hosts_toml_sends_a_registry_to_the_local_one() -> None:
    parsed = tomllib.loads(node_config.hosts_toml("docker.io"))
    assert parsed == {
        "server": "https://registry-1.docker.io",
        "host": {"http://127.0.0.1:5000": {"capabilities": ["pull", "resolve"]}},
    }


def test_kubelet_config_says_what_the_host_needs() -> None:
    kubelet = node_config.kubelet_config(Layout(Path("/d"), Path("/r")), Path("/ca.crt"))
    assert kubelet["failCgroupV1"] is False and kubelet["cgroupDriver"] == "cgroupfs"
    assert kubelet["containerRuntimeEndpoint"] == "unix:///r/containerd/containerd.sock"
    assert kubelet["authentication"]["anonymous"] == {"enabled": False}
    assert kubelet["address"] == node_config.NODE_IP and kubelet["podLogsDir"].startswith("/d/")


def test_cni_config_is_one_bridge_without_masquerading() -> None:
    (bridge,) = node_config.cni_config(Layout(Path("/d"), Path("/r")))["plugins"]
    assert bridge["type"] == "bridge" and bridge["bridge"] == node_config.BRIDGE and bridge["ipMasq"] is False
    assert bridge["ipam"]["ranges"] == [[{"subnet": node_config.POD_SUBNET, "gateway": node_config.NODE_IP}]]
    assert bridge["ipam"]["dataDir"] == "/d/cni/networks"


def test_kube_router_runs_its_firewall_alone_for_this_node() -> None:
    args = node_config.kube_router_args(Path("/r/kube-router.kubeconfig"))
    for flag in ("--run-firewall=true", "--run-router=false", "--run-service-proxy=false", "--enable-cni=false"):
        assert flag in args
    assert f"--hostname-override={node_config.NODE_NAME}" in args and "--kubeconfig=/r/kube-router.kubeconfig" in args
    assert "--health-port=0" in args  # no listener on the host's addresses


def test_kube_router_may_read_what_it_watches_and_write_nothing() -> None:
    role, binding = node_config.kube_router_access()
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}
    resources = {resource for rule in role["rules"] for resource in rule["resources"]}
    assert {"pods", "namespaces", "networkpolicies", "nodes"} <= resources
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": node_config.KUBE_ROUTER_USER}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert control_plane.CLIENTS["kube-router"] == f"/CN={node_config.KUBE_ROUTER_USER}"


def test_ports_move_together() -> None:
    assert control_plane.ports(1000) == {
        "api": 17443, "etcd": 24790, "etcd_peer": 24800, "controller_manager": 11257, "scheduler": 11259,
    }  # fmt: skip


def test_double_finds_runc_commands_after_global_flags() -> None:
    args = ["--root", "/run/x", "--log", "/l", "--log-format", "json", "create", "--bundle", "/b", "id1"]
    assert sysbox_runc_double.command(args) == ("create", 6)
    assert sysbox_runc_double.option(args[6:], "--bundle", "-b") == "/b"
    assert sysbox_runc_double.command(["--systemd-cgroup", "state", "id"]) == ("state", 1)


def test_double_gives_a_user_namespaced_container_what_a_system_container_needs() -> None:
    spec: dict[str, Any] = {
        "process": {"capabilities": {"bounding": ["CAP_CHOWN"]}},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]},
            {"destination": "/run/secrets/x", "type": "bind", "source": "/s", "options": ["rbind"]},
        ],
        "linux": {
            "namespaces": [{"type": "user"}, {"type": "pid"}],
            "uidMappings": [{"containerID": 0, "hostID": 131072, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 131072, "size": 65536}],
            "readonlyPaths": ["/proc/sys", "/proc/bus"],
        },
    }
    assert sysbox_runc_double.mapped_root(spec) == (131072, 131072)
    adjusted = sysbox_runc_double.system_container(spec, "/host/docker")
    assert adjusted["process"]["capabilities"]["effective"] == sysbox_runc_double.ALL_CAPS
    mounts = {m["destination"]: m for m in adjusted["mounts"]}
    assert "ro" not in mounts["/sys"]["options"] and "ro" not in mounts["/sys/fs/cgroup"]["options"]
    assert mounts["/run"]["type"] == "tmpfs" and mounts["/run/lock"]["type"] == "tmpfs"
    assert mounts["/var/lib/docker"]["source"] == "/host/docker"
    order = [m["destination"] for m in adjusted["mounts"]]
    assert order.index("/run") < order.index("/run/secrets/x")  # the tmpfs does not hide a mount beneath it
    assert adjusted["linux"]["readonlyPaths"] == ["/proc/bus"]
    assert spec["linux"]["readonlyPaths"] == ["/proc/sys", "/proc/bus"]  # the input is left alone
    assert sysbox_runc_double.mapped_root({"linux": {"namespaces": [{"type": "pid"}]}}) is None


def test_double_keeps_a_volume_the_pod_mounts_on_var_lib_docker() -> None:
    """As Sysbox does (its docs, "Persistence of Inner Docker Images"): the implicit host directory only where
    the pod mounts nothing there."""
    volume = {"destination": "/var/lib/docker", "type": "bind", "source": "/pv/cache/docker", "options": ["rbind"]}
    spec: dict[str, Any] = {"mounts": [volume], "linux": {}}
    adjusted = sysbox_runc_double.system_container(spec, "/host/docker")
    assert [m for m in adjusted["mounts"] if m["destination"] == "/var/lib/docker"] == [volume]


def test_double_gives_a_process_the_capabilities_sysbox_gives() -> None:
    """Root, in its init or `exec`'d: every capability in all five sets; another user: the bounding set alone."""
    every = sysbox_runc_double.ALL_CAPS
    default = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"]}
    root = sysbox_runc_double.system_process({"user": {"uid": 0, "gid": 0}, "args": ["sh"], "capabilities": default})
    assert root["capabilities"] == dict.fromkeys(
        ("bounding", "effective", "permitted", "inheritable", "ambient"), every
    )
    assert root["args"] == ["sh"] and default["effective"] == ["CAP_CHOWN", "CAP_KILL"]  # the input is left alone
    user = sysbox_runc_double.system_process({"user": {"uid": 1000, "gid": 1000}, "capabilities": default})
    assert user["capabilities"] == {
        "bounding": every,
        **{key: [] for key in ("effective", "permitted", "inheritable", "ambient")},
    }
    assert "CAP_SYS_ADMIN" in every and len(every) == len(set(every)) == 41


def test_double_gives_the_cgroup_directories_to_the_mapped_root(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    for hierarchy in ("memory", "pids", "unified"):
        (tmp_path / hierarchy / "kubepods" / "c1").mkdir(parents=True)
        (tmp_path / hierarchy / "kubepods" / "c1" / "cgroup.procs").write_text("")
    given = sysbox_runc_double.give_cgroups("/kubepods/c1", 4242, 4343, root=tmp_path)
    assert sorted(p.parent.parent.name for p in given) == ["memory", "pids"]  # not the v2 one
    owner = (tmp_path / "pids" / "kubepods" / "c1" / "cgroup.procs").stat()
    assert (owner.st_uid, owner.st_gid) == (4242, 4343)


def test_leftovers_names_every_kind_of_change() -> None:
    before: dict[str, Any] = {
        "sysctls": {"kernel.panic": "1"},
        "chains": {"iptables/filter": []},
        "ipsets": ["mine"],
        "mounts": ["/"],
        "cgroups": {"memory": ["process_api"]},
        "links": ["lo"],
        "paths": {"/var/lib/kubelet": False},
        "processes": [],
    }
    assert node.leftovers(before, before) == []
    after: dict[str, Any] = {
        "sysctls": {"kernel.panic": "10"},
        "chains": {"iptables/filter": ["KUBE-FIREWALL"]},
        "ipsets": ["mine", "KUBE-DST-ABC"],
        "mounts": ["/", "/var/lib/cvm-e2e/kubelet"],
        "cgroups": {"memory": ["process_api", "kubepods"]},
        "links": ["lo", "cvm-e2e0"],
        "paths": {"/var/lib/kubelet": True},
        "processes": ["42 containerd --config /run/cvm-e2e/containerd.toml"],
    }
    assert node.leftovers(before, after) == [
        "sysctl kernel.panic = 10 (was 1)",
        "iptables/filter chain KUBE-FIREWALL",
        "ipset KUBE-DST-ABC",
        "mount /var/lib/cvm-e2e/kubelet",
        "cgroup memory/kubepods",
        "link cvm-e2e0",
        "path /var/lib/kubelet",
        "process 42 containerd --config /run/cvm-e2e/containerd.toml",
    ]


def test_the_rules_jumping_into_new_chains_are_found_with_their_quoted_comments() -> None:
    rules = """-P INPUT ACCEPT
-N KUBE-ROUTER-INPUT
-A INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT
-A INPUT -j KUBE-FIREWALL
-A KUBE-ROUTER-INPUT -m comment --comment "to chain KUBE-FIREWALL" -j RETURN
"""
    assert node.jumps_into(rules, ["KUBE-ROUTER-INPUT"]) == [
        ["INPUT", "-m", "comment", "--comment", "kube-router netpol - 4IA2OSFRMVNDXBVV", "-j", "KUBE-ROUTER-INPUT"]
    ]
    assert node.jumps_into(rules, ["KUBE-FIREWALL"]) == [["INPUT", "-j", "KUBE-FIREWALL"]]


def test_every_image_our_manifests_pull_is_served_under_its_own_name() -> None:
    names = {image.name for image in images.IMAGES}
    assert {pins.CANARY_IMAGE, pins.SYSBOX_RELEASES[pins.DEFAULT_SYSBOX].installer_image} <= names
    assert node_config.PAUSE_IMAGE in names
    for name in names:
        assert name.split("/", 1)[0] in node_config.MIRRORED
    assert images.registry_path(pins.CANARY_IMAGE) == "codercom/enterprise-base:ubuntu-20240812"
