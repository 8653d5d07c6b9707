"""A real node end to end: pods run, and the engine waits for them.

The scenario (root on Linux): a fresh control plane and a node on this machine (localcluster/node.py:
containerd, runc, a kubelet; the `sysbox-runc` handler is the test double localcluster/sysbox_runc_double.py;
images from localcluster/images.py). `pulumi up` of a bare-metal stack listing the node, with the canary and one
`sysbox-runc` workspace, awaits the canary's readiness; then, through the API server and the node, what a CVM
must be; what a workspace reaches and what not, under the node's NetworkPolicy dataplane (kube-router's
firewall); then a broken image; `pulumi destroy`, which keeps the home; and, in the teardown, the host as it was
before. The node's pure parts are tested anywhere, in tests/unit/localcluster/.

Every address a reachability test sends to is on this machine: the node's own address and its pods' (on the
node's bridge), or an address bound in a network namespace the test makes (localcluster/netns_hosts.py), each
checked with `ip route get` before a packet is sent.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from kubernetes import client, config, utils, watch
from pulumi import automation as auto

from components.coder_template import template
from components.config import load_settings, stored_config
from components.cvm import containerd_fix
from components.cvm.workspaces import agent
from components.cvm.workspaces.resolve import INNER_DOCKER
from components.facts import network, pins
from components.kube.names import CONTAINERD_FIX
from localcluster import cluster, coder_double, engine, images, local_path, netns_hosts, node, node_config, toolchain
from localcluster.program import program as project_program
from tests.terraform_templates_double import started

NODE = node_config.NODE_NAME
NS = "cvm-workspaces"
STORAGE_CLASS = local_path.STORAGE_CLASS  # the node's provisioner's class
WORKSPACE = "carol"
# fits the node's 2 CPUs beside the canary (half a CPU) and the installer's request
CAROL: dict[str, Any] = {
    "name": WORKSPACE,
    "image": pins.CANARY_IMAGE,
    "runtime": "sysbox-runc",
    "cpus": 1,
    "memory": "1Gi",
    "disk": "1Gi",
}
# an image without /sbin/init (busybox alone): as root, which needs no home handed over; and as a user, whose
# home cannot be handed over either (busybox alone has no `chown` command)
BROKEN = {**CAROL, "name": "dave", "image": images.HELLO, "username": "root"}
NO_OWNER = {**CAROL, "name": "erin", "image": images.HELLO}


@pytest.fixture(scope="module")
def host_before() -> dict[str, Any]:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a real node needs root on Linux")
    cluster.stop()  # a node left by an earlier run goes first; then the host is as it was
    return node.snapshot()


@pytest.fixture(scope="module")
def kubeconfig(host_before: dict[str, Any]) -> Iterator[Path]:
    path = cluster.start([], with_node=True)
    yield path
    cluster.stop()
    # nothing of ours is left on the host: processes, mounts, cgroups, iptables chains, sysctls, links, files
    assert node.leftovers(host_before, node.snapshot()) == []


@pytest.fixture(scope="module")
def core(kubeconfig: Path) -> Any:
    return client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))  # type: ignore[no-untyped-call]


Transform = Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]


def program(create: str, *also: Transform) -> Callable[[], None]:
    """The project's program with a shorter wait for new Deployments and DaemonSets than the provider's 10 minutes,
    so that a broken workspace or installer fails the test in minutes (a stack transform: the program itself is
    unchanged), and `also` these transforms."""

    def shorter(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ not in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet"):
            return None
        timeouts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=create, update=create))
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, timeouts))

    def run() -> None:
        for transform in (shorter, *also):
            pulumi.runtime.register_stack_transformation(transform)
        project_program()

    return run


def stack_config(kubeconfig: Path, workspaces: list[dict[str, Any]], *, canary: bool = True) -> dict[str, Any]:
    supervisor = {"storageClass": STORAGE_CLASS, "workspaces": workspaces, "canary": canary}
    return {
        "platform": "baremetal",
        "baremetal": {"kubeconfig": kubeconfig.read_text(), "nodes": [NODE]},
        "supervisor": supervisor,
    }


def delete_namespace(core: Any) -> None:
    """The workspace namespace outlives its stack; the next stack here would meet it as this stack's (its field
    manager) and stop with a conflict, so it goes once the stack is destroyed (docs/operations.md)."""
    core.delete_namespace(NS)
    eventually(lambda: NS not in {n.metadata.name for n in core.list_namespace().items}, "the namespace gone")


def delete_home(core: Any, workspace: str) -> None:
    """What an operator does to delete a home for real (docs/operations.md): the stack has let it go."""
    claim = f"{workspace}-home"
    core.delete_namespaced_persistent_volume_claim(claim, NS)

    def gone() -> bool:
        return claim not in {c.metadata.name for c in core.list_namespaced_persistent_volume_claim(NS).items}

    eventually(gone, f"{workspace}'s home deleted")


# A stub of Coder's agent: it records how it was started, where the suite reads it back. It answers `--version` as
# Coder's agent does: Coder's init script runs the agent only if that output names Coder (coder/coder
# provisionersdk/scripts/bootstrap_linux.sh at 6f2a1369fc61450bc913548689ccb4ddd3ce7944, lines 90-95).
STUB_AGENT = """#!/bin/sh
if [ "$1" = --version ]; then echo "Coder v2.0.0+double"; exit 0; fi
{ echo "args=$*"; echo "token=$CODER_AGENT_TOKEN"; echo "url=$CODER_AGENT_URL"; echo "auth=$CODER_AGENT_AUTH"; \
  echo "dir=$(pwd)"; echo "user=$(id -un)"; } > "$HOME/agent-record"
"""
AGENT_TOKEN = "token-of-carol"
ARCH = "arm64" if os.uname().machine == "aarch64" else "amd64"  # the agent binary Coder serves to this node


@pytest.fixture(scope="module")
def coder(kubeconfig: Path) -> Iterator[tuple[str, list[str]]]:  # noqa: ARG001 (a fixture: the node first)
    """A Coder stand-in on the node's own address (all a pod reaches here): it serves the stub agent at
    /bin/coder-linux-<arch> and records each path asked for."""
    with coder_double.serving(node_config.NODE_IP, STUB_AGENT) as served:
        yield served


def carol_stack(kubeconfig: Path, coder_url: str, token: str) -> auto.Stack:
    """The node's stack: carol, talking to the Coder stand-in with `token`."""
    config_ = stack_config(kubeconfig, [{**CAROL, "agentToken": token}])
    config_["supervisor"]["coderUrl"] = coder_url
    return engine.stack("node", config_, ("baremetal", "supervisor"), run=program("5m"))


