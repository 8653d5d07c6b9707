"""The labels and object names of cvm's contract (what users, the policy pack and other stacks rely on), defined once.

The program's builders, the cluster modules and the policy pack all read them from here; this module
imports nothing, so the policy pack can use it without loading an SDK.
"""

from __future__ import annotations

SYSTEM_NAMESPACE = "kube-system"

# CVM nodes: the installer runs where INSTALL is set, and marks the node RUNNING once Sysbox works there.
INSTALL_LABEL = {"sysbox-install": "yes"}
RUNNING_LABEL = {"sysbox-runtime": "running"}
# What the NVIDIA device plugin is placed on (the upstream chart's affinity accepts it to force a GPU node).
GPU_NODE_LABEL = {"nvidia.com/gpu.present": "true"}
# The taint GPU nodes commonly carry so that only GPU pods land there (NVIDIA's device plugin tolerates it).
GPU_TAINT = "nvidia.com/gpu"
# The taint of a cloud's CVM pool where the cluster has a system pool beside it (AKS): only workspaces and the
# Sysbox installer tolerate it, so nothing else crowds the CVM nodes (the clouds' own DaemonSets tolerate any).
CVM_TAINT = "cvm/workspaces-only"

# Sysbox, as upstream's sysbox-install.yaml names its objects.
SYSBOX_SERVICE_ACCOUNT = "sysbox-label-node"
SYSBOX_CLUSTER_ROLE = "sysbox-node-labeler"
SYSBOX_CLUSTER_ROLE_BINDING = "sysbox-label-node-rb"
SYSBOX_CONFIG_MAP = "sysbox-operational-attributes"
SYSBOX_DAEMON_SET = "sysbox-deploy-k8s"
RUNTIME_CLASS = "sysbox-runc"
# cvm's fix for containerd 2.x (components/cvm/containerd_fix.py): its ConfigMap and DaemonSet in SYSTEM_NAMESPACE.
CONTAINERD_FIX = "cvm-sysbox-containerd2"

NVIDIA_DAEMON_SET = "nvidia-device-plugin-daemonset"

# Workspaces: one workload each, named after it; the canary is a workspace with a fixed name.
CANARY_NAME = "cvm-canary"
COMPONENT_LABEL = "app.kubernetes.io/component"
INSTANCE_LABEL = "app.kubernetes.io/instance"
WORKSPACE_COMPONENT = "workspace"
PART_OF_LABEL = "app.kubernetes.io/part-of"
NAME_LABEL = "app.kubernetes.io/name"
# On a workspace's pod template: what stands for its agent's token, which the pod reads from a Secret, so that a
# new token (each Coder build gives one) changes the template and the workspace's pod starts again with it.
AGENT_TOKEN_ANNOTATION = "cvm/agent-token-sha256"


def workspace_selector(workspace: str) -> dict[str, str]:
    """What picks one workspace's pod (its Deployment's selector)."""
    return {COMPONENT_LABEL: WORKSPACE_COMPONENT, INSTANCE_LABEL: workspace}


def workspace_labels(workspace: str) -> dict[str, str]:
    return {NAME_LABEL: "cvm-workspace", **workspace_selector(workspace), PART_OF_LABEL: "cvm"}


# Each workspace namespace's guard rails: its NetworkPolicies, and the workloads' own ServiceAccount.
DENY_INGRESS_POLICY = "cvm-workspaces-deny-ingress"
LIMIT_EGRESS_POLICY = "cvm-workspaces-limit-egress"
WORKSPACE_SERVICE_ACCOUNT = "cvm-workspace"


# Each workspace's own objects, in its runtime's namespace, named after it (its Deployment is the name itself).
def agent_token_secret(workspace: str) -> str:
    return f"{workspace}-agent-token"


def env_secret(workspace: str) -> str:
    return f"{workspace}-env"


def home_claim(workspace: str) -> str:
    return f"{workspace}-home"


def agent_files(workspace: str) -> str:
    """The ConfigMap of the agent's systemd unit and script (components/cvm/workspaces/agent.py)."""
    return f"{workspace}-coder-agent"
