"""The NVIDIA GPU device plugin, on bare metal only, placed on the GPU nodes alone.

`daemon_set` follows NVIDIA/k8s-device-plugin deployments/static/nvidia-device-plugin.yml of the pinned
release, plus a nodeSelector on `nvidia.com/gpu.present: "true"`: the label the upstream Helm chart's
affinity accepts to force a GPU deployment, which this component puts on the nodes of
`cvm:baremetal.gpuNodes`. Upstream's static manifest runs everywhere and idles on nodes without GPUs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.kube import manifest, register
from components.kube.names import GPU_NODE_LABEL, GPU_TAINT, NVIDIA_DAEMON_SET, SYSTEM_NAMESPACE

IMAGE = "nvcr.io/nvidia/k8s-device-plugin"


def daemon_set(version: str, *, skip_await: bool = False) -> dict[str, Any]:
    plugin_dir = "/var/lib/kubelet/device-plugins"  # where kubelet's device-plugin socket lives
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": manifest.metadata(NVIDIA_DAEMON_SET, SYSTEM_NAMESPACE, skip_await=skip_await),
        "spec": {
            "selector": {"matchLabels": {"name": "nvidia-device-plugin-ds"}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"name": "nvidia-device-plugin-ds"}},
                "spec": {
                    "nodeSelector": dict(GPU_NODE_LABEL),
                    "tolerations": [manifest.toleration(GPU_TAINT)],
                    # a critical add-on: the scheduler makes room for it after a failure
                    "priorityClassName": "system-node-critical",
                    "containers": [
                        {
                            "name": "nvidia-device-plugin-ctr",
                            "image": f"{IMAGE}:{version}",
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                            # a small daemon (upstream sets none): a leak must not take the node's memory
                            "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                            "volumeMounts": [{"name": "kubelet-device-plugins-dir", "mountPath": plugin_dir}],
                        }
                    ],
                    "volumes": [
                        {"name": "kubelet-device-plugins-dir", "hostPath": {"path": plugin_dir, "type": "Directory"}}
                    ],
                },
            },
        },
    }


@dataclass(frozen=True, kw_only=True)
class NvidiaDevicePluginArgs:
    version: str
    gpu_nodes: Sequence[str] = field(default_factory=list)
    skip_await: bool = False


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The device plugin DaemonSet, and the label that places it on each GPU node."""

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cvm:index:NvidiaDevicePlugin", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.node_labels = [
            register.create(manifest.node_label_patch(node, GPU_NODE_LABEL), child) for node in args.gpu_nodes
        ]
        self.daemon_set = register.create(daemon_set(args.version, skip_await=args.skip_await), child)
        self.register_outputs({})
