"""`WorkspaceSupervisor`: registers the workspace namespace, its guard rails, and each workspace's objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.config import Supervisor
from components.cvm.workspaces import agent, homes, objects, pods
from components.kube import register
from components.last_run import LastOutputs


@dataclass(frozen=True)
class WorkspaceSupervisorArgs:
    supervisor: Supervisor
    kubernetes_minor: str
    sysbox_enabled: bool
    skip_await: bool = False
    # the sysbox-runc RuntimeClass, which sysbox-runc workloads wait for
    runtime_class: pulumi.Resource | None = None
    # the stack's last outputs, against which a move of a home is refused (components/last_run.py)
    last_outputs: LastOutputs | None = None


class WorkspaceSupervisor(pulumi.ComponentResource):
    """The workspace namespace and its guard rails, and one Deployment (and home volume) per workspace."""

    def __init__(self, name: str, args: WorkspaceSupervisorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:index:WorkspaceSupervisor", name, None, opts)
        supervisor = args.supervisor
        planned = objects.planned(supervisor, args.sysbox_enabled)
        namespaces = objects.namespaces(supervisor, args.sysbox_enabled)
        self._gate = self._homes_stay(args)
        shared = {runtime: self._namespace(ns, runtime, args) for runtime, ns in namespaces.items()}

        self.workloads: dict[str, pulumi.Resource] = {}
        for workspace, is_canary in planned:
            ns, frame = namespaces[workspace.runtime], shared[workspace.runtime]
            in_namespace = pulumi.ResourceOptions(parent=self, depends_on=frame[:1])
            needs: list[pulumi.Resource] = list(frame)
            if workspace.runtime == "sysbox-runc" and args.runtime_class is not None:
                needs.append(args.runtime_class)
            if workspace.agent_token is not None:
                token = pulumi.Output.secret(workspace.agent_token.get_secret_value())
                needs.append(register.create(objects.agent_secret(ns, workspace, token), in_namespace))
            coder_url = supervisor.coder_url_text
            if workspace.runtime == "sysbox-runc" and coder_url is not None and pods.with_agent(workspace, coder_url):
                unit = agent.config_map(ns, workspace, agent.script(coder_url), pods.home_dir(workspace.username))
                needs.append(register.create(unit, in_namespace))
            if not is_canary:
                # a user's home outlives its workspace: Pulumi forgets it, the cluster keeps it (homes.py)
                volume = objects.home_volume(ns, workspace, supervisor.storage_class, args.skip_await)
                kept = pulumi.ResourceOptions(parent=self, depends_on=frame[:1], retain_on_delete=True)
                needs.append(register.create(volume, kept, self._gate))
            manifest = objects.workload(ns, workspace, supervisor, is_canary, args.skip_await)
            self.workloads[workspace.name] = register.create(
                manifest, pulumi.ResourceOptions(parent=self, depends_on=needs)
            )

        self.namespace = shared["sysbox-runc"][0]
        self.namespace_name: pulumi.Output[str] = self.namespace.metadata.name  # type: ignore[attr-defined]
        envbox = shared.get("envbox")
        self.envbox_namespace_name: pulumi.Output[str] | None = (
            envbox[0].metadata.name if envbox else None  # type: ignore[attr-defined]
        )
        self.workspace_names: pulumi.Output[list[str]] = pulumi.Output.all(
            *(w.metadata.name for w in self.workloads.values())  # type: ignore[attr-defined]
        )
        self.homes = homes.homes(supervisor)
        self.register_outputs(
            {
                "namespace": self.namespace_name,
                "envboxNamespace": self.envbox_namespace_name,
                "workspaces": self.workspace_names,
            }
        )

    @staticmethod
    def _homes_stay(args: WorkspaceSupervisorArgs) -> pulumi.Output[None] | None:
        """Resolves when no home the stack last deployed would move; raises, naming each, when one would."""
        if args.last_outputs is None:
            return None

        def check(outputs: Mapping[str, Any]) -> None:
            refusals = homes.moves(outputs.get(homes.HOMES_OUTPUT), args.supervisor)
            if refusals:
                raise pulumi.RunError("\n".join(refusals))

        # the stack's outputs hold the kubeconfig, a secret, which would make every gated object's fields secret
        return pulumi.Output.unsecret(args.last_outputs.apply(check))

    def _namespace(self, ns: str, runtime: str, args: WorkspaceSupervisorArgs) -> list[pulumi.Resource]:
        """A workspace namespace at its runtime's Pod Security level, then its guard rails (the namespace first).
        The namespace holds homes, so it outlives the stack too: deleting it would delete them."""
        level = objects.pod_security_level(runtime)
        namespace = register.create(
            objects.namespace_object(ns, level, args.kubernetes_minor),
            pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            self._gate,
        )
        inside = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        guard_rails = (
            objects.deny_ingress(ns),
            objects.limit_egress(ns, args.supervisor.coder_url_text),
            objects.service_account(ns),
        )
        return [namespace, *(register.create(m, inside) for m in guard_rails)]
