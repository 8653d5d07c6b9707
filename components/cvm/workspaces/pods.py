"""The pod of a workspace under each runtime: plain manifests rendered from a resolved workspace (resolved.py),
which decided everything they show."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from components.cvm.workspaces import agent
from components.cvm.workspaces.resolved import Envbox, ResolvedWorkspace
from components.facts.runtimes import Runtime

OUTER_CONTAINER = "envbox"  # the envbox pod's one container, which runs envbox (not the runtime's name)

INNER_CONTAINER = "workspace_cvm"  # envbox's fixed name for the inner container (coder/envbox cli/docker.go)
HOST_LIB_DIR = "/usr/lib/x86_64-linux-gnu"  # the NVIDIA driver's libraries on an amd64 Ubuntu host
OUTER_LIB_DIR = "/var/coder/usr/lib"  # where envbox looks for them (CODER_USR_LIB_DIR)

NESTED_IMAGE = "cvm-canary/nested"  # the canary's nested container: made from its own files, never pulled
NESTED_DRIVERS = ("overlay2", "overlayfs")  # overlay2, or Docker's containerd image store on overlayfs


def canary_check(proc: str = "/proc") -> str:
    """What the canary proves, each failure saying which part failed: systemd is PID 1; root is not the host's
    root (PID 1's uid_map maps it elsewhere); the workspace's own Docker runs, stores images on overlayfs (not
    vfs, which copies every layer), and runs a nested container. That container's image is `/bin/sh` and its
    libraries, imported from the canary's own files on the first run: Coder's image bakes no image, and an
    air-gapped cluster pulls none. `proc`: where /proc is (a test points it at a fake)."""
    drivers = "|".join(NESTED_DRIVERS)
    return f"""fail() {{ echo "cvm canary: $*"; exit 1; }}
init=$(cat {proc}/1/comm)
test "$init" = systemd || fail "PID 1 is $init, not systemd"
read -r inside outside count < {proc}/1/uid_map
test "$outside" != 0 || fail "root is the host's root (uid_map $inside $outside $count)"
systemctl is-active --quiet docker || fail "docker.service is not active"
driver=$(docker info --format '{{{{.Driver}}}}') || fail "the inner Docker does not answer"
case "$driver" in {drivers}) ;; *) fail "the inner Docker stores images with $driver, not overlay2" ;; esac
if ! docker image inspect {NESTED_IMAGE} >/dev/null 2>&1; then
  files=$(ldd /bin/sh | grep -o '/[^ ]*' | sed 's|^/||')
  tar -C / -ch bin/sh $files | docker import - {NESTED_IMAGE} >/dev/null || fail "cannot make the nested image"
