"""Which objects the workspaces get, and how they stand to each other: the one plan that the program's
`WorkspaceSupervisor` registers and the Coder template (components/coder_template) renders, so that neither
decides again which objects exist. Pure: the protocols of inputs.py in, plain data out.

Each runtime a stack uses gets a namespace and its guard rails. Each workspace gets, in its runtime's namespace,
the Secret of its agent token (when it has one), the files that start the agent (sysbox-runc, when it talks to a
Coder), its home volume (not the canary) and its Deployment, which waits for all of them and for its namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import SecretStr

from components.cvm.workspaces import agent, objects, pods
from components.cvm.workspaces.inputs import SupervisorFields, SupervisorSection, WorkspaceFields
from components.facts import issues, pins
from components.facts.platforms import Platform
from components.kube.names import CANARY_NAME


class Role(StrEnum):
    """What an object is to its workspaces (the Coder template names its resources after it)."""

    NAMESPACE = "namespace"  # a runtime's namespace, at the Pod Security level its pods need
    DENY_INGRESS = "deny_ingress"  # the namespace's NetworkPolicies
    LIMIT_EGRESS = "limit_egress"
    SERVICE_ACCOUNT = "service_account"  # the workloads' own, which mounts no token
    RUNTIME_CLASS = "runtime_class"  # not planned here: the Sysbox component's, which sysbox-runc pods run under
    AGENT_TOKEN = "agent_token"  # the Secret that brings Coder's agent token to the pod
    SECRET_ENV = "secret_env"  # the Secret that brings the workspace's secret variables (secretEnv) to the pod
    AGENT_FILES = "agent_files"  # the ConfigMap of the agent's systemd unit and script (agent.py)
    HOME = "home"  # the home volume
    WORKSPACE = "workspace"  # the workload: a single-replica Deployment


GUARD_RAILS = (Role.DENY_INGRESS, Role.LIMIT_EGRESS, Role.SERVICE_ACCOUNT)


@dataclass(frozen=True)
class Planned:
    """One object. `after`: the objects it waits for, by role, in its namespace and its workspace. `retained`:
    it outlives the stack (Pulumi forgets it on delete, the cluster keeps it: homes.py). `gated`: it is sent only
    once the homes check (homes.moves) passes, so that a refused move stops the run before it is made.
    `replaced_on`: the fields whose change deletes the object and creates it again rather than updating it
    (REPLACED_ON)."""

    role: Role
    manifest: dict[str, Any]
    after: tuple[Role, ...] = ()
    retained: bool = False
    gated: bool = False
    replaced_on: tuple[str, ...] = ()


# A change of a workload's pod template deletes its Deployment, then creates it, rather than updating it. The
# Kubernetes provider built here (pulumi-kubernetes 4.25.0, provider/pkg/await/deployment.go at f47bc2d6) calls
# an update of a `Recreate` Deployment done as soon as the controller has observed the new generation: the
# controller does so once it has scaled the old ReplicaSet down, before it makes the new one
# (kubernetes pkg/controller/deployment/recreate.go, v1.35.4), so the revision has not moved and the awaiter takes
# the old, scaled-down ReplicaSet for the rollout (pulumi-kubernetes #2941); a broken image then "succeeds". A
# create is awaited until the new pod is ready, and fails with the pod's reason. The old pod is gone before the
# new one starts either way (the delete waits for it: foreground propagation), as `Recreate` promises.
# `pulumi.com/waitFor` would wait on the new generation's status (await/condition/jsonpath.go), but it replaces
# the built-in awaiter on create too (await/await.go), whose error then names no pod's reason.
REPLACED_ON = ("spec.template",)


@dataclass(frozen=True)
class NamespacePlan:
    runtime: str
    objects: tuple[Planned, ...]  # the namespace first


@dataclass(frozen=True)
class WorkspacePlan:
    name: str
    runtime: str
    objects: tuple[Planned, ...]  # the workload last


@dataclass(frozen=True)
class Plan:
    namespaces: tuple[NamespacePlan, ...]
    workspaces: tuple[WorkspacePlan, ...]  # the canary first


@dataclass(frozen=True)
class Canary:
    """The canary workspace (inputs.WorkspaceFields): the canary image as its own `coder` user (facts/pins.py), with
    no agent; ephemeral, its home an emptyDir. Under sysbox-runc where the stack installs Sysbox (it proves the
    installer, the RuntimeClass and the node runtime), else under envbox."""

    runtime: str
    name: str = CANARY_NAME
    image: str = pins.CANARY_IMAGE
    username: str = "coder"
    cpus: int | str = 1
    memory: str = "2Gi"
    disk: str = "1Gi"  # read by nothing: the canary has no home volume
    gpus: int = 0
    agent_token: SecretStr | None = None
    fuse: bool = False
    tun: bool = False
    inner_env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretStr] = field(default_factory=dict)


def deployed(supervisor: SupervisorSection, sysbox_enabled: bool) -> list[tuple[WorkspaceFields, bool]]:
    """The workspaces a stack deploys, each with whether it is the canary (the canary first)."""
    canaries: list[tuple[WorkspaceFields, bool]] = []
    if supervisor.canary:
        canaries.append((Canary("sysbox-runc" if sysbox_enabled else "envbox"), True))
    return [*canaries, *((workspace, False) for workspace in supervisor.workspaces)]


def known_problems(supervisor: SupervisorSection, sysbox_enabled: bool) -> list[str]:
    """The upstream problems of the Sysbox that the pinned envbox image bundles (facts/issues.py ENVBOX_ISSUES),
    when a workspace runs under it; an image of the stack's own choosing is not second-guessed."""
    under = [workspace.name for workspace, _ in deployed(supervisor, sysbox_enabled) if workspace.runtime == "envbox"]
    if not under or supervisor.envbox_image != pins.ENVBOX_IMAGE:
        return []
    return [
        f"envbox workspaces ({', '.join(under)}) run the Sysbox {pins.ENVBOX_SYSBOX} that {pins.ENVBOX_IMAGE} "
        f"bundles: {issue.symptom} ({issue.id}; {issue.status}); no envbox release is known to bundle a fixed one"
        for issue in issues.ENVBOX_ISSUES
        if pins.ENVBOX_SYSBOX in issue.sysbox
    ]


