"""The pod of a workspace under each runtime: plain manifests, built from the settings alone."""

from __future__ import annotations

from typing import Any

from components.config import Workspace
from components.kube.names import RUNTIME_CLASS

INNER_CONTAINER = "workspace_cvm"  # envbox's fixed name for the inner container (coder/envbox cli/docker.go)
HOST_LIB_DIR = "/usr/lib/x86_64-linux-gnu"  # the NVIDIA driver's libraries on an amd64 Ubuntu host
OUTER_LIB_DIR = "/var/coder/usr/lib"  # where envbox looks for them (CODER_USR_LIB_DIR)

# What the canary proves: systemd is PID 1 and the workspace's own Docker daemon answers.
CANARY_CHECK = (
    'test "$(cat /proc/1/comm)" = systemd && systemctl is-active --quiet docker '
    "&& docker version --format '{{.Server.Version}}'"
)
# An envbox workspace is ready once its inner container runs.
INNER_RUNNING = f"test \"$(docker inspect --format '{{{{.State.Running}}}}' {INNER_CONTAINER})\" = true"


def agent_secret_name(workspace: str) -> str:
    return f"{workspace}-agent-token"


def home_volume_name(workspace: str) -> str:
    return f"{workspace}-home"


def home_dir(username: str) -> str:
    return "/root" if username == "root" else f"/home/{username}"


# The node disk a workspace may fill beyond its home volume (its writable layer, logs, scratch): bounded, so
# that one workspace cannot fill the node's disk and get its neighbours evicted.
SCRATCH_REQUEST, SCRATCH_LIMIT = "1Gi", "20Gi"
CANARY_HOME_LIMIT = "1Gi"


def _resources(workspace: Workspace) -> dict[str, Any]:
    # CPU and memory requests equal limits: a CVM gets what it was promised (the Guaranteed QoS class)
    amounts: dict[str, Any] = {"cpu": str(workspace.cpus), "memory": workspace.memory}
    limits = {**amounts, **({"nvidia.com/gpu": str(workspace.gpus)} if workspace.gpus else {})}
    return {
        "requests": {**limits, "ephemeral-storage": SCRATCH_REQUEST},
        "limits": {**limits, "ephemeral-storage": SCRATCH_LIMIT},
    }


def _coder_env(workspace: Workspace, coder_url: str | None) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    if workspace.agent_token is not None:
        secret_ref = {"name": agent_secret_name(workspace.name), "key": "token"}
        env.append({"name": "CODER_AGENT_TOKEN", "valueFrom": {"secretKeyRef": secret_ref}})
    if coder_url is not None:
        env.append({"name": "CODER_AGENT_URL", "value": coder_url})
    return env


def _probe(command: str) -> dict[str, Any]:
    return {
        "exec": {"command": ["sh", "-c", command]},
        "initialDelaySeconds": 10,
        "periodSeconds": 10,
        "timeoutSeconds": 10,
        "failureThreshold": 3,
    }


def _home_source(workspace: Workspace, is_canary: bool) -> dict[str, Any]:
    if is_canary and workspace.runtime == "sysbox-runc":
        return {"name": "home", "emptyDir": {"sizeLimit": CANARY_HOME_LIMIT}}
    if is_canary:  # envbox keeps its Docker stores (the workspace image) here: bounded by the pod's scratch limit
        return {"name": "home", "emptyDir": {}}
    return {"name": "home", "persistentVolumeClaim": {"claimName": home_volume_name(workspace.name)}}


def envbox_pod(workspace: Workspace, envbox_image: str, coder_url: str | None, is_canary: bool) -> dict[str, Any]:
    home = home_dir(workspace.username)
    field = {"containerName": "envbox"}
    env = [
        {"name": "CODER_INNER_IMAGE", "value": workspace.image},
        {"name": "CODER_INNER_USERNAME", "value": workspace.username},
        {"name": "CODER_INNER_HOSTNAME", "value": workspace.name},
        *_coder_env(workspace, coder_url),
        # the inner container gets the outer one's limits (envbox rounds CPUs up to whole ones)
        {"name": "CODER_CPUS", "valueFrom": {"resourceFieldRef": {**field, "resource": "limits.cpu", "divisor": "1"}}},
        {"name": "CODER_MEMORY", "valueFrom": {"resourceFieldRef": {**field, "resource": "limits.memory"}}},
        {"name": "CODER_MOUNTS", "value": f"{home}:{home}"},
    ]
    mounts = [
        {"name": "home", "mountPath": home, "subPath": "home"},
        # the inner container's Docker and containers stores, kept with the home volume
        {"name": "home", "mountPath": "/var/lib/coder/docker", "subPath": "cache/docker"},
        {"name": "home", "mountPath": "/var/lib/coder/containers", "subPath": "cache/containers"},
        # the outer dockerd's store (it caches the workspace image); neither may sit on overlayfs
        {"name": "home", "mountPath": "/var/lib/docker", "subPath": "envbox/docker"},
        {"name": "home", "mountPath": "/var/lib/containers", "subPath": "envbox/containers"},
        {"name": "sysbox", "mountPath": "/var/lib/sysbox"},
        # Sysbox bind-mounts the host's kernel headers and modules into system containers
        {"name": "usr-src", "mountPath": "/usr/src", "readOnly": True},
        {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
    ]
    volumes = [
        _home_source(workspace, is_canary),
        {"name": "sysbox", "emptyDir": {}},
        {"name": "usr-src", "hostPath": {"path": "/usr/src", "type": "Directory"}},
        {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": "Directory"}},
    ]
    if workspace.gpus:
        env += [{"name": "CODER_ADD_GPU", "value": "true"}, {"name": "CODER_USR_LIB_DIR", "value": OUTER_LIB_DIR}]
        mounts.append({"name": "host-usr-lib", "mountPath": OUTER_LIB_DIR, "readOnly": True})
        volumes.append({"name": "host-usr-lib", "hostPath": {"path": HOST_LIB_DIR, "type": "Directory"}})
    check = f"docker exec {INNER_CONTAINER} sh -c '{CANARY_CHECK}'" if is_canary else INNER_RUNNING
    container = {
        "name": "envbox",
        "image": envbox_image,
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
        # envbox gives the agent up to 90 s to run its shutdown scripts (coder/envbox#134)
        "terminationGracePeriodSeconds": 120,
    }


def sysbox_pod(workspace: Workspace, coder_url: str | None, is_canary: bool) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "workspace",
        "image": workspace.image,
        "command": ["/sbin/init"],
        # root inside the pod's own user namespace, an unprivileged ID on the host
        "securityContext": {"runAsUser": 0, "runAsGroup": 0},
        "env": _coder_env(workspace, coder_url),
        "resources": _resources(workspace),
        "volumeMounts": [{"name": "home", "mountPath": home_dir(workspace.username), "subPath": "home"}],
    }
    if is_canary:
        container["readinessProbe"] = _probe(CANARY_CHECK)
    return {
        "runtimeClassName": RUNTIME_CLASS,
        "hostUsers": False,
        "containers": [container],
        "volumes": [_home_source(workspace, is_canary)],
    }