@pytest.fixture(scope="module")
def stack(kubeconfig: Path, coder: tuple[str, list[str]]) -> auto.Stack:
    return carol_stack(kubeconfig, coder[0], AGENT_TOKEN)


def kubectl(
    kubeconfig: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    binary = Path(toolchain.binaries("kubelet")["KUBE_BIN"]) / "kubectl"
    command = [str(binary), "--kubeconfig", str(kubeconfig), "-n", NS, *args]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=300, input=stdin)


def pod(core: Any, workspace: str) -> Any:
    (found,) = core.list_namespaced_pod(NS, label_selector=f"app.kubernetes.io/instance={workspace}").items
    return found


def ready(found: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in found.status.conditions or [])


def eventually(check: Callable[[], bool], what: str, timeout: float = 240) -> None:
    """Poll `check` until it holds; a deadline only so that a broken run ends, never a measured time."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f}s"
        time.sleep(2)


def test_1_up_returns_once_the_canary_is_ready(stack: auto.Stack, core: Any) -> None:
    result = stack.up(color="never")
    assert result.summary.result == "succeeded"
    # no skipAwait: the engine waited for the canary's readiness probe (systemd and Docker up) on the node
    canary = pod(core, "cvm-canary")
    assert ready(canary) and canary.spec.node_name == NODE
    assert canary.spec.runtime_class_name == "sysbox-runc" and canary.spec.host_users is False
    assert core.read_node(NODE).metadata.labels["sysbox-runtime"] == "running"  # the installer double's label
    assert ready(pod(core, WORKSPACE))


def test_2_canary_runs_systemd_as_pid_1(kubeconfig: Path) -> None:
    assert kubectl(kubeconfig, "exec", "deploy/cvm-canary", "--", "cat", "/proc/1/comm").stdout.strip() == "systemd"
    # the kubelet serves logs to the API server too: the installer double's, which said what it did
    logs = kubectl(kubeconfig, "-n", "kube-system", "logs", "daemonset/sysbox-deploy-k8s").stdout
    assert f"labelling node {NODE} sysbox-runtime=running" in logs


def archive_bytes(kubeconfig: Path, workspace: str) -> int:
    """The size of the baked image archive in a workspace (what `docker load` stores, uncompressed)."""
    return int(
        kubectl(kubeconfig, "exec", f"deploy/{workspace}", "--", "stat", "-c", "%s", images.HELLO_ARCHIVE).stdout
    )


def volume_used(kubeconfig: Path, core: Any, workspace: str, volume: str) -> int:
    """What the kubelet measures of a pod's volume (its stats summary, through the API server), 0 before it has."""
    raw = kubectl(kubeconfig, "get", "--raw", f"/api/v1/nodes/{NODE}/proxy/stats/summary").stdout
    name = pod(core, workspace).metadata.name
    (found,) = [p for p in json.loads(raw)["pods"] if p["podRef"]["name"] == name]
    return sum(v.get("usedBytes", 0) for v in found.get("volume", []) if v["name"] == volume)


def test_3_docker_run_inside_the_canary_and_the_kubelet_counts_its_store(kubeconfig: Path, core: Any) -> None:
    command = f"docker load -i {images.HELLO_ARCHIVE} && docker run --rm {images.registry_path(images.HELLO)}"
    out = kubectl(kubeconfig, "exec", "deploy/cvm-canary", "--", "sh", "-c", command).stdout
    assert "hello from a nested container" in out
    # the inner Docker's store is in the canary's bounded emptyDir, which the kubelet measures (and evicts the
    # pod beyond its sizeLimit), not on a host directory of the runtime's that it never sees
    loaded = archive_bytes(kubeconfig, "cvm-canary")
    eventually(lambda: volume_used(kubeconfig, core, "cvm-canary", "home") >= loaded, "the kubelet's count")


def host_pid(found: Any) -> str:
    """The host's pid of the first container of pod `found`."""
    container_id = found.status.container_statuses[0].container_id.removeprefix("containerd://")
    ctr = Path(toolchain.binaries("containerd")["CONTAINERD_BIN"]) / "ctr"
    tasks = subprocess.run(
        [str(ctr), "--address", str(node.LAYOUT.containerd_socket), "-n", "k8s.io", "tasks", "ls"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    (pid,) = [line.split()[1] for line in tasks.splitlines() if line.startswith(container_id)]
    return str(pid)


def test_4_workspace_root_is_an_unprivileged_id_on_the_host(kubeconfig: Path, core: Any) -> None:
    assert kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "id", "-u").stdout.strip() == "0"
    host_pid_ = host_pid(pod(core, WORKSPACE))
    inside, outside, count = (int(x) for x in Path(f"/proc/{host_pid_}/uid_map").read_text().split())
    assert inside == 0 and outside >= 65536 and count == 65536
    uids = Path(f"/proc/{host_pid_}/status").read_text().split("Uid:")[1].split("\n")[0].split()
    assert uids == [str(outside)] * 4  # the host sees the workspace's root as that unprivileged ID


def test_4a_an_exec_d_root_process_has_sysbox_capabilities_and_mounts(kubeconfig: Path) -> None:
    """As under Sysbox (nestybox/sysbox-runc `cfgCapabilities`, for `exec` too): root started by `kubectl exec`
    holds every capability the kernel has, in all five sets, inside the workspace's user namespace, and mounts."""
    script = (
        "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status; cat /proc/sys/kernel/cap_last_cap; "
        "mkdir -p /tmp/cvm-e2e-mount && mount -t tmpfs -o size=1m tmpfs /tmp/cvm-e2e-mount "
        "&& grep -c ' /tmp/cvm-e2e-mount tmpfs ' /proc/self/mounts && umount /tmp/cvm-e2e-mount"
    )
    out = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "sh", "-c", script).stdout.split()
    sets = {out[i].rstrip(":"): int(out[i + 1], 16) for i in range(0, 10, 2)}
    every = (1 << (int(out[10]) + 1)) - 1  # the kernel's capabilities, CAP_SYS_ADMIN among them
    assert sets == dict.fromkeys(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), every), sets
    assert out[11] == "1"  # the tmpfs was mounted (and is unmounted)


