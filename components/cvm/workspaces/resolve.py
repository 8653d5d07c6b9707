"""The workspace resolver: each workspace of a stack (and the canary), or a Coder template's workspace, decided
once into a `ResolvedWorkspace` (resolved.py): its runtime's namespace, its objects' names, placement, storage,
how its agent starts and what trusts the supervisor's CAs, what it waits for. The renderers read that value and
decide nothing. Pure: the protocols of inputs.py in, resolved.py's values out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.version import Version
from pydantic import SecretStr

from components.cvm.workspaces import agent
from components.cvm.workspaces.inputs import SupervisorFields, SupervisorSection, WorkspaceFields
from components.cvm.workspaces.resolved import (
    GUARD_RAILS,
    AgentStart,
    Envbox,
    Placement,
    ResolvedNamespace,
    ResolvedStack,
    ResolvedWorkspace,
    Role,
    Storage,
)
from components.facts import compatibility, issues, pins
from components.facts.platforms import Platform
from components.facts.runtimes import FACTS, Runtime
from components.kube import manifest, names

# The canary only boots systemd and asks Docker for its version: half a CPU, so that it leaves a node's whole
# CPUs to the workspaces (on a 2-CPU node, the canary and a 1-CPU workspace beside the installer's request).
CANARY_CPU = "500m"
# The canary's home, an emptyDir under sysbox-runc; under envbox it also holds envbox's Docker stores (the
# workspace image), so it is bounded by the pod's scratch limit alone (pods.py SCRATCH_LIMIT).
CANARY_HOME_LIMIT = "1Gi"
# Where a workspace's inner Docker keeps its images and containers: in the home volume, so bounded by the
# home's size and kept across restarts, as the home is. Under envbox, the inner container's store; under
# sysbox-runc, the pod's own /var/lib/docker, which Sysbox would otherwise put on an implicit host directory
# that no volume bounds and that goes with each stop (nestybox/sysbox docs/user-guide/dind.md, "Persistence of
# Inner Docker Images", at 27cb713f: a volume there is used instead, by one container at a time, which the
# Deployment's `Recreate` and the home's ReadWriteOnce keep).
INNER_DOCKER = "cache/docker"
# And the inner containerd's, for the same reasons: from Docker Engine 29.0 a fresh install keeps its images in
# containerd's image store, under /var/lib/containerd, not /var/lib/docker (Docker Engine 29 release notes,
# docs.docker.com/engine/storage/containerd/), which Sysbox would otherwise also put on a host directory of its
# own (issue 31).
INNER_CONTAINERD = "cache/containerd"


@dataclass(frozen=True)
class Canary:
    """The canary workspace (inputs.WorkspaceFields): the canary image as its own `coder` user (facts/pins.py),
    with no agent; ephemeral, its home an emptyDir. Under sysbox-runc where the stack installs Sysbox (it proves
    the installer, the RuntimeClass and the node runtime), else under envbox."""

    runtime: Runtime
    name: str = names.CANARY_NAME
    image: str = pins.CANARY_IMAGE
    username: str = "coder"
    cpus: int | str = 1
    memory: str = "2Gi"
    disk: str = "1Gi"  # read by nothing: the canary has no home volume
    gpus: int = 0
    agent_token: SecretStr | None = None
    fuse: bool = False
    tun: bool = False
    inner_env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, SecretStr] = field(default_factory=dict)


def namespace_of(configured: str, runtime: Runtime) -> str:
    """Where a runtime's workspaces live, under cvm:supervisor.namespace (facts/runtimes.py)."""
    return f"{configured}{FACTS[runtime].namespace_suffix}"


def home_dir(username: str) -> str:
    return "/root" if username == "root" else f"/home/{username}"


def placement(gpus: int) -> Placement:
    """Where a workspace may run: on the CVM nodes (every platform labels them `sysbox-install: "yes"`, and AKS's
    CVM pool is tainted for them), a GPU workspace on the GPU nodes, tolerating their taint. A GPU workspace also
    takes the architecture of the host library directory it mounts (pods.py HOST_LIB_DIR is amd64's)."""
    if gpus:
        selector = {**names.GPU_NODE_LABEL, "kubernetes.io/arch": "amd64"}
        return Placement(node_selector=selector, tolerations=(manifest.toleration(names.GPU_TAINT),))
    return Placement(node_selector=dict(names.INSTALL_LABEL), tolerations=(manifest.toleration(names.CVM_TAINT),))


