"""`WorkspaceSupervisor`: registers the workspace namespaces, their guard rails, and each workspace's objects, as
the workspace plan (plan.py) lists them for the stack's resolved workspaces (resolve.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.config import Supervisor
from components.cvm.workspaces import homes, plan, resolve
from components.cvm.workspaces.resolved import ResolvedStack, Role
from components.facts.platforms import Platform
from components.facts.runtimes import Runtime
from components.kube import register
from components.last_run import LastOutputs


@dataclass(frozen=True, kw_only=True)
class WorkspaceSupervisorArgs:
    supervisor: Supervisor
    kubernetes_minor: str
    platform: Platform  # the egress policy's DNS differs on GKE
    # where the stack installs Sysbox, its RuntimeClass, which sysbox-runc workloads wait for (None: no Sysbox,
    # the canary runs under envbox)
    runtime_class: pulumi.Resource | None = None
    skip_await: bool = False
    # the stack's last outputs, against which a move of a home is refused (components/last_run.py)
    last_outputs: LastOutputs | None = None


class WorkspaceSupervisor(pulumi.ComponentResource):
    """The workspace namespaces and their guard rails, and one Deployment (and home volume) per workspace."""

    def __init__(self, name: str, args: WorkspaceSupervisorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:index:WorkspaceSupervisor", name, None, opts)
        resolved = resolve.stack(
            args.supervisor,
            sysbox_enabled=args.runtime_class is not None,
            kubernetes_minor=args.kubernetes_minor,
            platform=args.platform,
            skip_await=args.skip_await,
        )
        for problem in resolve.known_problems(resolved):
            pulumi.log.warn(problem, resource=self)
        planned = plan.stack(resolved, seal=pulumi.Output.secret)
        self._gate = self._homes_stay(args.last_outputs, resolved)
        outside = {Role.RUNTIME_CLASS: args.runtime_class} if args.runtime_class is not None else {}
        namespaces = {ns.runtime: self._register(ns.objects, outside) for ns in planned.namespaces}
        self.workloads: dict[str, pulumi.Resource] = {}
        for workspace in planned.workspaces:
            made = self._register(workspace.objects, {**outside, **namespaces[workspace.runtime]})
            self.workloads[workspace.name] = made[Role.WORKSPACE]

        # the configured namespace, which every stack makes; envbox's, when something runs there
        self.namespace = namespaces[resolved.namespaces[0].runtime][Role.NAMESPACE]
        self.namespace_name: pulumi.Output[str] = self.namespace.metadata.name  # type: ignore[attr-defined]
        envbox = namespaces.get(Runtime.ENVBOX)
        self.envbox_namespace_name: pulumi.Output[str] | None = (
            envbox[Role.NAMESPACE].metadata.name if envbox else None  # type: ignore[attr-defined]
        )
        self.workspace_names: pulumi.Output[list[str]] = pulumi.Output.all(
            *(w.metadata.name for w in self.workloads.values())  # type: ignore[attr-defined]
        )
        self.homes = homes.homes(resolved)
        self.register_outputs(
            {
                "namespace": self.namespace_name,
                "envboxNamespace": self.envbox_namespace_name,
                "workspaces": self.workspace_names,
            }
        )

    def _register(
        self, planned: Iterable[plan.Planned], known: Mapping[Role, pulumi.Resource]
    ) -> dict[Role, pulumi.Resource]:
        """Each planned object in order, waiting for the objects it names (those of `known` or made before it)."""
        found = dict(known)
        made: dict[Role, pulumi.Resource] = {}
        for item in planned:
            options = pulumi.ResourceOptions(
                parent=self,
                depends_on=[found[role] for role in item.after],
                retain_on_delete=item.retained or None,
                # the object keeps its name: the old one must go first
                replace_on_changes=list(item.replaced_on) or None,
                delete_before_replace=bool(item.replaced_on) or None,
            )
            made[item.role] = found[item.role] = register.create(
                item.manifest, options, self._gate if item.gated else None
            )
        return made

    @staticmethod
    def _homes_stay(last_outputs: LastOutputs | None, resolved: ResolvedStack) -> pulumi.Output[None] | None:
        """Resolves when no home the stack last deployed would move; raises, naming each, when one would."""
        if last_outputs is None:
            return None

        def check(outputs: Mapping[str, Any]) -> None:
            refusals = homes.moves(outputs.get(homes.HOMES_OUTPUT), resolved)
            if refusals:
                raise pulumi.RunError("\n".join(refusals))

        # the stack's outputs hold the kubeconfig, a secret, which would make every gated object's fields secret
        return pulumi.Output.unsecret(last_outputs.apply(check))