def docker_answers(kubeconfig: Path) -> bool:
    return kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "docker", "info", check=False).returncode == 0


def hello_id(kubeconfig: Path) -> str:
    inspect = ["docker", "image", "inspect", "--format", "{{.Id}}", images.registry_path(images.HELLO)]
    return kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", *inspect).stdout.strip()


def test_5_home_and_inner_docker_images_survive_the_pod(kubeconfig: Path, core: Any) -> None:
    # a new volume is root's: the pod's home-owner init container handed it to the workspace user
    owner = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "stat", "-c", "%U:%G", "/home/coder")
    assert owner.stdout.strip() == "coder:coder"
    proof = f"written by the suite at {time.time_ns()}"
    kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "sh", "-c", f"echo '{proof}' > /home/coder/proof")
    eventually(lambda: docker_answers(kubeconfig), "carol's Docker")
    kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "docker", "load", "-i", images.HELLO_ARCHIVE)
    loaded = hello_id(kubeconfig)
    # the inner Docker's store is in the home volume (bounded by the claim's size), not on the runtime's own
    claim = core.read_namespaced_persistent_volume_claim(f"{WORKSPACE}-home", NS)
    store = Path(core.read_persistent_volume(claim.spec.volume_name).spec.host_path.path) / INNER_DOCKER
    files = [f for f in store.rglob("*") if f.is_file() and not f.is_symlink()]
    assert sum(f.stat().st_size for f in files) >= archive_bytes(kubeconfig, WORKSPACE)
    first = pod(core, WORKSPACE).metadata.name
    core.delete_namespaced_pod(first, NS)

    def replaced() -> bool:
        with_label = core.list_namespaced_pod(NS, label_selector=f"app.kubernetes.io/instance={WORKSPACE}").items
        return [p.metadata.name for p in with_label] != [first] and len(with_label) == 1 and ready(with_label[0])

    eventually(replaced, "carol's new pod")
    assert kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "cat", "/home/coder/proof").stdout.strip() == proof
    eventually(lambda: docker_answers(kubeconfig), "carol's Docker after the restart")
    assert hello_id(kubeconfig) == loaded  # no pull: the image loaded before the restart is still there


def agent_record(kubeconfig: Path, deployment: str, asked: list[str]) -> dict[str, str]:
    """What the stub agent recorded in `deployment`'s home once its systemd started it, or, failing that, why not:
    the unit's state and its log, and what Coder was asked."""

    def recorded() -> bool:
        return kubectl(kubeconfig, "exec", f"deploy/{deployment}", "--", "test", "-s", "/home/coder/agent-record",
                       check=False).returncode == 0  # fmt: skip

    try:
        eventually(recorded, f"{deployment}'s agent record")
    except AssertionError as error:
        status = kubectl(kubeconfig, "exec", f"deploy/{deployment}", "--", "sh", "-c",
                         "systemctl status coder-agent; journalctl -u coder-agent -n 30; ls -la /home/coder",
                         check=False)  # fmt: skip
        raise AssertionError(f"{error}\n{status.stdout}{status.stderr}\nasked: {asked}") from None
    text = kubectl(kubeconfig, "exec", f"deploy/{deployment}", "--", "cat", "/home/coder/agent-record").stdout
    return dict(line.split("=", 1) for line in text.splitlines())


def test_5b_the_workspace_started_coders_agent(kubeconfig: Path, coder: tuple[str, list[str]]) -> None:
    """carol's own systemd started the unit the pod brought: it fetched the agent from Coder and ran it as the
    workspace user, with the token from carol's Secret and the deployment's URL (cvm's own script: from `/`)."""
    url, asked = coder
    record = agent_record(kubeconfig, WORKSPACE, asked)
    assert record == {"args": "agent", "token": AGENT_TOKEN, "url": f"{url}/", "auth": "token", "dir": "/",
                      "user": "coder"}  # fmt: skip
    assert f"/bin/coder-linux-{ARCH}" in asked


def test_5b2_a_new_agent_token_restarts_the_pod_and_reaches_the_agent(
    kubeconfig: Path, coder: tuple[str, list[str]], core: Any
) -> None:
    """Coder gives the agent a new token on every START build (coder/terraform-provider-coder provider/agent.go),
    and a container reads its Secret only when it starts: `up` with another token starts carol's pod again, and
    her agent runs with the new token (issue 31). Her home stays."""
    url, asked = coder
    first = pod(core, WORKSPACE).metadata.name
    kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "rm", "/home/coder/agent-record")
    rotated = carol_stack(kubeconfig, url, f"{AGENT_TOKEN}-2")
    assert rotated.up(color="never").summary.result == "succeeded"
    assert pod(core, WORKSPACE).metadata.name != first
    assert agent_record(kubeconfig, WORKSPACE, asked)["token"] == f"{AGENT_TOKEN}-2"


# A unit whose stop leaves a mark on the home volume: only systemd's own shutdown runs its ExecStop.
STOP_PROOF = """cat > /etc/systemd/system/cvm-stop-proof.service <<'EOF'
[Unit]
RequiresMountsFor=/home/coder
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/bin/sh -c 'echo stopped by systemd > /home/coder/stop-proof'
EOF
rm -f /home/coder/stop-proof && systemctl daemon-reload && systemctl start cvm-stop-proof
"""


