"""The workspace supervisor: the namespace workspaces live in, and one workload per workspace.

A workspace runs one of two ways:
- `envbox`: a privileged outer container (coder/envbox) runs its own dockerd and Sysbox, and launches the
  user's image as the inner container `workspace_cvm` under sysbox-runc. The user only ever reaches the inner
  container. Volumes and environment follow Coder's kubernetes-envbox template (see research notes).
- `sysbox-runc`: the workspace pod itself runs under the `sysbox-runc` RuntimeClass with its own user
  namespace (`hostUsers: false`), not privileged, systemd as PID 1.

Everything here but `WorkspaceSupervisor` is pure: settings in, manifests out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import kube, sysbox, versions
from components.settings import CANARY_NAME, Supervisor, Workspace

SERVICE_ACCOUNT = "cvm-workspace"
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


def canary(sysbox_enabled: bool) -> Workspace:
    """The canary workspace: under sysbox-runc where this stack installs Sysbox (it proves the installer, the
    RuntimeClass and the node runtime), else under envbox. Ephemeral: it keeps no volume."""
    return Workspace.model_validate(
        {
            "name": CANARY_NAME,
            "image": versions.CANARY_IMAGE,
            "runtime": "sysbox-runc" if sysbox_enabled else "envbox",
            "cpus": 1,
            "memory": "2Gi",
        }
    )


def labels(workspace: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "cvm-workspace",
        "app.kubernetes.io/component": "workspace",
        "app.kubernetes.io/instance": workspace,
        "app.kubernetes.io/part-of": "cvm",
    }


def selector(workspace: str) -> dict[str, str]:
    return {"app.kubernetes.io/component": "workspace", "app.kubernetes.io/instance": workspace}


def pod_security_level(workspaces: list[Workspace]) -> str:
    """The least Pod Security level that admits the workspaces: envbox's outer container is privileged and
    mounts host paths, which only `privileged` admits; sysbox-runc pods pass `baseline` (they run as root in
    their own user namespace, which `restricted` refuses)."""
    return "privileged" if any(w.runtime == "envbox" for w in workspaces) else "baseline"


def namespace(name: str, level: str, kubernetes_minor: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "pod-security.kubernetes.io/enforce": level,
                # pinned, so that a cluster upgrade never changes what is admitted here silently
                "pod-security.kubernetes.io/enforce-version": f"v{kubernetes_minor}",
                # workspaces get no sidecars: legacy cluster-wide proxies are not supported (Coder CVM docs)
                "istio-injection": "disabled",
            },
        },
    }


def deny_ingress(name: str) -> dict[str, Any]:
    """No inbound traffic to workspaces: the Coder agent dials out, nothing needs to dial in."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "cvm-workspaces-deny-ingress", "namespace": name},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "workspace"}},
            "policyTypes": ["Ingress"],
        },
    }


def service_account(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": name},
        "automountServiceAccountToken": False,
    }


def agent_secret_name(workspace: str) -> str:
    return f"{workspace}-agent-token"


def agent_secret(name: str, workspace: Workspace, token: Any) -> dict[str, Any]:
    """The Coder agent token, which reaches the pod only through this Secret. `token` may be a secret Output."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": agent_secret_name(workspace.name), "namespace": name, "labels": labels(workspace.name)},
        "type": "Opaque",
        "stringData": {"token": token},
    }


def home_volume_name(workspace: str) -> str:
    return f"{workspace}-home"


def home_volume(name: str, workspace: Workspace, storage_class: str | None, skip_await: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace.disk}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    metadata = kube.metadata(home_volume_name(workspace.name), name, labels(workspace.name), skip_await)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def home_dir(username: str) -> str:
    return "/root" if username == "root" else f"/home/{username}"


def _resources(workspace: Workspace) -> dict[str, Any]:
    # requests equal limits: a CVM gets what it was promised, and the pod is in the Guaranteed QoS class
    amounts: dict[str, Any] = {"cpu": str(workspace.cpus), "memory": workspace.memory}
    limits = {**amounts, **({"nvidia.com/gpu": str(workspace.gpus)} if workspace.gpus else {})}
    return {"requests": dict(limits), "limits": limits}


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
    if is_canary:
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
        "runtimeClassName": sysbox.RUNTIME_CLASS,
        "hostUsers": False,
        "containers": [container],
        "volumes": [_home_source(workspace, is_canary)],
    }


def workload(
    name: str,
    workspace: Workspace,
    supervisor: Supervisor,
    is_canary: bool = False,
    skip_await: bool = False,
) -> dict[str, Any]:
    """The single-replica Deployment of one workspace."""
    if workspace.runtime == "envbox":
        pod = envbox_pod(workspace, supervisor.envbox_image, supervisor.coder_url_text, is_canary)
    else:
        pod = sysbox_pod(workspace, supervisor.coder_url_text, is_canary)
    pod = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        **pod,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": kube.metadata(workspace.name, name, labels(workspace.name), skip_await),
        "spec": {
            "replicas": 1,
            # the home volume is ReadWriteOnce: the old pod must go before the new one starts
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector(workspace.name)},
            "template": {"metadata": {"labels": labels(workspace.name)}, "spec": pod},
        },
    }


@dataclass(frozen=True)
class WorkspaceSupervisorArgs:
    supervisor: Supervisor
    kubernetes_minor: str
    sysbox_enabled: bool
    skip_await: bool = False
    # the sysbox-runc RuntimeClass, which sysbox-runc workloads wait for
    runtime_class: pulumi.Resource | None = None


class WorkspaceSupervisor(pulumi.ComponentResource):
    """The workspace namespace and its guard rails, and one Deployment (and home volume) per workspace."""

    def __init__(self, name: str, args: WorkspaceSupervisorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:index:WorkspaceSupervisor", name, None, opts)
        supervisor, ns = args.supervisor, args.supervisor.namespace
        planned = ([canary(args.sysbox_enabled)] if supervisor.canary else []) + list(supervisor.workspaces)
        child = pulumi.ResourceOptions(parent=self)

        self.namespace = kube.create(namespace(ns, pod_security_level(planned), args.kubernetes_minor), child)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        shared = [self.namespace, *(kube.create(m, in_namespace) for m in (deny_ingress(ns), service_account(ns)))]

        self.workloads: dict[str, pulumi.Resource] = {}
        for workspace in planned:
            is_canary = supervisor.canary and workspace is planned[0]
            needs: list[pulumi.Resource] = list(shared)
            if workspace.runtime == "sysbox-runc" and args.runtime_class is not None:
                needs.append(args.runtime_class)
            if workspace.agent_token is not None:
                token = pulumi.Output.secret(workspace.agent_token.get_secret_value())
                needs.append(kube.create(agent_secret(ns, workspace, token), in_namespace))
            if not is_canary:
                # a user's home outlives any change: deleting or replacing it is asked for by unprotecting it
                volume = home_volume(ns, workspace, supervisor.storage_class, args.skip_await)
                protected = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace], protect=True)
                needs.append(kube.create(volume, protected))
            manifest = workload(ns, workspace, supervisor, is_canary, args.skip_await)
            self.workloads[workspace.name] = kube.create(
                manifest, pulumi.ResourceOptions(parent=self, depends_on=needs)
            )

        self.namespace_name: pulumi.Output[str] = self.namespace.metadata.name  # type: ignore[attr-defined]
        self.workspace_names: pulumi.Output[list[str]] = pulumi.Output.all(
            *(w.metadata.name for w in self.workloads.values())  # type: ignore[attr-defined]
        )
        self.register_outputs({"namespace": self.namespace_name, "workspaces": self.workspace_names})
