"""A real node end to end: pods run, and the engine waits for them.

The scenario (root on Linux): a fresh control plane and a node on this machine (localcluster/node.py:
containerd, runc, a kubelet; the `sysbox-runc` handler is the test double localcluster/sysbox_runc_double.py;
images from localcluster/images.py). `pulumi up` of a bare-metal stack listing the node, with the canary and one
`sysbox-runc` workspace, awaits the canary's readiness; then, through the API server and the node, what a CVM
must be; then a broken image; `pulumi destroy`, which keeps the home; and, in the teardown, the host as it was
before. The node's pure parts are tested anywhere, in tests/unit/localcluster/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from kubernetes import client, config
from pulumi import automation as auto

from components.facts import pins
from localcluster import cluster, coder_double, engine, images, local_path, node, node_config, toolchain
from localcluster.program import program as project_program

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


def program(create: str) -> Callable[[], None]:
    """The project's program with a shorter wait for new Deployments and DaemonSets than the provider's 10 minutes,
    so that a broken workspace or installer fails the test in minutes (a stack transform: the program itself is
    unchanged)."""

    def shorter(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ not in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet"):
            return None
        timeouts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=create, update=create))
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, timeouts))

    def run() -> None:
        pulumi.runtime.register_stack_transformation(shorter)
        project_program()

    return run


def stack_config(kubeconfig: Path, workspaces: list[dict[str, Any]], canary: bool = True) -> dict[str, Any]:
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


# A stub of Coder's agent: it records how it was started, where the suite reads it back.
STUB_AGENT = """#!/bin/sh
{ echo "args=$*"; echo "token=$CODER_AGENT_TOKEN"; echo "url=$CODER_AGENT_URL"; echo "user=$(id -un)"; } \
  > "$HOME/agent-record"
"""
AGENT_TOKEN = "token-of-carol"


@pytest.fixture(scope="module")
def coder(kubeconfig: Path) -> Iterator[tuple[str, list[str]]]:
    """A Coder stand-in on the node's own address (all a pod reaches here): it serves the stub agent at
    /bin/coder-linux-<arch> and records each path asked for."""
    with coder_double.serving(node_config.NODE_IP, STUB_AGENT) as served:
        yield served


@pytest.fixture(scope="module")
def stack(kubeconfig: Path, coder: tuple[str, list[str]]) -> auto.Stack:
    config_ = stack_config(kubeconfig, [{**CAROL, "agentToken": AGENT_TOKEN}])
    config_["supervisor"]["coderUrl"] = coder[0]
    return engine.stack("node", config_, ("baremetal", "supervisor"), run=program("5m"))


def kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    binary = Path(toolchain.binaries("kubelet")["KUBE_BIN"]) / "kubectl"
    command = [str(binary), "--kubeconfig", str(kubeconfig), "-n", NS, *args]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=300)


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


def test_3_docker_run_inside_the_canary(kubeconfig: Path) -> None:
    command = f"docker load -i {images.HELLO_ARCHIVE} && docker run --rm {images.registry_path(images.HELLO)}"
    out = kubectl(kubeconfig, "exec", "deploy/cvm-canary", "--", "sh", "-c", command).stdout
    assert "hello from a nested container" in out


def test_4_workspace_root_is_an_unprivileged_id_on_the_host(kubeconfig: Path, core: Any) -> None:
    assert kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "id", "-u").stdout.strip() == "0"
    container_id = pod(core, WORKSPACE).status.container_statuses[0].container_id.removeprefix("containerd://")
    ctr = Path(toolchain.binaries("containerd")["CONTAINERD_BIN"]) / "ctr"
    tasks = subprocess.run(
        [str(ctr), "--address", str(node.LAYOUT.containerd_socket), "-n", "k8s.io", "tasks", "ls"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    (host_pid,) = [line.split()[1] for line in tasks.splitlines() if line.startswith(container_id)]
    inside, outside, count = (int(x) for x in Path(f"/proc/{host_pid}/uid_map").read_text().split())
    assert inside == 0 and outside >= 65536 and count == 65536
    uids = Path(f"/proc/{host_pid}/status").read_text().split("Uid:")[1].split("\n")[0].split()
    assert uids == [str(outside)] * 4  # the host sees the workspace's root as that unprivileged ID


def test_5_home_is_the_users_and_survives_its_pod(kubeconfig: Path, core: Any) -> None:
    # a new volume is root's: the pod's home-owner init container handed it to the workspace user
    owner = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "stat", "-c", "%U:%G", "/home/coder")
    assert owner.stdout.strip() == "coder:coder"
    proof = f"written by the suite at {time.time_ns()}"
    kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "sh", "-c", f"echo '{proof}' > /home/coder/proof")
    first = pod(core, WORKSPACE).metadata.name
    core.delete_namespaced_pod(first, NS)

    def replaced() -> bool:
        with_label = core.list_namespaced_pod(NS, label_selector=f"app.kubernetes.io/instance={WORKSPACE}").items
        return [p.metadata.name for p in with_label] != [first] and len(with_label) == 1 and ready(with_label[0])

    eventually(replaced, "carol's new pod")
    assert kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "cat", "/home/coder/proof").stdout.strip() == proof


def test_5b_the_workspace_started_coders_agent(kubeconfig: Path, coder: tuple[str, list[str]]) -> None:
    """carol's own systemd started the unit the pod brought: it fetched the agent from Coder and ran it as the
    workspace user, with the token from carol's Secret and the deployment's URL."""
    url, asked = coder

    def recorded() -> bool:
        return kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "test", "-s", "/home/coder/agent-record",
                       check=False).returncode == 0  # fmt: skip

    try:
        eventually(recorded, "the agent's record")
    except AssertionError as error:  # say why: the unit's state and its log, and what Coder was asked
        status = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "sh", "-c",
                         "systemctl status coder-agent; journalctl -u coder-agent -n 30; ls -la /home/coder",
                         check=False)  # fmt: skip
        raise AssertionError(f"{error}\n{status.stdout}{status.stderr}\nasked: {asked}") from None
    text = kubectl(kubeconfig, "exec", f"deploy/{WORKSPACE}", "--", "cat", "/home/coder/agent-record").stdout
    record = dict(line.split("=", 1) for line in text.splitlines())
    assert record == {"args": "agent", "token": AGENT_TOKEN, "url": f"{url}/", "user": "coder"}
    assert f"/bin/coder-linux-{'arm64' if os.uname().machine == 'aarch64' else 'amd64'}" in asked


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
        dev_stack = engine.stack("dev", engine.dev_config(kubeconfig, True, dev), engine.SECRET_KEYS)
        assert dev_stack.destroy(color="never").summary.result == "succeeded"
        dev_stack.workspace.remove_stack("dev")
    delete_home(core, "frank")
    eventually(lambda: volume_names(core) == before, "frank's volume deleted")
    delete_namespace(core)
    eventually(lambda: not core.list_pod_for_all_namespaces().items, "every pod gone")


def broken_up(core: Any, kubeconfig: Path, workspace: dict[str, Any]) -> str:
    """`pulumi up` of a new stack (after the destroy) with only `workspace`, so that its Deployment is created,
    not updated (see docs/local-cluster.md: the provider can call a Recreate update done before the new pod
    exists), one at a time (two 1-CPU workspaces do not fit on the 2-CPU node); the error it fails with, once
    cleaned up."""
    broken = engine.stack("node-broken", stack_config(kubeconfig, [workspace], canary=False), ("baremetal",),
                          run=program("1m"))  # fmt: skip
    with pytest.raises(auto.CommandError) as failed:
        broken.up(color="never")
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