def test_5c_deleting_a_pod_shuts_its_systemd_down(kubeconfig: Path, core: Any) -> None:
    """The image names no stop signal (as Coder's): the pod's preStop hook halts systemd, which stops its units
    (the mark) and ends the container itself before the grace period does. systemd's last step in a container is
    reboot(2) with HALT, which ends the PID namespace's init with SIGINT (reboot(2), "Behavior inside PID
    namespaces"): exit code 130; 0 where the container lacks CAP_SYS_BOOT (systemd then exits); the kubelet's
    SIGKILL at the end of the grace period would show 137."""
    kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "sh", "-c", STOP_PROOF)
    old = pod(core, WORKSPACE)
    assert old.spec.termination_grace_period_seconds == 120
    core.delete_namespaced_pod(old.metadata.name, NS)
    # the old pod's last states, from before the deletion on (so none is missed), until it is gone
    last = None
    events = watch.Watch().stream(  # type: ignore[no-untyped-call]
        core.list_namespaced_pod, NS, field_selector=f"metadata.name={old.metadata.name}",
        resource_version=old.metadata.resource_version, timeout_seconds=240,
    )  # fmt: skip
    for event in events:
        statuses = event["object"].status.container_statuses or []
        if statuses and statuses[0].state.terminated is not None:
            last = statuses[0].state.terminated
        if event["type"] == "DELETED":
            break
    assert last is not None, "the old pod went without a terminated state"
    said = core.list_namespaced_event(NS, field_selector=f"involvedObject.name={old.metadata.name}").items

    def replaced() -> bool:
        found = core.list_namespaced_pod(NS, label_selector=f"app.kubernetes.io/instance={WORKSPACE}").items
        return len(found) == 1 and found[0].metadata.name != old.metadata.name and ready(found[0])

    eventually(replaced, "carol's new pod")
    mark = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "cat", "/home/coder/stop-proof", check=False)
    seen = (last.exit_code, "FailedPreStopHook" in {e.reason for e in said}, mark.stdout.strip())
    assert seen in ((130, False, "stopped by systemd"), (0, False, "stopped by systemd")), (
        seen, last, [(e.reason, e.message) for e in said], mark.stderr,
    )  # fmt: skip


# --- reachability, under the node's NetworkPolicy dataplane --------------------------------------------------

# The hosts outside the cluster a workspace may or may not reach, each bound in the test's own namespace.
METADATA = network.METADATA_ADDRESSES[0]
INTERNET = "100.128.0.10"  # a public address, just past CGNAT's 100.64.0.0/10, which the policy excepts
PRIVATE = "10.250.0.10"  # a private address that is not Coder's: where a cluster's own servers live
TARGETS = netns_hosts.Hosts(
    namespace="cvm-e2e-targets",
    host_side="cvm-e2e-t0",
    link="10.250.255.0/30",
    addresses=(METADATA, network.WIRESERVER, network.NODELOCAL_DNS, INTERNET, PRIVATE),
    back=(node_config.POD_SUBNET,),
)
LISTENERS = [
    f"{METADATA}:80/tcp", f"{METADATA}:53/udp",
    *(f"{network.WIRESERVER}:{port}/tcp" for port in network.WIRESERVER_PORTS),
    f"{network.NODELOCAL_DNS}:53/udp", f"{network.NODELOCAL_DNS}:80/tcp",
    f"{INTERNET}:80/tcp", f"{INTERNET}:443/tcp",
    f"{PRIVATE}:80/tcp",
]  # fmt: skip
# a pod of another namespace, with no policy: a target, and the vantage that shows each blocked target is there
OTHER_NS = "cvm-e2e-other"
OTHER = "listener"


@pytest.fixture(scope="class")
def targets(kubeconfig: Path) -> Iterator[netns_hosts.Hosts]:  # noqa: ARG001 (a fixture: the node first)
    with netns_hosts.made(TARGETS, LISTENERS, node.LOGS / "targets.log") as made:
        yield made


@pytest.fixture(scope="class")
def other(core: Any) -> Iterator[Any]:
    """A pod of the workspace image (curl, busybox) in a namespace of its own, serving HTTP on 8080."""
    core.create_namespace({"metadata": {"name": OTHER_NS}})
    serve = (
        "busybox mkdir -p /tmp/www && echo other-pod > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"
    )
    core.create_namespaced_pod(OTHER_NS, {
        "metadata": {"name": OTHER, "namespace": OTHER_NS},
        "spec": {"containers": [{"name": OTHER, "image": pins.CANARY_IMAGE, "command": ["sh", "-c", serve]}],
                 "terminationGracePeriodSeconds": 1},
    })  # fmt: skip
    eventually(lambda: ready(core.read_namespaced_pod(OTHER, OTHER_NS)), "the other namespace's pod")
    yield core.read_namespaced_pod(OTHER, OTHER_NS)
    core.delete_namespace(OTHER_NS)
    eventually(lambda: OTHER_NS not in {n.metadata.name for n in core.list_namespace().items}, f"{OTHER_NS} gone")


def on_this_machine(address: str) -> None:
    """No packet to `address` may leave the machine: it is in the test's namespace, or on the node's bridge."""
    if address in TARGETS.addresses:
        netns_hosts.check_route(TARGETS, address)
        return
    route = subprocess.run(["ip", "route", "get", address], check=True, capture_output=True, text=True).stdout
    assert netns_hosts.route_is_ours(route, node_config.BRIDGE) or route.startswith("local "), route


def route_targets(found: Any) -> None:
    """The pod's routes to the test's hosts, through its gateway, the node (pods here have no default route)."""
    pid = host_pid(found)
    for address in TARGETS.addresses:
        subprocess.run(["nsenter", "-t", pid, "-n", "ip", "route", "replace", f"{address}/32", "via",
                        node_config.NODE_IP], check=True)  # fmt: skip


def fetch(kubeconfig: Path, where: list[str], url: str) -> str | None:
    """What `url` answers from inside a pod (`where`: kubectl's namespace and target), or None when nothing
    answered (refused, or no answer within 5 s)."""
    address = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    on_this_machine(address)
    got = kubectl(kubeconfig, *where, "--", "curl", "-sSk", "--max-time", "5", url, check=False)
    return got.stdout if got.returncode == 0 else None


def resolve(kubeconfig: Path, where: list[str], server: str) -> bool:
    """Whether the DNS server at `server` answers a query from inside a pod."""
    on_this_machine(server)
    got = kubectl(kubeconfig, *where, "--", "busybox", "nslookup", "cvm-e2e.test", server, check=False)
    return netns_hosts.DNS_ANSWER in got.stdout


WORKSPACE_POD = ["exec", f"deploy/{WORKSPACE}"]
OTHER_POD = ["-n", OTHER_NS, "exec", OTHER]


