"""cvm: one stack makes one Kubernetes cluster ready for container-based virtual machines (CVMs)."""

from components.lasting import lasting

# Everything imported here lives as long as the program: no garbage collection while it is made, and frozen
# afterwards (components/lasting.py).
with lasting():
    import pulumi

    from components.clusters.create import create_cluster
    from components.cvm.gpu import NvidiaDevicePlugin, NvidiaDevicePluginArgs
    from components.cvm.sysbox import SysboxRuntime, SysboxRuntimeArgs
    from components.cvm.workspaces.supervisor import WorkspaceSupervisor, WorkspaceSupervisorArgs
    from components.last_run import last_outputs
    from components.stack import awaits_workspaces, outputs, read_settings

# 1. Settings: every rule checked before anything is registered.
settings = read_settings()

# 2. What the stack last deployed, which some changes are checked against; then the cluster, and the provider
#    every Kubernetes object below is created with.
last = last_outputs(settings.name)
cluster = create_cluster(settings, last)
on_cluster = pulumi.ResourceOptions(providers=[cluster.provider])

# 3. The CVM layer: the Sysbox runtime, GPUs (bare metal only), and the workspaces.
sysbox = (
    SysboxRuntime(
        "sysbox",
        SysboxRuntimeArgs(
            release=settings.sysbox.release,
            platform=settings.platform,
            skip_await=settings.skip_await,
            containerd_fix=settings.sysbox.containerd_fix,
        ),
        on_cluster,
    )
    if settings.sysbox.enabled
    else None
)
if settings.gpu.enabled and settings.baremetal is not None:
    NvidiaDevicePlugin(
        "nvidia",
        NvidiaDevicePluginArgs(
            version=settings.gpu.device_plugin_version,
            gpu_nodes=settings.baremetal.gpu_nodes,
            skip_await=settings.skip_await,
        ),
        on_cluster,
    )
supervisor = WorkspaceSupervisor(
    "workspaces",
    WorkspaceSupervisorArgs(
        supervisor=settings.supervisor,
        kubernetes_minor=settings.kubernetes_minor,
        platform=settings.platform,
        skip_await=not awaits_workspaces(settings),
        runtime_class=sysbox.runtime_class if sysbox else None,
        last_outputs=last,
    ),
    on_cluster,
)

# 4. Outputs for people and for other stacks.
for name, value in outputs(settings, cluster, sysbox, supervisor).items():
    pulumi.export(name, value)