def namespaces(supervisor: SupervisorSection, sysbox_enabled: bool) -> dict[str, str]:
    """Each runtime's namespace that a stack makes: sysbox-runc workspaces stay in the configured namespace, at
    `baseline`, whatever else is deployed; envbox ones get a privileged namespace of their own, made only when
    there is one."""
    envbox = any(workspace.runtime == "envbox" for workspace, _ in deployed(supervisor, sysbox_enabled))
    runtimes = ["sysbox-runc", *(["envbox"] if envbox else [])]
    return {runtime: objects.workspace_namespace(supervisor.namespace, runtime) for runtime in runtimes}


def namespace(runtime: str, supervisor: SupervisorFields, kubernetes_minor: str, platform: Platform) -> NamespacePlan:
    """A runtime's namespace at its Pod Security level, then its guard rails. The namespace holds homes, so it
    outlives the stack too (deleting it would delete them) and waits for the homes check as they do."""
    ns = objects.workspace_namespace(supervisor.namespace, runtime)
    made = objects.namespace_object(ns, objects.pod_security_level(runtime), kubernetes_minor)
    guard_rails = (
        objects.deny_ingress(ns),
        objects.limit_egress(ns, supervisor.coder_url_text, platform),
        objects.service_account(ns),
    )
    return NamespacePlan(
        runtime,
        (
            Planned(Role.NAMESPACE, made, retained=True, gated=True),
            *(Planned(role, m, (Role.NAMESPACE,)) for role, m in zip(GUARD_RAILS, guard_rails, strict=True)),
        ),
    )


def workspace(
    workspace: WorkspaceFields,
    supervisor: SupervisorFields,
    *,
    seal: Callable[[str], Any],
    kubernetes_minor: str,
    is_canary: bool = False,
    skip_await: bool = False,
    bootstrap: str | None = None,
) -> WorkspacePlan:
    """One workspace's objects, its workload last, on a cluster of `kubernetes_minor`. `seal`: what its Secret
    holds for the token's text (the program: a secret Output). `bootstrap`: the script that starts the agent;
    None: cvm's own (agent.script), a Coder template gives Coder's."""
    ns = objects.workspace_namespace(supervisor.namespace, workspace.runtime)
    coder_url = supervisor.coder_url_text
    made: list[Planned] = []
    if workspace.agent_token is not None:
        token = seal(workspace.agent_token.get_secret_value())
        made.append(Planned(Role.AGENT_TOKEN, objects.agent_secret(ns, workspace, token), (Role.NAMESPACE,)))
    if workspace.secret_env:
        values = {name: seal(value.get_secret_value()) for name, value in workspace.secret_env.items()}
        made.append(Planned(Role.SECRET_ENV, objects.env_secret(ns, workspace, values), (Role.NAMESPACE,)))
    if workspace.runtime == "sysbox-runc" and coder_url is not None and pods.with_agent(workspace, coder_url):
        # a sysbox-runc pod boots its image's systemd, which starts the agent from these; envbox runs the script
        script = agent.bootstrap(coder_url, bootstrap, supervisor.ca_certificates)
        files = agent.config_map(ns, workspace, script, pods.home_dir(workspace.username))
        made.append(Planned(Role.AGENT_FILES, files, (Role.NAMESPACE,)))
    if not is_canary:
        home = objects.home_volume(ns, workspace, supervisor.storage_class)
        made.append(Planned(Role.HOME, home, (Role.NAMESPACE,), retained=True, gated=True))
    runtime_class = (Role.RUNTIME_CLASS,) if workspace.runtime == "sysbox-runc" else ()
    after = (Role.NAMESPACE, *GUARD_RAILS, *runtime_class, *(planned.role for planned in made))
    workload = objects.workload(
        ns, workspace, supervisor, is_canary, skip_await, bootstrap, kubernetes_minor=kubernetes_minor
    )
    made.append(Planned(Role.WORKSPACE, workload, after, replaced_on=REPLACED_ON))
    return WorkspacePlan(workspace.name, workspace.runtime, tuple(made))


def stack(
    supervisor: SupervisorSection,
    *,
    sysbox_enabled: bool,
    kubernetes_minor: str,
    platform: Platform,
    seal: Callable[[str], Any],
    skip_await: bool = False,
) -> Plan:
    """Everything a stack makes for its workspaces: each runtime's namespace, then each workspace."""
    return Plan(
        tuple(
            namespace(runtime, supervisor, kubernetes_minor, platform)
            for runtime in namespaces(supervisor, sysbox_enabled)
        ),
        tuple(
            workspace(
                w, supervisor, seal=seal, kubernetes_minor=kubernetes_minor, is_canary=is_canary, skip_await=skip_await
            )
            for w, is_canary in deployed(supervisor, sysbox_enabled)
        ),
    )