@pytest.fixture(scope="class")
def enforced(core: Any, targets: netns_hosts.Hosts, other: Any) -> None:  # noqa: ARG001 (the hosts first)
    """carol's and the other pod's routes to the test's hosts, and kube-router's firewall hooked for carol's pod
    (its policies' chains are written in the same sync)."""
    carol = pod(core, WORKSPACE)
    route_targets(carol)
    route_targets(other)

    def hooked() -> bool:
        rules = subprocess.run(["iptables", "-S", "KUBE-ROUTER-FORWARD"], capture_output=True, text=True).stdout
        return f"POD name:{carol.metadata.name} namespace: {NS} to chain" in rules

    eventually(hooked, "kube-router's chain for carol's pod")


class TestReachability:
    """Under kube-router's firewall, from inside carol (both ways: each blocked target shown to be there). The
    class's fixtures (the test's hosts, the other namespace's pod) go before the destroy below."""

    @pytest.mark.usefixtures("enforced")
    def test_net_1_a_workspace_reaches_dns_coder_and_the_internet(
        self, kubeconfig: Path, coder: tuple[str, list[str]]
    ) -> None:
        """What the egress policy allows: DNS at NodeLocal DNSCache's address, Coder on its port (here the node's
        address), and an internet host on any port. Each within a minute: kube-router applies a new pod's allow
        rules in its next sync (a clean clone's CI once saw the first DNS query go unanswered); the blocked checks
        below then run with the rules in place."""
        eventually(lambda: resolve(kubeconfig, WORKSPACE_POD, network.NODELOCAL_DNS), "DNS from carol", 60)
        stub = f"{coder[0]}/bin/coder-linux-{ARCH}"
        eventually(lambda: fetch(kubeconfig, WORKSPACE_POD, stub) == STUB_AGENT, "Coder from carol", 60)
        for port in (80, 443):
            url = f"http://{INTERNET}:{port}/"
            eventually(lambda: fetch(kubeconfig, WORKSPACE_POD, url) == f"{INTERNET}:{port}", url, 60)  # noqa: B023

    @pytest.mark.usefixtures("enforced")
    def test_net_2_a_workspace_reaches_no_metadata_wireserver_or_private_host(self, kubeconfig: Path) -> None:
        """Each is there (the other namespace's pod, which no policy limits, reaches it), and a workspace does not
        reach it: the metadata server (its API, and its DNS, open on GKE alone), Azure's WireServer and HostGAPlugin,
        a private address, and the DNS address on a port other than 53."""
        urls = [f"http://{METADATA}:80/", *(f"http://{network.WIRESERVER}:{p}/" for p in network.WIRESERVER_PORTS),
                f"http://{PRIVATE}:80/", f"http://{network.NODELOCAL_DNS}:80/"]  # fmt: skip
        for url in urls:
            listener = url.split("//")[1].rstrip("/")
            assert fetch(kubeconfig, OTHER_POD, url) == listener, f"{url}: not there"
            assert fetch(kubeconfig, WORKSPACE_POD, url) is None, f"{url}: reached from a workspace"
        assert resolve(kubeconfig, OTHER_POD, METADATA)
        assert not resolve(kubeconfig, WORKSPACE_POD, METADATA)

    @pytest.mark.usefixtures("enforced")
    def test_net_3_a_workspace_reaches_nothing_of_the_cluster(
        self, kubeconfig: Path, core: Any, other: Any, coder: tuple[str, list[str]]
    ) -> None:
        """The API server (as pods reach it here, the node's address on 6443) and the kubelet (10250) are reached
        from the other namespace's pod, not from a workspace, though Coder on the same address is; another workspace
        (the canary) and the other namespace's pod answer the node, not a workspace."""
        coder_port = int(coder[0].rsplit(":", 1)[1])
        assert coder_port not in (node.FORWARD_PORT, 10250)
        for port in (node.FORWARD_PORT, 10250):
            url = f"https://{node_config.NODE_IP}:{port}/"
            assert fetch(kubeconfig, OTHER_POD, url) is not None, f"{url}: not there"
            assert fetch(kubeconfig, WORKSPACE_POD, url) is None, f"{url}: reached from a workspace"

        serve = "mkdir -p /tmp/www && echo canary > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www"
        kubectl(kubeconfig, "exec", "deploy/cvm-canary", "--", "sh", "-c", serve)
        for found, answer in ((pod(core, "cvm-canary"), "canary"), (other, "other-pod")):
            url = f"http://{found.status.pod_ip}:8080/"
            on_this_machine(found.status.pod_ip)
            from_node = subprocess.run(["curl", "-sS", "--max-time", "5", url], capture_output=True, text=True)
            assert from_node.stdout.strip() == answer, f"{url}: not there"
            assert fetch(kubeconfig, WORKSPACE_POD, url) is None, f"{url}: reached from a workspace"
        # and the workspaces' ingress rule: the other namespace's pod does not reach the canary either
        assert fetch(kubeconfig, OTHER_POD, f"http://{pod(core, 'cvm-canary').status.pod_ip}:8080/") is None


# A workspace of the Coder template, as Coder starts one (test_5d)
TEMPLATE_ID = "0b7c3f5e-2a61-4c8d-9e04-7d1a6b2c5f90"  # Coder's workspace ID
TEMPLATE_TOKEN = "token-of-a-coder-workspace"


