"""Which objects the workspaces get, and how they stand to each other: the one plan that the program's
`WorkspaceSupervisor` registers and the Coder template (components/coder_template) renders, so that neither
decides again which objects exist. Pure: resolved namespaces and workspaces (resolve.py) in, plain data out.

Each runtime a stack uses gets a namespace and its guard rails. Each workspace gets, in its runtime's namespace,
the objects its resolved value names (the Secrets of its agent token and secret variables, the files that start
its agent, its home volume) and its Deployment, which waits for all of them and for its namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.cvm.workspaces import agent, objects
from components.cvm.workspaces.resolved import GUARD_RAILS, ResolvedNamespace, ResolvedStack, ResolvedWorkspace, Role
from components.facts.runtimes import Runtime


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
    runtime: Runtime
    objects: tuple[Planned, ...]  # the namespace first


@dataclass(frozen=True)
class WorkspacePlan:
    name: str
    runtime: Runtime
    objects: tuple[Planned, ...]  # the workload last


@dataclass(frozen=True)
class Plan:
    namespaces: tuple[NamespacePlan, ...]
    workspaces: tuple[WorkspacePlan, ...]  # the canary first


def namespace(resolved: ResolvedNamespace) -> NamespacePlan:
    """A runtime's namespace at its Pod Security level, then its guard rails. The namespace holds homes, so it
    outlives the stack too (deleting it would delete them) and waits for the homes check as they do."""
    ns = resolved.name
    made = objects.namespace_object(ns, resolved.pod_security, resolved.kubernetes_minor)
    guard_rails = (
        objects.deny_ingress(ns),
        objects.limit_egress(ns, resolved.coder_url, resolved.platform),
        objects.service_account(ns),
    )
    return NamespacePlan(
        resolved.runtime,
        (
            Planned(Role.NAMESPACE, made, retained=True, gated=True),
            *(Planned(role, m, (Role.NAMESPACE,)) for role, m in zip(GUARD_RAILS, guard_rails, strict=True)),
        ),
    )


def _render(role: Role, workspace: ResolvedWorkspace, seal: Callable[[str], Any]) -> dict[str, Any]:
    """One of the workspace's own objects (its workload aside), by the role the resolver gave it."""
    if role is Role.AGENT_TOKEN:
        assert workspace.agent_token is not None
        return objects.agent_secret(workspace, seal(workspace.agent_token.get_secret_value()))
    if role is Role.SECRET_ENV:
        values = {name: seal(value.get_secret_value()) for name, value in workspace.secret_env.items()}
        return objects.env_secret(workspace, values)
    if role is Role.AGENT_FILES:
        return agent.config_map(workspace)
    assert role is Role.HOME, role
    return objects.home_volume(workspace)


def workspace(resolved: ResolvedWorkspace, *, seal: Callable[[str], Any]) -> WorkspacePlan:
    """One workspace's objects, its workload last. `seal`: what its Secrets hold for a secret's text (the
    program: a secret Output)."""
    made = []
    for role in resolved.objects:
        home = role is Role.HOME  # it outlives the stack, so it waits for the homes check
        made.append(Planned(role, _render(role, resolved, seal), (Role.NAMESPACE,), retained=home, gated=home))
    made.append(Planned(Role.WORKSPACE, objects.workload(resolved), resolved.waits_for, replaced_on=REPLACED_ON))
    return WorkspacePlan(resolved.name, resolved.runtime, tuple(made))


def stack(resolved: ResolvedStack, *, seal: Callable[[str], Any]) -> Plan:
    """Everything a stack makes for its workspaces: each runtime's namespace, then each workspace."""
    return Plan(
        tuple(namespace(ns) for ns in resolved.namespaces),
        tuple(workspace(w, seal=seal) for w in resolved.workspaces),
    )