fi
said=$(docker run --rm {NESTED_IMAGE} /bin/sh -c 'echo nested') || fail "the nested container did not run"
test "$said" = nested || fail "the nested container said $said"
"""


# An envbox workspace is ready once its inner container runs.
INNER_RUNNING = f"test \"$(docker inspect --format '{{{{.State.Running}}}}' {INNER_CONTAINER})\" = true"


# The node disk a workspace may fill beyond its home volume (its writable layer, logs, emptyDirs): what the
# kubelet counts against this limit, evicting the pod beyond it. It does not see what a runtime writes outside
# the pod's own layer and volumes: Sysbox's implicit host mounts under /var/lib/sysbox, for an inner
# /var/lib/kubelet or /var/lib/containerd (nestybox/sysbox docs/user-guide/design.md at 27cb713f); the inner
# Docker's store is kept off them, in the home volume (resolve.py INNER_DOCKER).
SCRATCH_REQUEST, SCRATCH_LIMIT = "1Gi", "20Gi"


def _resources(workspace: ResolvedWorkspace) -> dict[str, Any]:
    # CPU and memory requests equal limits: a CVM gets what it was promised (the Guaranteed QoS class)
    amounts: dict[str, Any] = {"cpu": workspace.cpu, "memory": workspace.memory}
    limits = {**amounts, **({"nvidia.com/gpu": str(workspace.gpus)} if workspace.gpus else {})}
    return {
        "requests": {**limits, "ephemeral-storage": SCRATCH_REQUEST},
        "limits": {**limits, "ephemeral-storage": SCRATCH_LIMIT},
    }


def _coder_env(workspace: ResolvedWorkspace) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    if workspace.token_secret is not None:
        secret_ref = {"name": workspace.token_secret, "key": "token"}
        env.append({"name": "CODER_AGENT_TOKEN", "valueFrom": {"secretKeyRef": secret_ref}})
    if workspace.coder_url is not None:
        env.append({"name": "CODER_AGENT_URL", "value": workspace.coder_url})
    return env


def _probe(command: str) -> dict[str, Any]:
    return {
        "exec": {"command": ["sh", "-c", command]},
        "initialDelaySeconds": 10,
        "periodSeconds": 10,
        "timeoutSeconds": 10,
        "failureThreshold": 3,
    }


# How long a stopping workspace may take before the kubelet kills it. envbox gives the agent 90 s to run its
# shutdown scripts once it gets SIGTERM (coder/envbox 0.6.7 cli/docker.go, at 275007ff: coder/envbox#134);
# systemd gives each unit 90 s to stop (DefaultTimeoutStopSec, systemd-system.conf(5)). 30 s more for the rest
# of the shutdown; Kubernetes' default of 30 s would cut both short.
STOP_GRACE_SECONDS = 120

# systemd as PID 1 halts on SIGRTMIN+3 and takes SIGTERM, the runtime's stop signal where the image names none
# (Coder's images name none), as "re-execute": it would run on until the kubelet's SIGKILL. The pod's own stop
# signal (`lifecycle.stopSignal`, KEP-4960) is alpha and off by default through Kubernetes 1.37, so a hook
# halts systemd before the stop signal is sent: SIGRTMIN+3 (37 under glibc, whose SIGRTMIN is 34), then it
# waits; systemd's last step sends SIGTERM to every process left, this hook too, which then ends well. An
# init other than systemd is left to the stop signal.
HALT_SYSTEMD = (
    "test \"$(cat /proc/1/comm)\" = systemd || exit 0; trap 'exit 0' TERM; kill -37 1; while sleep 1; do :; done"
)


def _home_source(workspace: ResolvedWorkspace) -> dict[str, Any]:
    storage = workspace.storage
    if storage.claim is not None:
        return {"name": "home", "persistentVolumeClaim": {"claimName": storage.claim}}
    limit = {"sizeLimit": storage.scratch_limit} if storage.scratch_limit is not None else {}
    return {"name": "home", "emptyDir": limit}


EXTRA_CERTS_DIR = "/var/cvm/extra-certs"


# The inner containerd's store: /var/lib/containerd, and its overlayfs snapshots (the images' layers) mounted on
# their own, since Sysbox puts a host directory of its own there unless a mount has exactly that destination (its
# special directories, nestybox/sysbox-runc libsysbox/syscont/spec.go `getSpecialDirs` at 081856cc; a mount on
# /var/lib/containerd alone leaves the snapshots to it).
CONTAINERD_DIR = "/var/lib/containerd"
SNAPSHOTTER = "io.containerd.snapshotter.v1.overlayfs"
CONTAINERD_SNAPSHOTS = f"{CONTAINERD_DIR}/{SNAPSHOTTER}"
# Where an envbox pod holds both, for envbox to mount into the inner container (its own defaults mount
# /var/lib/coder/docker and /var/lib/coder/containers only: coder/envbox cli/docker.go `defaultMounts` at
# 8b99d48); each is the kubelet's mount of a home folder, so it exists before envbox chowns it to the inner root.
OUTER_CONTAINERD = {
    CONTAINERD_DIR: "/var/lib/coder/containerd",
    CONTAINERD_SNAPSHOTS: "/var/lib/coder/containerd-snapshots",
}


def _containerd_mounts(inner_containerd: str, at: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The home's folders for the inner containerd's store, at its paths in the pod (`at`: in the outer
    container of envbox, OUTER_CONTAINERD; else where the CVM's containerd reads them)."""
    folders = {CONTAINERD_DIR: inner_containerd, CONTAINERD_SNAPSHOTS: f"{inner_containerd}/{SNAPSHOTTER}"}
    return [
        {"name": "home", "mountPath": (at or {}).get(path, path), "subPath": folder} for path, folder in folders.items()
    ]


def _envbox_mounts(home: str, ca_certificates: str | None) -> str:
    """What envbox bind-mounts from the outer container into the inner one (CODER_MOUNTS, `src:dst[:ro]`): the
    home, the inner containerd's store, and the supervisor's CAs, read-only, where the agent's bootstrap finds
    them (agent.CA_DIR). envbox's own CODER_EXTRA_CERTS_PATH reaches only its HTTP client and dockerd's certs.d
    for the inner image's registry, not the inner container (coder/envbox 0.6.7 cli/docker.go: the flag's two
    uses, and the mounts' remount, chmod and chown before the inner container starts)."""
    certs = [f"{EXTRA_CERTS_DIR}:{agent.CA_DIR}:ro"] if ca_certificates is not None else []
    containerd = [f"{outer}:{inner}" for inner, outer in OUTER_CONTAINERD.items()]
    return ",".join([f"{home}:{home}", *containerd, *certs])