def test_5d_the_coder_templates_workspace_starts_its_agent_through_coders_script(
    kubeconfig: Path, core: Any, coder: tuple[str, list[str]]
) -> None:
    """The `sysbox-runc` objects of the template `cvm coder-template` renders for this stack, with the values Coder
    gives at a start (parameters, workspace ID, the agent's token, and its init script: the double of Coder's
    bootstrap_linux.sh with ACCESS_URL, AUTH_TYPE and ARCH written in), applied beside the stack's objects. The
    workspace's systemd runs Coder's script: the agent is fetched and run in BINARY_DIR with the token. carol is
    stopped first, as Coder stops a workspace: the node's 2 CPUs hold one 1-CPU workspace beside the canary."""
    url, asked = coder
    settings = load_settings(stored_config(stack_config(kubeconfig, [])), "node", ["cvm:baremetal"])
    script = coder_double.bootstrap_script(url, ARCH)
    parameters = {"image": pins.CANARY_IMAGE, "cpus": "1", "memory": "1", "disk": "1", "arch": ARCH}
    made = started(template.main_tf(settings), "sysbox-runc", init_script=script, token=TEMPLATE_TOKEN,
                   workspace_id=TEMPLATE_ID, access_url=url, parameters=parameters)  # fmt: skip
    name = f"coder-{TEMPLATE_ID}"
    assert {m["metadata"]["namespace"] for m in made} == {NS}
    assert [m["data"][agent.SCRIPT] for m in made if m["kind"] == "ConfigMap"] == [script]  # Coder's, not cvm's
    client.AppsV1Api(core.api_client).patch_namespaced_deployment_scale(WORKSPACE, NS, {"spec": {"replicas": 0}})
    instance = f"app.kubernetes.io/instance={WORKSPACE}"
    eventually(lambda: not core.list_namespaced_pod(NS, label_selector=instance).items, "carol stopped")
    volumes = volume_names(core)
    fetched = len(asked)
    try:
        for manifest in made:  # the home first, as the template lists them
            utils.create_from_dict(core.api_client, manifest)  # type: ignore[no-untyped-call]
        record = agent_record(kubeconfig, name, asked)
        assert record == {"args": "agent", "token": TEMPLATE_TOKEN, "url": f"{url}/", "auth": "token",
                          "dir": "/home/coder/.coder", "user": "coder"}  # fmt: skip
        assert f"/bin/coder-linux-{ARCH}" in asked[fetched:]
        # a second START build (an update, or the "Update workspace" command), with the new token Coder gives each
        # build, applied as the Kubernetes provider applies a manifest (server-side): the pod starts again with it
        kubectl(kubeconfig, "exec", f"deploy/{name}", "--", "rm", "/home/coder/agent-record")
        again = started(template.main_tf(settings), "sysbox-runc", init_script=script, token=f"{TEMPLATE_TOKEN}-2",
                        workspace_id=TEMPLATE_ID, access_url=url, parameters=parameters)  # fmt: skip
        for manifest in again:
            kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(manifest))
        assert agent_record(kubeconfig, name, asked)["token"] == f"{TEMPLATE_TOKEN}-2"
    finally:
        for manifest in reversed(made):
            kind = manifest["kind"].lower()
            kubectl(kubeconfig, "delete", "--ignore-not-found", f"{kind}/{manifest['metadata']['name']}")
    eventually(lambda: not core.list_namespaced_pod(NS, label_selector=f"app.kubernetes.io/instance={name}").items,
               "the template's workspace gone")  # fmt: skip
    eventually(lambda: volume_names(core) == volumes, "its home's volume deleted")


def test_6_destroy_leaves_no_pod_and_keeps_the_home(stack: auto.Stack, core: Any) -> None:
    assert stack.destroy(color="never").summary.result == "succeeded"
    # the home, and the namespace that holds it, outlive the stack
    claim = core.read_namespaced_persistent_volume_claim(f"{WORKSPACE}-home", NS)
    assert claim.status.phase == "Bound"
    home_volume = claim.spec.volume_name
    eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")
    # and containerd runs nothing any more
    ctr = Path(toolchain.binaries("containerd")["CONTAINERD_BIN"]) / "ctr"
    listing = [str(ctr), "--address", str(node.LAYOUT.containerd_socket), "-n", "k8s.io", "tasks", "ls", "-q"]

    def no_tasks() -> bool:
        return not subprocess.run(listing, check=True, capture_output=True, text=True).stdout.strip()

    eventually(no_tasks, "containerd's tasks gone")
    delete_home(core, WORKSPACE)
    # the provisioner's helper pod removed the volume's folder, then the volume went (reclaim policy Delete)
    eventually(lambda: home_volume not in volume_names(core), "the volume deleted")
    delete_namespace(core)


def volume_names(core: Any) -> set[str]:
    return {volume.metadata.name for volume in core.list_persistent_volume().items}


def test_6b_the_dev_config_loop_add_change_remove_add_back(kubeconfig: Path, core: Any, tmp_path: Path) -> None:
    """The README's loop, through `make up`'s path (`localcluster.engine.up_dev`) with Pulumi.dev.yaml (here a
    copy) edited between runs (issue 25). Added (`make up NODE=1`): its home claim, naming no class, gets the
    node's default class, the provisioner makes its volume, the pod is Ready (finding 5). Changed, by a plain
    `make up`: the node stays listed (finding 9) and the new pod is Ready with the home's data. Removed: the
    Deployment goes, the home stays. Added back: the same claim and volume, data included."""
    frank = {**CAROL, "name": "frank"}
    dev = tmp_path / "Pulumi.dev.yaml"

    def edit(*workspaces: dict[str, Any]) -> None:
        supervisor = {"cvm:supervisor": {"workspaces": list(workspaces)}} if workspaces else {}
        dev.write_text(yaml.safe_dump({"config": {"cvm:platform": "baremetal", **supervisor}}))

    def running(memory: str) -> bool:
        pods = core.list_namespaced_pod(NS, label_selector="app.kubernetes.io/instance=frank").items
        return len(pods) == 1 and pods[0].spec.containers[0].resources.limits["memory"] == memory and ready(pods[0])

    edit(frank)
    before = volume_names(core)
    engine.up_dev(with_node=True, path=dev)
    try:
        claim = core.read_namespaced_persistent_volume_claim("frank-home", NS)
        assert claim.status.phase == "Bound" and claim.spec.storage_class_name == STORAGE_CLASS
        volume = core.read_persistent_volume(claim.spec.volume_name)
        assert claim.spec.volume_name not in before
        assert volume.spec.host_path.path.startswith(f"{local_path.data_dir(node.LAYOUT)}/")
        assert ready(pod(core, "frank"))
        proof = f"written by the suite at {time.time_ns()}"
        kubectl(kubeconfig, "exec", "deploy/frank", "--", "sh", "-c", f"echo '{proof}' > /home/coder/proof")

        edit({**frank, "memory": "1536Mi"})
        engine.up_dev(path=dev)  # a plain `make up`: the node `make up NODE=1` started is kept
        assert core.read_node(NODE).metadata.labels.get("sysbox-install") == "yes"
        # a Recreate update can return before its new pod exists (docs/local-cluster.md, "Found on the node")
        eventually(lambda: running("1536Mi"), "frank's changed pod Ready")

        edit()
        engine.up_dev(path=dev)
        assert "NotFound" in kubectl(kubeconfig, "get", "deployment", "frank", check=False).stderr
        kept = core.read_namespaced_persistent_volume_claim("frank-home", NS)
        assert kept.metadata.uid == claim.metadata.uid and kept.status.phase == "Bound"

        edit({**frank, "memory": "1536Mi"})
        engine.up_dev(path=dev)
        back = core.read_namespaced_persistent_volume_claim("frank-home", NS)
        assert (back.metadata.uid, back.spec.volume_name) == (claim.metadata.uid, claim.spec.volume_name)
        eventually(lambda: running("1536Mi"), "frank's pod Ready again")
        assert kubectl(kubeconfig, "exec", "deploy/frank", "--", "cat", "/home/coder/proof").stdout.strip() == proof
    finally:
        dev_stack = engine.stack("dev", engine.dev_config(kubeconfig, with_node=True, path=dev), engine.SECRET_KEYS)
        assert dev_stack.destroy(color="never").summary.result == "succeeded"
        dev_stack.workspace.remove_stack("dev")
    delete_home(core, "frank")
    eventually(lambda: volume_names(core) == before, "frank's volume deleted")
    delete_namespace(core)
    eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")


