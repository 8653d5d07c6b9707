"""A workspace with everything decided: what resolve.py makes of the config (or of the Coder template's
stand-ins), and all that the renderers (objects.py, pods.py, agent.py, homes.py) read. Plain frozen data; its
strings may be Terraform expressions when the Coder template resolves a workspace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr

from components.facts.platforms import Platform
from components.facts.runtimes import Runtime


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


@dataclass(frozen=True, kw_only=True)
class ResolvedNamespace:
    """A runtime's namespace: its name, the Pod Security level it enforces at the cluster's minor, and what its
    egress policy lets out (the Coder it talks to, the platform's DNS)."""

    runtime: Runtime
    name: str
    pod_security: str
    kubernetes_minor: str
    coder_url: str | None
    platform: Platform


@dataclass(frozen=True, kw_only=True)
class Placement:
    node_selector: Mapping[str, str]
    tolerations: tuple[Mapping[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class Storage:
    """Where the home is: the claim `claim` of `size` on `storage_class` (None: the cluster's default), or, with no
    claim (the canary), an emptyDir of at most `scratch_limit` (None: bounded by the pod's scratch limit alone).
    `inner_docker`, `inner_containerd`: the home's folders that hold the workspace's inner Docker store and its
    inner containerd's (Docker's containerd image store)."""

    claim: str | None
    size: str
    storage_class: str | None
    scratch_limit: str | None
    inner_docker: str
    inner_containerd: str


@dataclass(frozen=True, kw_only=True)
class AgentStart:
    """How Coder's agent starts: `script` (cvm's or Coder's, after the CA trust lines when there are CAs), run by
    envbox itself, or, with `files` (the ConfigMap of its systemd unit and the script), by the pod's systemd."""

    script: str
    files: str | None


@dataclass(frozen=True, kw_only=True)
class Envbox:
    """envbox's own options, the same for every envbox workspace of a stack (the supervisor's)."""

    image: str
    image_pull_secret: str | None
    docker_bridge_cidr: str | None


@dataclass(frozen=True, kw_only=True)
class ResolvedWorkspace:
    """One workspace (or the canary), decided. `entry`: its position in cvm:supervisor.workspaces (None: the
    canary, or a Coder template's workspace). `objects`: the roles of its own objects, its workload left out;
    `waits_for`: what the workload waits for. `token_secret`, `env_secret`: its Secrets' names (None: it has
    none). `ca_certificates`: the ConfigMap of CAs its pod mounts. `cpu`: its CPU request and limit (a quantity,
    or a Terraform expression)."""

    name: str
    entry: int | None
    runtime: Runtime
    namespace: str
    canary: bool
    skip_await: bool
    image: str
    username: str
    home: str
    cpu: str
    memory: str
    gpus: int
    placement: Placement
    runtime_class: str | None
    pod_annotations: Mapping[str, str]
    coder_url: str | None
    agent_token: SecretStr | None
    token_secret: str | None
    agent: AgentStart | None
    secret_env: Mapping[str, SecretStr]
    env_secret: str | None
    inner_env: Mapping[str, str]
    fuse: bool
    tun: bool
    ca_certificates: str | None
    envbox: Envbox | None
    storage: Storage
    chown_home: bool  # a claim that a non-root user's pod hands over to that user first (pods.py `_home_owner`)
    objects: tuple[Role, ...]
    waits_for: tuple[Role, ...]


@dataclass(frozen=True, kw_only=True)
class ResolvedStack:
    """Everything a stack makes for its workspaces. `namespace`: cvm:supervisor.namespace as configured;
    `runtime_namespaces`: where each runtime's workspaces live, made or not (homes.py reads where a home was)."""

    namespace: str
    storage_class: str | None
    runtime_namespaces: Mapping[Runtime, str]
    namespaces: tuple[ResolvedNamespace, ...]  # the configured namespace first
    workspaces: tuple[ResolvedWorkspace, ...]  # the canary first