def _agent(workspace: WorkspaceFields, supervisor: SupervisorFields, given: str | None) -> AgentStart | None:
    """The agent starts where the workspace talks to a Coder (a token and its URL). envbox runs the script itself
    (coder/envbox cli/docker.go); a sysbox-runc pod boots its image's systemd, which starts it from the files."""
    url = supervisor.coder_url_text
    if workspace.agent_token is None or url is None:
        return None
    files = names.agent_files(workspace.name) if workspace.runtime is Runtime.SYSBOX_RUNC else None
    return AgentStart(script=agent.bootstrap(url, given, supervisor.ca_certificates), files=files)


def token_digest_of(token: SecretStr | None) -> str | None:
    """The first 16 hex digits of the token's SHA-256: enough to tell a new token from the last, and nothing a
    reader of the pod template could use. The pod reads the token itself from its Secret, whose change alone
    restarts nothing (a `secretKeyRef` is read once, at the container's start), so the template carries this:
    a START build of Coder gives the agent a new token every time (coder/terraform-provider-coder
    provider/agent.go), and the workspace must then start again with it (issue 31)."""
    if token is None:
        return None
    return hashlib.sha256(token.get_secret_value().encode()).hexdigest()[:16]


def workspace(
    workspace: WorkspaceFields,
    supervisor: SupervisorFields,
    *,
    kubernetes_minor: str,
    canary: bool = False,
    entry: int | None = None,
    skip_await: bool = False,
    bootstrap: str | None = None,
    token_digest: str | None = None,
) -> ResolvedWorkspace:
    """One workspace on a cluster of `kubernetes_minor`. `entry`: its position in cvm:supervisor.workspaces (a
    Coder template's and the canary have none). `bootstrap`: the script that starts the agent; None: cvm's own
    (agent.script), a Coder template gives Coder's. `token_digest`: what stands for the agent's token on the pod
    template (names.AGENT_TOKEN_ANNOTATION); None: token_digest_of its token, a Coder template gives Terraform's."""
    runtime = workspace.runtime
    facts = FACTS[runtime]
    start = _agent(workspace, supervisor, bootstrap)
    digest = token_digest if token_digest is not None else token_digest_of(workspace.agent_token)
    sysbox_annotations = compatibility.sysbox_pod_annotations(Version(kubernetes_minor)) if facts.node_sysbox else {}
    claim = None if canary else names.home_claim(workspace.name)
    own = (
        *((Role.AGENT_TOKEN,) if workspace.agent_token is not None else ()),
        *((Role.SECRET_ENV,) if workspace.secret_env else ()),
        *((Role.AGENT_FILES,) if start is not None and start.files is not None else ()),
        *((Role.HOME,) if claim is not None else ()),
    )
    envbox = runtime is Runtime.ENVBOX
    return ResolvedWorkspace(
        name=workspace.name,
        entry=entry,
        runtime=runtime,
        namespace=namespace_of(supervisor.namespace, runtime),
        canary=canary,
        skip_await=skip_await,
        image=workspace.image,
        username=workspace.username,
        home=home_dir(workspace.username),
        cpu=CANARY_CPU if canary else str(workspace.cpus),
        memory=workspace.memory,
        gpus=workspace.gpus,
        placement=placement(workspace.gpus),
        runtime_class=names.RUNTIME_CLASS if facts.node_sysbox else None,
        pod_annotations={
            **sysbox_annotations,
            **({names.AGENT_TOKEN_ANNOTATION: digest} if digest is not None and workspace.agent_token else {}),
        },
        coder_url=supervisor.coder_url_text,
        agent_token=workspace.agent_token,
        token_secret=names.agent_token_secret(workspace.name) if workspace.agent_token is not None else None,
        agent=start,
        secret_env=workspace.secret_env,
        env_secret=names.env_secret(workspace.name) if workspace.secret_env else None,
        inner_env=workspace.inner_env,
        fuse=workspace.fuse,
        tun=workspace.tun,
        # envbox trusts them itself (its pulls, the inner Docker's registries); a sysbox-runc pod, for its agent
        ca_certificates=supervisor.ca_certificates if envbox or start is not None else None,
        envbox=Envbox(
            image=supervisor.envbox_image,
            image_pull_secret=supervisor.image_pull_secret,
            docker_bridge_cidr=supervisor.docker_bridge_cidr,
        )
        if envbox
        else None,
        storage=Storage(
            claim=claim,
            size=workspace.disk,
            storage_class=supervisor.storage_class,
            scratch_limit=CANARY_HOME_LIMIT if canary and not envbox else None,
            inner_docker=INNER_DOCKER,
            inner_containerd=INNER_CONTAINERD,
        ),
        # envbox hands its mounts to the inner user itself
        chown_home=not envbox and claim is not None and workspace.username != "root",
        objects=own,
        waits_for=(Role.NAMESPACE, *GUARD_RAILS, *((Role.RUNTIME_CLASS,) if facts.node_sysbox else ()), *own),
    )