def broken_up(core: Any, kubeconfig: Path, workspace: dict[str, Any], running: dict[str, Any] | None = None) -> str:
    """`pulumi up` of a new stack (after the destroy) with only `workspace` (one at a time: two 1-CPU workspaces
    do not fit on the 2-CPU node), or with `running` first, up and running, then changed to `workspace`; the error
    it fails with, once cleaned up."""

    def broken_stack(listed: dict[str, Any], wait: str) -> auto.Stack:
        return engine.stack("node-broken", stack_config(kubeconfig, [listed], canary=False), ("baremetal",),
                            run=program(wait))  # fmt: skip

    # a broken workspace fails within a minute; a working one gets the time a loaded machine needs to start it
    broken = broken_stack(workspace, "1m") if running is None else broken_stack(running, "5m")
    try:
        if running is not None:
            assert broken.up(color="never").summary.result == "succeeded"
            assert ready(pod(core, running["name"]))
            broken = broken_stack(workspace, "1m")
        with pytest.raises(auto.CommandError) as failed:
            broken.up(color="never")
    finally:  # cleaned up whatever failed, so that the next test starts from an empty cluster
        assert broken.destroy(color="never").summary.result == "succeeded"
        broken.workspace.remove_stack("node-broken")
        delete_home(core, workspace["name"])
        delete_namespace(core)
        eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")
    return str(failed.value)


def test_7_a_broken_image_fails_the_up_with_the_pods_reason(kubeconfig: Path, core: Any) -> None:
    """A workspace image without /sbin/init: `pulumi up` fails within its wait, naming the pod's reason."""
    text = broken_up(core, kubeconfig, BROKEN)
    assert f"{NS}/{BROKEN['name']}" in text
    assert "/sbin/init" in text, text[-3000:]


def test_7c_an_update_to_a_broken_image_fails_the_up_with_the_pods_reason(kubeconfig: Path, core: Any) -> None:
    """A running workspace changed to an image without /sbin/init: `pulumi up` fails, naming the new pod's reason,
    instead of calling the update done before the new pod exists (components/cvm/workspaces/plan.py,
    REPLACED_ON)."""
    text = broken_up(core, kubeconfig, BROKEN, running={**BROKEN, "image": pins.CANARY_IMAGE})
    assert f"{NS}/{BROKEN['name']}" in text
    assert "/sbin/init" in text, text[-3000:]


def test_7a_a_home_that_cannot_be_handed_over_fails_the_up_naming_the_step(kubeconfig: Path, core: Any) -> None:
    """An image without `chown` (or the workspace user): the home-owner init container fails, and the error
    names it; chown's own words are in the pod's status (the provider reports only the app containers')."""
    text = broken_up(core, kubeconfig, NO_OWNER)
    assert f"{NS}/{NO_OWNER['name']}" in text
    assert "containers with incomplete status: [home-owner]" in text, text[-3000:]


def test_7b_a_failed_sysbox_install_stops_the_up_naming_the_node(kubeconfig: Path, core: Any) -> None:
    """The installer fails on the node (the double does, on a node labelled so): `pulumi up` stops within its
    wait, and the error names the node, which the pod's name alone does not."""
    core.patch_node(NODE, {"metadata": {"labels": {"cvm-e2e/install-fails": "yes"}}})
    failing = engine.stack("node-install-fails", stack_config(kubeconfig, [], canary=False), ("baremetal",),
                           run=program("1m"))  # fmt: skip
    try:
        with pytest.raises(auto.CommandError) as failed:
            failing.up(color="never")
        text = str(failed.value)
        assert "kube-system/sysbox-deploy-k8s" in text
        assert f"cvm: the Sysbox installer failed on node {NODE} (exit 3)" in text, text[-3000:]
    finally:
        core.patch_node(NODE, {"metadata": {"labels": {"cvm-e2e/install-fails": None}}})
        assert failing.destroy(color="never").summary.result == "succeeded"
        failing.workspace.remove_stack("node-install-fails")
    delete_namespace(core)
    eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")


def test_8_a_start_after_a_crash_finds_a_clean_host(kubeconfig: Path, host_before: dict[str, Any]) -> None:
    """A crash (every node process killed at once) leaves pid files, mounts, cgroups, chains: the next start
    clears them, and the node comes back Ready; a stop then leaves nothing (the module's teardown)."""
    crashed = [int((node.PIDS / f"{name}.pid").read_text()) for name in node.PROCESSES]
    for pid in crashed:
        os.kill(pid, signal.SIGKILL)
    assert any(m.startswith(str(node.LAYOUT.data)) for m in node.snapshot()["mounts"])  # what the crash left
    cluster.start([], with_node=True)
    assert node.running()
    assert not {int((node.PIDS / f"{name}.pid").read_text()) for name in node.PROCESSES} & set(crashed)
    node.stop()
    assert node.leftovers(host_before, node.snapshot()) == []
    node.start(kubeconfig)  # and a second start after a stop


