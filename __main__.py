"""cvm: one stack makes one Kubernetes cluster ready for container-based virtual machines (CVMs)."""

import pulumi

from components.clusters import create_cluster
from components.stack import outputs, read_settings
from components.sysbox import SysboxRuntime, SysboxRuntimeArgs

# 1. Settings: every rule checked before anything is registered.
settings = read_settings()

# 2. The cluster, and the provider every Kubernetes object below is created with.
cluster = create_cluster(settings)
on_cluster = pulumi.ResourceOptions(providers=[cluster.provider])

# 3. The CVM layer.
sysbox = (
    SysboxRuntime(
        "sysbox",
        SysboxRuntimeArgs(settings.sysbox.release, settings.platform, settings.skip_await),
        on_cluster,
    )
    if settings.sysbox.enabled
    else None
)

# 4. Outputs for people and for other stacks.
for name, value in outputs(settings, cluster.kubeconfig, sysbox.runtime_class_name if sysbox else None).items():
    pulumi.export(name, value)
