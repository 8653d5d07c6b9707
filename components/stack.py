"""The stack's edges: reading its config, and the outputs other stacks and tools read."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.clusters.create import VERSION_OUTPUT, Cluster
from components.config import Settings, SettingsError, load_settings
from components.cvm.sysbox import SysboxRuntime
from components.cvm.workspaces.homes import HOMES_OUTPUT
from components.cvm.workspaces.supervisor import WorkspaceSupervisor


def read_settings() -> Settings:
    """The validated settings of this stack; bad config ends the run with one clean message, nothing registered."""
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {k for k in config if runtime_config.is_config_secret(k)}
    secret_keys.update(runtime_config.get_config_secret_keys_env())
    try:
        return load_settings(config, pulumi.get_stack(), secret_keys)
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None


def awaits_workspaces(settings: Settings) -> bool:
    """Whether `pulumi up` waits for the workspaces to be ready: not when it has been told not to, and not when
    they cannot be scheduled at all (no CVM node listed), which it says instead of waiting ten minutes."""
    waiting = settings.waiting_for_cvm_nodes
    if waiting:
        pulumi.log.warn(
            f"cvm:baremetal.nodes lists no CVM node, so {', '.join(waiting)} cannot be scheduled and will stay "
            "Pending; pulumi up does not wait for them. List the nodes (labelled sysbox-install=yes) to run them."
        )
    return not (settings.skip_await or waiting)


def outputs(
    settings: Settings, cluster: Cluster, sysbox: SysboxRuntime | None, supervisor: WorkspaceSupervisor
) -> dict[str, Any]:
    """The stack outputs (docs/configuration.md, "Stack outputs")."""
    return {
        "platform": settings.platform,
        "clusterName": settings.name,
        VERSION_OUTPUT: settings.kubernetes_minor,  # the next run's minor step is checked against it
        "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
        "runtimeClassName": sysbox.runtime_class_name if sysbox else None,
        "sysboxVersion": settings.sysbox.version if sysbox else None,
        "workspaceNamespace": supervisor.namespace_name,
        # absent when no workspace runs under envbox (docs/configuration.md)
        **({"envboxNamespace": envbox} if (envbox := supervisor.envbox_namespace_name) is not None else {}),
        "workspaces": supervisor.workspace_names,
        HOMES_OUTPUT: supervisor.homes,  # the next run refuses a change that would move one of them
        "gpuEnabled": settings.gpu.enabled,
    }