# --- nestybox/sysbox#997 on a real containerd 2.2.9: the installer's entry, and cvm's fix (issue 23) ---------


def containerd_reads(config: Path) -> set[str]:
    """The runtimes containerd 2.2.9 itself reads from `config` (`containerd config dump` migrates the file as
    containerd does when it starts, and prints what the CRI plugin gets)."""
    binary = Path(toolchain.binaries("containerd")["CONTAINERD_BIN"]) / "containerd"
    dump = subprocess.run([str(binary), "--config", str(config), "config", "dump"],
                          check=True, capture_output=True, text=True).stdout  # fmt: skip
    runtime = tomllib.loads(dump)["plugins"]["io.containerd.cri.v1.runtime"]
    return set(runtime["containerd"]["runtimes"])


def test_9_containerd_2_reads_the_installers_entry_only_from_a_bare_version_2_config(tmp_path: Path) -> None:
    """The installer writes under `io.containerd.grpc.v1.cri` (installer_entry): containerd 2.2.9 carries it over
    from an old `version = 2` file, drops it from AKS's `version = 2` shape and ignores it in a version 3 file;
    cvm's fix script makes each of them read it."""
    layout, runc = node.LAYOUT, Path("/usr/bin/runc")
    entry = node_config.toml(node_config.installer_entry(layout))
    legacy = "version = 2\n[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.runc]\nruntime_type = 'x'\n"
    shapes = {
        "aks": node_config.toml(node_config.containerd_config(layout, runc, version=2, sysbox=False)),
        "version-3": node_config.toml(node_config.containerd_config(layout, runc, version=3, sysbox=False)),
        "legacy": legacy,
    }
    found = {}
    for name, text in shapes.items():
        config = tmp_path / f"{name}.toml"
        config.write_text(text + entry)
        before = containerd_reads(config)
        stub = tmp_path / "bin"
        stub.mkdir(exist_ok=True)
        (stub / "systemctl").write_text("#!/bin/sh\n")
        (stub / "systemctl").chmod(0o755)
        env = {**os.environ, "PATH": f"{stub}:{os.environ['PATH']}", "CVM_CONTAINERD_CONFIG": str(config)}
        subprocess.run(["bash", "-c", containerd_fix.SCRIPT, "fix", "step"], env=env, check=True, timeout=30)
        found[name] = ("sysbox-runc" in before, "sysbox-runc" in containerd_reads(config))
    assert found == {"aks": (False, True), "version-3": (False, True), "legacy": (True, True)}


def on_the_nodes_folder(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """cvm's containerd fix mounts the node's /etc/containerd; this node keeps its containerd config in a folder of
    its own (node_config.Layout.containerd_config): the one change made to the program's objects."""
    metadata, spec = args.props.get("metadata"), args.props.get("spec")
    if args.type_ != "kubernetes:apps/v1:DaemonSet" or not isinstance(metadata, dict) or not isinstance(spec, dict):
        return None
    if metadata.get("name") != CONTAINERD_FIX:
        return None
    spec = copy.deepcopy(spec)  # plain dicts: the manifest as built
    props = {**args.props, "spec": spec}
    for volume in spec["template"]["spec"]["volumes"]:
        if volume.get("hostPath", {}).get("path") == containerd_fix.CONFIG_DIR:
            volume["hostPath"]["path"] = str(node.LAYOUT.containerd_config.parent)
    return pulumi.ResourceTransformationResult(props, args.opts)


def canary_stack(kubeconfig: Path, *, fix: bool, create: str) -> auto.Stack:
    config_ = stack_config(kubeconfig, [])
    config_["sysbox"] = {"containerdFix": fix}
    return engine.stack("node-containerd2", config_, ("baremetal",), run=program(create, on_the_nodes_folder))


def test_9a_on_an_aks_shaped_containerd_the_canary_fails_without_the_fix(kubeconfig: Path, core: Any) -> None:
    """containerd as on AKS 1.35+ (`version = 2`, runc under `io.containerd.cri.v1.runtime`, no sysbox-runc): the
    installer double adds its entry where the real installer does and restarts containerd; the canary's pod
    cannot start, and `pulumi up` fails on it."""
    node.configure_containerd(version=2, sysbox=False)
    with pytest.raises(auto.CommandError) as failed:
        canary_stack(kubeconfig, fix=False, create="1m").up(color="never")
    assert f"{NS}/cvm-canary" in str(failed.value)
    config_text = node.LAYOUT.containerd_config.read_text()
    assert "[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.sysbox-runc]" in config_text  # the installer's
    assert containerd_fix.MARKER not in config_text
    canary = pod(core, "cvm-canary").metadata.name
    said = " ".join(
        e.message or "" for e in core.list_namespaced_event(NS, field_selector=f"involvedObject.name={canary}").items
    )
    assert 'handler "sysbox-runc"' in said, said


def test_9b_with_the_fix_the_canary_is_ready(kubeconfig: Path, core: Any) -> None:
    """The same stack with cvm:sysbox.containerdFix: the fix copies the entry under `io.containerd.cri.v1.runtime`,
    restarts containerd, and `pulumi up` returns once the canary is Ready."""
    stack_ = canary_stack(kubeconfig, fix=True, create="5m")
    try:
        assert stack_.up(color="never").summary.result == "succeeded"
        canary = pod(core, "cvm-canary")
        assert ready(canary) and canary.spec.runtime_class_name == "sysbox-runc"
        config_text = node.LAYOUT.containerd_config.read_text()
        assert containerd_fix.MARKER in config_text
        assert '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.sysbox-runc]' in config_text
        logs = kubectl(kubeconfig, "-n", "kube-system", "logs", f"daemonset/{CONTAINERD_FIX}").stdout
        assert "containerd restarted; it reads sysbox-runc now" in logs
    finally:
        assert stack_.destroy(color="never").summary.result == "succeeded"
        stack_.workspace.remove_stack("node-containerd2")
        delete_namespace(core)
    eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")
