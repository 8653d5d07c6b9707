"""`WorkspaceSupervisor`: registers the workspace namespace, its guard rails, and each workspace's objects."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config import Supervisor
from components.cvm.workspaces import objects
from components.kube import register


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
        # (workspace, is it the canary), the canary first
        planned = [(objects.canary(args.sysbox_enabled), True)] if supervisor.canary else []
        planned += [(workspace, False) for workspace in supervisor.workspaces]
        child = pulumi.ResourceOptions(parent=self)

        level = objects.pod_security_level([workspace for workspace, _ in planned])
        self.namespace = register.create(objects.namespace_object(ns, level, args.kubernetes_minor), child)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        guard_rails = (objects.deny_ingress(ns), objects.service_account(ns))
        shared = [self.namespace, *(register.create(m, in_namespace) for m in guard_rails)]

        self.workloads: dict[str, pulumi.Resource] = {}
        for workspace, is_canary in planned:
            needs: list[pulumi.Resource] = list(shared)
            if workspace.runtime == "sysbox-runc" and args.runtime_class is not None:
                needs.append(args.runtime_class)
            if workspace.agent_token is not None:
                token = pulumi.Output.secret(workspace.agent_token.get_secret_value())
                needs.append(register.create(objects.agent_secret(ns, workspace, token), in_namespace))
            if not is_canary:
                # a user's home outlives any change: deleting or replacing it is asked for by unprotecting it
                volume = objects.home_volume(ns, workspace, supervisor.storage_class, args.skip_await)
                protected = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace], protect=True)
                needs.append(register.create(volume, protected))
            manifest = objects.workload(ns, workspace, supervisor, is_canary, args.skip_await)
            self.workloads[workspace.name] = register.create(
                manifest, pulumi.ResourceOptions(parent=self, depends_on=needs)
            )

        self.namespace_name: pulumi.Output[str] = self.namespace.metadata.name  # type: ignore[attr-defined]
        self.workspace_names: pulumi.Output[list[str]] = pulumi.Output.all(
            *(w.metadata.name for w in self.workloads.values())  # type: ignore[attr-defined]
        )
        self.register_outputs({"namespace": self.namespace_name, "workspaces": self.workspace_names})