def _envbox_options(workspace: ResolvedWorkspace, envbox: Envbox) -> list[dict[str, Any]]:
    """envbox's own settings (coder/envbox 0.6.7 README): inner env, devices, the bridge of envbox's own (outer)
    dockerd, and the credentials and CAs for what envbox pulls and talks to."""
    env: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in workspace.inner_env.items()]
    env += [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": workspace.env_secret, "key": name}}}
        for name in workspace.secret_env
    ]
    if workspace.inner_env or workspace.secret_env:  # the outer container's variables envbox copies inside
        env.append({"name": "CODER_INNER_ENVS", "value": ",".join([*workspace.inner_env, *workspace.secret_env])})
    env += [{"name": f"CODER_ADD_{device}", "value": "true"} for device, on in (("FUSE", workspace.fuse),
            ("TUN", workspace.tun)) if on]  # fmt: skip
    if envbox.docker_bridge_cidr is not None:
        env.append({"name": "CODER_DOCKER_BRIDGE_CIDR", "value": envbox.docker_bridge_cidr})
    if envbox.image_pull_secret is not None:
        secret = {"name": envbox.image_pull_secret, "key": ".dockerconfigjson"}
        env.append({"name": "CODER_IMAGE_PULL_SECRET", "valueFrom": {"secretKeyRef": secret}})
    if workspace.ca_certificates is not None:
        env.append({"name": "CODER_EXTRA_CERTS_PATH", "value": EXTRA_CERTS_DIR})
    return env