def deployed(supervisor: SupervisorSection, *, sysbox_enabled: bool) -> list[tuple[WorkspaceFields, int | None]]:
    """The workspaces a stack deploys, each with its entry in the config (the canary first, its entry None)."""
    canary = Canary(Runtime.SYSBOX_RUNC if sysbox_enabled else Runtime.ENVBOX)
    return [*([(canary, None)] if supervisor.canary else []), *((w, i) for i, w in enumerate(supervisor.workspaces))]


def namespaces(supervisor: SupervisorSection, *, sysbox_enabled: bool) -> dict[Runtime, str]:
    """Each runtime's namespace that a stack makes: the configured namespace always (sysbox-runc workspaces live
    there, whatever else is deployed); another runtime's, such as envbox's privileged one, only when a workspace
    runs under it."""
    used = {w.runtime for w, _ in deployed(supervisor, sysbox_enabled=sysbox_enabled)}
    made = [r for r in Runtime if not FACTS[r].namespace_suffix or r in used]
    return {r: namespace_of(supervisor.namespace, r) for r in sorted(made, key=lambda r: FACTS[r].namespace_suffix)}


def stack(
    supervisor: SupervisorSection,
    *,
    sysbox_enabled: bool,
    kubernetes_minor: str,
    platform: Platform,
    skip_await: bool = False,
) -> ResolvedStack:
    """Every namespace and workspace a stack makes, resolved."""
    made = namespaces(supervisor, sysbox_enabled=sysbox_enabled)
    return ResolvedStack(
        namespace=supervisor.namespace,
        storage_class=supervisor.storage_class,
        runtime_namespaces={r: namespace_of(supervisor.namespace, r) for r in Runtime},
        namespaces=tuple(
            ResolvedNamespace(
                runtime=runtime,
                name=name,
                pod_security=FACTS[runtime].pod_security,
                kubernetes_minor=kubernetes_minor,
                coder_url=supervisor.coder_url_text,
                platform=platform,
            )
            for runtime, name in made.items()
        ),
        workspaces=tuple(
            workspace(
                w,
                supervisor,
                kubernetes_minor=kubernetes_minor,
                canary=entry is None,
                entry=entry,
                skip_await=skip_await,
            )
            for w, entry in deployed(supervisor, sysbox_enabled=sysbox_enabled)
        ),
    )


def known_problems(resolved: ResolvedStack) -> list[str]:
    """The upstream problems of the Sysbox that the pinned envbox image bundles (facts/issues.py ENVBOX_ISSUES),
    when a workspace runs under it; an image of the stack's own choosing is not second-guessed."""
    under = [w.name for w in resolved.workspaces if w.envbox is not None and w.envbox.image == pins.ENVBOX_IMAGE]
    if not under:
        return []
    return [
        f"{Runtime.ENVBOX} workspaces ({', '.join(under)}) run the Sysbox {pins.ENVBOX_SYSBOX} that "
        f"{pins.ENVBOX_IMAGE} bundles: {issue.symptom} ({issue.id}; {issue.status}); no envbox release is known to "
        "bundle a fixed one"
        for issue in issues.ENVBOX_ISSUES
        if pins.ENVBOX_SYSBOX in issue.sysbox
    ]
