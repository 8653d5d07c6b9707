"""The workspace resolver (components/cvm/workspaces/resolve.py): each workspace and the canary decided once,
and the renderers reading nothing but what it decided."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from components.coder_template import template
from components.coder_template.terraform import ref
from components.config import Supervisor, Workspace
from components.cvm.workspaces import agent, resolve
from components.cvm.workspaces.resolved import GUARD_RAILS, AgentStart, ResolvedWorkspace, Role, Storage
from components.facts import compatibility
from components.facts.runtimes import FACTS, Runtime
from components.kube.names import AGENT_TOKEN_ANNOTATION, CANARY_NAME, CVM_TAINT, GPU_TAINT

IMAGE = "ghcr.io/acme/workspace:2026.11"
CODER = "https://coder.example.com"


def supervisor(*workspaces: dict[str, Any], **changes: Any) -> Supervisor:
    return Supervisor.model_validate({"namespace": "team", "workspaces": list(workspaces), **changes})


def entry(name: str, runtime: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, "runtime": runtime, **fields}


def resolved(section: Supervisor, *, sysbox_enabled: bool = True, minor: str = "1.34") -> dict[str, ResolvedWorkspace]:
    made = resolve.stack(section, sysbox_enabled=sysbox_enabled, kubernetes_minor=minor, platform="baremetal")
    return {w.name: w for w in made.workspaces}


def with_coder(**changes: Any) -> dict[str, ResolvedWorkspace]:
    """ann under envbox and bea under sysbox-runc, both talking to a Coder."""
    both = (entry("ann", "envbox", agentToken="a"), entry("bea", "sysbox-runc", agentToken="b"))
    return resolved(supervisor(*both, coderUrl=CODER, **changes))


def test_every_runtime_of_the_config_has_its_facts() -> None:
    """The config's runtime is the facts' type, and each of its values has its row."""
    assert Workspace.model_fields["runtime"].annotation is Runtime
    assert set(FACTS) == set(Runtime) and [str(r) for r in Runtime] == ["envbox", "sysbox-runc"]
    assert {r: FACTS[r].pod_security for r in Runtime} == {"envbox": "privileged", "sysbox-runc": "baseline"}


def test_each_runtime_has_its_namespace() -> None:
    assert resolve.namespace_of("cvm-workspaces", Runtime.ENVBOX) == "cvm-workspaces-envbox"
    assert resolve.namespace_of("cvm-workspaces", Runtime.SYSBOX_RUNC) == "cvm-workspaces"
    # the longest namespace accepted still makes a DNS label
    assert len(resolve.namespace_of("a" * 56, Runtime.ENVBOX)) == 63
    made = resolve.stack(supervisor(entry("ann", "envbox")), sysbox_enabled=True, kubernetes_minor="1.34",
                         platform="gke")  # fmt: skip
    assert [(n.runtime, n.name, n.pod_security) for n in made.namespaces] == [
        (Runtime.SYSBOX_RUNC, "team", "baseline"),
        (Runtime.ENVBOX, "team-envbox", "privileged"),
    ]
    assert {w.name: w.namespace for w in made.workspaces} == {CANARY_NAME: "team", "ann": "team-envbox"}
    assert made.runtime_namespaces == {Runtime.ENVBOX: "team-envbox", Runtime.SYSBOX_RUNC: "team"}


def test_every_object_is_named_once_after_its_workspace() -> None:
    made = with_coder()
    ann, bea = made["ann"], made["bea"]
    assert (ann.token_secret, ann.storage.claim, ann.env_secret) == ("ann-agent-token", "ann-home", None)
    assert bea.agent is not None and bea.agent.files == "bea-coder-agent"
    secret = resolved(supervisor(entry("cy", "envbox", secretEnv={"K": "v"})))["cy"]
    assert secret.env_secret == "cy-env" and secret.token_secret is None


def test_the_agent_starts_where_a_workspace_talks_to_coder() -> None:
    """Decided once: envbox runs cvm's script itself; a sysbox-runc pod's systemd, from its files. No Coder, or the
    canary: no agent, though the canary is still told Coder's URL."""
    made = with_coder()
    script = agent.script(f"{CODER}/")
    assert made["ann"].agent == AgentStart(script=script, files=None)
    assert made["bea"].agent == AgentStart(script=script, files="bea-coder-agent")
    assert made[CANARY_NAME].agent is None and made[CANARY_NAME].coder_url == f"{CODER}/"
    alone = resolved(supervisor(entry("ann", "envbox"), entry("bea", "sysbox-runc")))
    assert alone["ann"].agent is alone["bea"].agent is None
    assert alone["ann"].coder_url is None