def envbox_pod(workspace: ResolvedWorkspace) -> dict[str, Any]:
    assert workspace.envbox is not None, f"{workspace.name} is not an envbox workspace"
    home = workspace.home
    field = {"containerName": OUTER_CONTAINER}
    env = [
        {"name": "CODER_INNER_IMAGE", "value": workspace.image},
        {"name": "CODER_INNER_USERNAME", "value": workspace.username},
        {"name": "CODER_INNER_HOSTNAME", "value": workspace.name},
        *_coder_env(workspace),
        # the inner container gets the outer one's limits (envbox rounds CPUs up to whole ones)
        {"name": "CODER_CPUS", "valueFrom": {"resourceFieldRef": {**field, "resource": "limits.cpu", "divisor": "1"}}},
        {"name": "CODER_MEMORY", "valueFrom": {"resourceFieldRef": {**field, "resource": "limits.memory"}}},
        {"name": "CODER_MOUNTS", "value": _envbox_mounts(home, workspace.ca_certificates)},
    ]
    if workspace.agent is not None:
        # envbox starts the agent only through this script (coder/envbox cli/docker.go)
        env.append({"name": "CODER_BOOTSTRAP_SCRIPT", "value": workspace.agent.script})
    env += _envbox_options(workspace, workspace.envbox)
    mounts = [
        {"name": "home", "mountPath": home, "subPath": "home"},
        # the inner container's Docker and containers stores, kept with the home volume
        {"name": "home", "mountPath": "/var/lib/coder/docker", "subPath": workspace.storage.inner_docker},
        {"name": "home", "mountPath": "/var/lib/coder/containers", "subPath": "cache/containers"},
        *_containerd_mounts(workspace.storage.inner_containerd, OUTER_CONTAINERD),
        # the outer dockerd's store (it caches the workspace image); neither may sit on overlayfs
        {"name": "home", "mountPath": "/var/lib/docker", "subPath": "envbox/docker"},
        {"name": "home", "mountPath": "/var/lib/containers", "subPath": "envbox/containers"},
        {"name": "sysbox", "mountPath": "/var/lib/sysbox"},
        # Sysbox bind-mounts the host's kernel headers and modules into system containers
        {"name": "usr-src", "mountPath": "/usr/src", "readOnly": True},
        {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
    ]
    volumes = [
        _home_source(workspace),
        {"name": "sysbox", "emptyDir": {}},
        {"name": "usr-src", "hostPath": {"path": "/usr/src", "type": "Directory"}},
        {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": "Directory"}},
    ]
    if workspace.gpus:
        env += [{"name": "CODER_ADD_GPU", "value": "true"}, {"name": "CODER_USR_LIB_DIR", "value": OUTER_LIB_DIR}]
        mounts.append({"name": "host-usr-lib", "mountPath": OUTER_LIB_DIR, "readOnly": True})
        volumes.append({"name": "host-usr-lib", "hostPath": {"path": HOST_LIB_DIR, "type": "Directory"}})
    if workspace.ca_certificates is not None:
        mounts.append({"name": "extra-certs", "mountPath": EXTRA_CERTS_DIR, "readOnly": True})
        volumes.append({"name": "extra-certs", "configMap": {"name": workspace.ca_certificates}})
    check = f"docker exec {INNER_CONTAINER} sh -c {shlex.quote(canary_check())}" if workspace.canary else INNER_RUNNING
    container = {
        "name": OUTER_CONTAINER,
        "image": workspace.envbox.image,
        "command": ["/envbox", "docker"],
        # Sysbox inside envbox needs real root on the host (nestybox/sysbox#891)
        "securityContext": {"privileged": True},
        "env": env,
        "resources": _resources(workspace),
        "volumeMounts": mounts,
        "readinessProbe": _probe(check),
    }
    return {
        "containers": [container],
        "volumes": volumes,
        "terminationGracePeriodSeconds": STOP_GRACE_SECONDS,
    }


# What handing the home over takes; requests equal limits, as the workspace's, so the pod stays Guaranteed
# (and the node's disk is bounded here too, though `chown` writes nothing of its own).
HOME_OWNER_RESOURCES = {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "64Mi"}


def _home_owner(workspace: ResolvedWorkspace, mount: dict[str, Any]) -> dict[str, Any]:
    """A new home volume is root's: this hands it to the workspace user before the workspace boots, whatever the
    image's init does. The workspace's own image (it has the user and `chown`), as root in the pod's user
    namespace; the home's top only, so a large home costs nothing on every start."""
    return {
        "name": "home-owner",
        "image": workspace.image,
        "command": ["chown", f"{workspace.username}:", mount["mountPath"]],
        # a failure (an image without the user) leaves chown's own words in the pod's status: `pulumi up` names
        # this container, and `kubectl describe pod` says why
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {"runAsUser": 0, "runAsGroup": 0},
        "resources": {"requests": dict(HOME_OWNER_RESOURCES), "limits": dict(HOME_OWNER_RESOURCES)},
        "volumeMounts": [mount],
    }


def sysbox_pod(workspace: ResolvedWorkspace) -> dict[str, Any]:
    """The supervisor's ConfigMap of CAs is mounted where the agent's bootstrap finds them (in the workspace's
    namespace; optional, so a stack that made it in the envbox namespace only still starts)."""
    mounts: list[dict[str, Any]] = [
        {"name": "home", "mountPath": workspace.home, "subPath": "home"},
        {"name": "home", "mountPath": "/var/lib/docker", "subPath": workspace.storage.inner_docker},
        *_containerd_mounts(workspace.storage.inner_containerd),
    ]
    volumes = [_home_source(workspace)]
    if workspace.agent is not None and workspace.agent.files is not None:
        mounts += agent.sysbox_mounts()
        volumes.append(agent.sysbox_volume(workspace.agent.files))
    if workspace.ca_certificates is not None:
        mounts.append({"name": "ca-certificates", "mountPath": agent.CA_DIR, "readOnly": True})
        config_map = {"name": workspace.ca_certificates, "optional": True}
        volumes.append({"name": "ca-certificates", "configMap": config_map})
    container: dict[str, Any] = {
        "name": "workspace",
        "image": workspace.image,
        "command": ["/sbin/init"],
        # root inside the pod's own user namespace, an unprivileged ID on the host
        "securityContext": {"runAsUser": 0, "runAsGroup": 0},
        "env": _coder_env(workspace),
        "resources": _resources(workspace),
        "volumeMounts": mounts,
        "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", HALT_SYSTEMD]}}},
    }
    pod: dict[str, Any] = {
        "runtimeClassName": workspace.runtime_class,
        "hostUsers": False,
        "terminationGracePeriodSeconds": STOP_GRACE_SECONDS,
    }
    if workspace.canary:
        container["readinessProbe"] = _probe(canary_check())
    if workspace.chown_home:
        pod["initContainers"] = [_home_owner(workspace, mounts[0])]
    return {**pod, "containers": [container], "volumes": volumes}


# The pod of each runtime.
POD: dict[Runtime, Callable[[ResolvedWorkspace], dict[str, Any]]] = {
    Runtime.ENVBOX: envbox_pod,
    Runtime.SYSBOX_RUNC: sysbox_pod,
}