def test_the_supervisors_cas_are_trusted_by_envbox_and_by_agents() -> None:
    made = with_coder(caCertificates="corp-ca")
    assert made["ann"].ca_certificates == made["bea"].ca_certificates == "corp-ca"
    assert made["bea"].agent is not None and made["bea"].agent.script.startswith(agent.trust_lines())
    # envbox trusts them for its own pulls too; a sysbox-runc pod without an agent needs none
    alone = resolved(supervisor(entry("ann", "envbox"), entry("bea", "sysbox-runc"), caCertificates="corp-ca"))
    assert alone["ann"].ca_certificates == "corp-ca" and alone["bea"].ca_certificates is None


def test_the_canary_is_ephemeral_and_small() -> None:
    made = resolved(supervisor(entry("bea", "sysbox-runc", cpus=3), storageClass="fast"))
    canary, bea = made[CANARY_NAME], made["bea"]
    assert (canary.canary, canary.entry, canary.cpu, canary.objects) == (True, None, resolve.CANARY_CPU, ())
    assert canary.storage.claim is None and canary.storage.scratch_limit == resolve.CANARY_HOME_LIMIT
    assert (bea.canary, bea.entry, bea.cpu, bea.objects) == (False, 0, "3", (Role.HOME,))
    assert bea.storage == Storage(
        claim="bea-home",
        size="20Gi",
        storage_class="fast",
        scratch_limit=None,
        inner_docker=resolve.INNER_DOCKER,
        inner_containerd=resolve.INNER_CONTAINERD,
    )
    # under envbox the canary's home also holds envbox's stores: bounded by the pod's scratch limit alone
    envbox_canary = resolved(supervisor(), sysbox_enabled=False)[CANARY_NAME]
    assert envbox_canary.runtime == Runtime.ENVBOX and envbox_canary.storage.scratch_limit is None


def test_only_a_sysbox_runc_user_other_than_root_gets_its_home_handed_over() -> None:
    made = resolved(supervisor(entry("bea", "sysbox-runc"), entry("rob", "sysbox-runc", username="root"),
                               entry("ann", "envbox")))  # fmt: skip
    assert {name: w.chown_home for name, w in made.items()} == {
        CANARY_NAME: False,  # no claim
        "bea": True,
        "rob": False,
        "ann": False,  # envbox hands its mounts over itself
    }
    assert (made["rob"].home, made["bea"].home) == ("/root", "/home/coder")


def test_placement_and_the_node_runtime() -> None:
    made = resolved(supervisor(entry("ann", "envbox", gpus=1), entry("bea", "sysbox-runc")))
    ann, bea = made["ann"], made["bea"]
    assert ann.placement.node_selector == {"nvidia.com/gpu.present": "true", "kubernetes.io/arch": "amd64"}
    assert [t["key"] for t in ann.placement.tolerations] == [GPU_TAINT]
    assert bea.placement.node_selector == {"sysbox-install": "yes"}
    assert [t["key"] for t in bea.placement.tolerations] == [CVM_TAINT]
    assert (ann.runtime_class, bea.runtime_class) == (None, "sysbox-runc")
    assert ann.envbox is not None and bea.envbox is None


@pytest.mark.parametrize("minor", ["1.32", "1.34"])
def test_the_pod_annotations_follow_the_clusters_minor(minor: str) -> None:
    made = resolved(supervisor(entry("ann", "envbox"), entry("bea", "sysbox-runc")), minor=minor)
    expected = compatibility.CRIO_USERNS_ANNOTATION if minor == "1.32" else {}
    assert made["bea"].pod_annotations == expected and made["ann"].pod_annotations == {}


def test_a_new_agent_token_changes_the_pod_template_and_never_shows_there() -> None:
    """A new token (each Coder START build gives one) must restart the pod, which reads it from a Secret only at
    its start: the template carries a digest of it (issue 31). Without a token, no annotation."""
    first, second = with_coder(), resolved(supervisor(entry("ann", "envbox", agentToken="a2"), coderUrl=CODER))
    digest = first["ann"].pod_annotations[AGENT_TOKEN_ANNOTATION]
    assert len(digest) == 16 and "a" != digest != second["ann"].pod_annotations[AGENT_TOKEN_ANNOTATION]
    assert digest == resolve.token_digest_of(SecretStr("a"))  # the same token, the same template: nothing restarts
    assert first["bea"].pod_annotations[AGENT_TOKEN_ANNOTATION] == resolve.token_digest_of(SecretStr("b"))
    assert AGENT_TOKEN_ANNOTATION not in resolved(supervisor(entry("cat", "envbox")))["cat"].pod_annotations


def test_the_workload_waits_for_its_namespace_and_all_of_its_own() -> None:
    made = with_coder()
    assert made["ann"].objects == (Role.AGENT_TOKEN, Role.HOME)
    assert made["ann"].waits_for == (Role.NAMESPACE, *GUARD_RAILS, Role.AGENT_TOKEN, Role.HOME)
    assert made["bea"].objects == (Role.AGENT_TOKEN, Role.AGENT_FILES, Role.HOME)
    assert made["bea"].waits_for == (Role.NAMESPACE, *GUARD_RAILS, Role.RUNTIME_CLASS, *made["bea"].objects)


def test_a_resolved_workspace_is_frozen() -> None:
    ann = with_coder()["ann"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ann.namespace = "elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize("runtime", list(Runtime))
def test_the_canary_is_a_workspace_the_config_accepts(runtime: Runtime) -> None:
    fields = dataclasses.asdict(resolve.Canary(runtime))
    # every field of a workspace, each as the config would take it (the config's keys are camelCase)
    assert Workspace.model_validate(fields, by_name=True).model_dump() == fields


def test_a_coder_templates_workspace_resolves_to_terraform_expressions() -> None:
    init_script = ref("coder_agent.main.init_script")
    made = resolve.workspace(
        template.TemplateWorkspace(Runtime.SYSBOX_RUNC),
        template.TemplateSupervisor.of(supervisor()),
        kubernetes_minor="1.34",
        bootstrap=init_script,
    )
    me = ref("data.coder_workspace.me.id")
    assert (made.name, made.storage.claim, made.token_secret) == (
        f"coder-{me}",
        f"coder-{me}-home",
        f"coder-{me}-agent-token",
    )
    assert made.cpu == ref("data.coder_parameter.cpus.value") and not made.canary
    assert made.agent == AgentStart(script=init_script, files=f"coder-{me}-coder-agent")
    assert made.coder_url == ref("data.coder_workspace.me.access_url")


def test_envbox_workspaces_are_warned_of_the_sysbox_envbox_bundles() -> None:
    """The pinned envbox image bundles Sysbox 0.7.0, which has the sysbox-fs deadlock (nestybox/sysbox#998):
    said once, naming the workspaces under it (the canary too, under envbox without Sysbox); not without one, nor
    for an envbox image the stack chose."""

    def warned(section: Supervisor, *, sysbox_enabled: bool) -> list[str]:
        return resolve.known_problems(
            resolve.stack(section, sysbox_enabled=sysbox_enabled, kubernetes_minor="1.34", platform="baremetal")
        )

    (warning,) = warned(supervisor(entry("ann", "envbox"), entry("bea", "sysbox-runc")), sysbox_enabled=True)
    assert "(ann)" in warning and "nestybox/sysbox#998" in warning and "Sysbox 0.7.0" in warning
    (warning,) = warned(supervisor(entry("bea", "sysbox-runc")), sysbox_enabled=False)
    assert f"({CANARY_NAME})" in warning
    assert warned(supervisor(entry("bea", "sysbox-runc")), sysbox_enabled=True) == []
    own = supervisor(entry("ann", "envbox"), envboxImage="registry.example.com/envbox:0.7.1-build")
    assert warned(own, sysbox_enabled=True) == []


def imported(module: str) -> set[str]:
    source = (Path(resolve.__file__).parent / f"{module}.py").read_text()
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


@pytest.mark.parametrize("module", ["objects", "pods", "agent", "homes"])
def test_the_renderers_never_call_back_into_the_resolver_or_the_plan(module: str) -> None:
    """They read resolved values (resolved.py) only: not the resolver, the plan, or what the resolver reads."""
    package = "components.cvm.workspaces"
    found = imported(module)
    assert any(name.startswith(f"{package}.resolved") for name in found), found
    callers = {f"{package}.{m}" for m in ("resolve", "plan", "inputs", "supervisor")}
    assert not {name for name in found if name in callers or name.rpartition(".")[0] in callers}


@pytest.mark.parametrize("module", ["agent", "homes", "inputs", "objects", "plan", "pods", "resolve", "resolved"])
def test_the_pure_builders_read_no_config_model(module: str) -> None:
    """The resolver reads the protocols of inputs.py, which the config models and the Coder template's stand-ins
    satisfy; the rest reads what it resolved."""
    found = imported(module)
    assert found and not {name for name in found if name.startswith("components.config")}
