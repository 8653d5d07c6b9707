"""The workspace plan (components/cvm/workspaces/plan.py) of a resolved stack (resolve.py): which objects each
runtime's workspaces get, which outlive the stack and wait for the homes check, what each waits for; and that
the Coder template renders the same roles. What the resolver decides is tests/unit/cvm/test_resolve.py's."""

from __future__ import annotations

from typing import Any

import pytest

from components.coder_template import template
from components.config import Settings, Supervisor, Workspace, load_settings, stored_config
from components.cvm.workspaces import plan, resolve
from components.cvm.workspaces.resolved import GUARD_RAILS, ResolvedStack, Role
from components.facts.runtimes import Runtime
from components.kube.names import CANARY_NAME
from tests.harness import ENVBOX_ONLY, FULL, SECRET_KEYS

IMAGE = "ghcr.io/acme/workspace:2026.11"
CODER = "https://coder.example.com"


def supervisor(*workspaces: dict[str, Any], coder: bool = False, **changes: Any) -> Supervisor:
    """The section with these workspaces; with `coder`, they talk to a Coder (its URL, a token each)."""
    if coder:
        workspaces = tuple({**w, "agentToken": f"{w['name']}-token"} for w in workspaces)
        changes = {"coderUrl": CODER, **changes}
    return Supervisor.model_validate({"namespace": "team", "workspaces": list(workspaces), **changes})


def workspace(name: str, runtime: str) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, "runtime": runtime}


def resolved(section: Supervisor, *, sysbox_enabled: bool = True) -> ResolvedStack:
    return resolve.stack(section, sysbox_enabled=sysbox_enabled, kubernetes_minor="1.34", platform="baremetal")


def stack(section: Supervisor, *, sysbox_enabled: bool = True) -> plan.Plan:
    return plan.stack(resolved(section, sysbox_enabled=sysbox_enabled), seal=lambda text: text)


def roles(planned: plan.WorkspacePlan | plan.NamespacePlan) -> list[Role]:
    return [p.role for p in planned.objects]


def by_name(made: plan.Plan) -> dict[str, plan.WorkspacePlan]:
    return {w.name: w for w in made.workspaces}


def test_each_runtime_gets_its_roles() -> None:
    both = (workspace("ann", "envbox"), workspace("bea", "sysbox-runc"))
    made = by_name(stack(supervisor(*both, coder=True)))
    # envbox runs the agent's script itself; a sysbox-runc pod's systemd needs the unit and script
    assert roles(made["ann"]) == [Role.AGENT_TOKEN, Role.HOME, Role.WORKSPACE]
    assert roles(made["bea"]) == [Role.AGENT_TOKEN, Role.AGENT_FILES, Role.HOME, Role.WORKSPACE]
    # the canary keeps nothing and starts no agent
    assert roles(made[CANARY_NAME]) == [Role.WORKSPACE]
    # no Coder: no agent
    alone = by_name(stack(supervisor(*both)))
    assert roles(alone["ann"]) == roles(alone["bea"]) == [Role.HOME, Role.WORKSPACE]


def test_the_objects_are_in_their_runtimes_namespace() -> None:
    made = stack(supervisor(workspace("ann", "envbox"), workspace("bea", "sysbox-runc"), coder=True))
    assert [(n.runtime, roles(n)) for n in made.namespaces] == [
        (runtime, [Role.NAMESPACE, *GUARD_RAILS]) for runtime in (Runtime.SYSBOX_RUNC, Runtime.ENVBOX)
    ]
    for frame in made.namespaces:
        ns = frame.objects[0].manifest["metadata"]["name"]
        assert {p.manifest["metadata"].get("namespace", ns) for p in frame.objects} == {ns}
    ns_of = {w.name: {p.manifest["metadata"]["namespace"] for p in w.objects} for w in made.workspaces}
    assert ns_of == {CANARY_NAME: {"team"}, "ann": {"team-envbox"}, "bea": {"team"}}


@pytest.mark.parametrize(
    ("section", "sysbox_enabled", "runtimes"),
    [
        (supervisor(workspace("bea", "sysbox-runc")), True, ["sysbox-runc"]),  # the canary under sysbox-runc
        (supervisor(workspace("ann", "envbox")), True, ["sysbox-runc", "envbox"]),
        (supervisor(), False, ["sysbox-runc", "envbox"]),  # the canary under envbox
        (supervisor(canary=False), False, ["sysbox-runc"]),  # the configured namespace is always made
    ],
)
def test_envbox_gets_a_namespace_only_when_something_runs_there(
    *, section: Supervisor, sysbox_enabled: bool, runtimes: list[str]
) -> None:
    made = stack(section, sysbox_enabled=sysbox_enabled)
    assert [n.runtime for n in made.namespaces] == runtimes
    assert list(resolve.namespaces(section, sysbox_enabled=sysbox_enabled)) == runtimes


def test_the_canary_comes_first_under_the_runtime_the_stack_has() -> None:
    section = supervisor(workspace("ann", "envbox"))
    assert [(w.name, w.runtime) for w in stack(section).workspaces] == [
        (CANARY_NAME, "sysbox-runc"),
        ("ann", "envbox"),
    ]
    assert stack(section, sysbox_enabled=False).workspaces[0].runtime == "envbox"
    assert [w.name for w in stack(supervisor(workspace("ann", "envbox"), canary=False)).workspaces] == ["ann"]


def test_only_namespaces_and_homes_outlive_the_stack_and_wait_for_the_homes_check() -> None:
    made = stack(supervisor(workspace("ann", "envbox"), workspace("bea", "sysbox-runc"), coder=True))
    groups: list[plan.NamespacePlan | plan.WorkspacePlan] = [*made.namespaces, *made.workspaces]
    everything = [p for group in groups for p in group.objects]
    assert {p.role for p in everything if p.retained} == {Role.NAMESPACE, Role.HOME}
    assert all(p.gated == p.retained for p in everything)
    assert sum(p.role == Role.HOME for p in everything) == 2  # ann's and bea's, not the canary's


def test_only_a_workloads_pod_template_change_replaces_it() -> None:
    """Every workload (the canary's too) is deleted and created again when its pod template changes, so that
    `pulumi up` awaits a create, which fails with the pod's reason (plan.REPLACED_ON); nothing else is replaced."""
    made = stack(supervisor(workspace("ann", "envbox"), workspace("bea", "sysbox-runc"), coder=True))
    groups: list[plan.NamespacePlan | plan.WorkspacePlan] = [*made.namespaces, *made.workspaces]
    replaced = {(p.role, p.replaced_on) for group in groups for p in group.objects if p.replaced_on}
    assert replaced == {(Role.WORKSPACE, ("spec.template",))}
    assert sum(p.role == Role.WORKSPACE for w in made.workspaces for p in w.objects) == 3  # the canary, ann, bea
    assert all("template" in w.objects[-1].manifest["spec"] for w in made.workspaces)


def test_the_workload_waits_for_its_namespace_and_everything_of_its_own() -> None:
    made = stack(supervisor(workspace("ann", "envbox"), workspace("bea", "sysbox-runc"), coder=True))
    frame = {n.runtime: roles(n) for n in made.namespaces}
    for planned in made.workspaces:
        *others, workload = planned.objects
        assert workload.role == Role.WORKSPACE
        sysbox = [Role.RUNTIME_CLASS] if planned.runtime == Runtime.SYSBOX_RUNC else []
        assert list(workload.after) == [*frame[planned.runtime], *sysbox, *(p.role for p in others)]
        # the rest waits for the namespace only
        assert all(p.after == (Role.NAMESPACE,) for p in others)
    for namespace in made.namespaces:
        first, *guard_rails = namespace.objects
        assert first.after == () and all(p.after == (Role.NAMESPACE,) for p in guard_rails)


def test_the_token_reaches_the_secret_sealed() -> None:
    entry = Workspace.model_validate({**workspace("ann", "envbox"), "agentToken": "t"})
    made = plan.workspace(
        resolve.workspace(entry, supervisor(coder=True), kubernetes_minor="1.35", entry=0),
        seal=lambda text: ("sealed", text),
    )
    secret = next(p.manifest for p in made.objects if p.role == Role.AGENT_TOKEN)
    assert secret["stringData"] == {"token": ("sealed", "t")}


def settings_of(config: dict[str, Any]) -> Settings:
    return load_settings(stored_config(config), "dev", [f"cvm:{k}" for k in SECRET_KEYS])


@pytest.mark.parametrize("config", [FULL, ENVBOX_ONLY], ids=["full", "envbox-only"])
def test_the_template_renders_the_roles_the_stack_plans_for_a_workspace_with_an_agent(config: dict[str, Any]) -> None:
    settings = settings_of(config)
    section = settings.supervisor
    assert section.coder_url is not None
    resources = template.main_tf(settings)["resource"]["kubernetes_manifest"]
    made = plan.stack(
        resolve.stack(
            section, sysbox_enabled=settings.sysbox.enabled, kubernetes_minor="1.34", platform=settings.platform
        ),
        seal=str,
    )
    with_agent = {w.runtime: w for w in made.workspaces if Role.AGENT_TOKEN in roles(w) and Role.HOME in roles(w)}
    assert set(with_agent) == set(template.runtimes(settings))
    for runtime, planned in with_agent.items():
        rendered = {name for name in resources if name.startswith(template.resource_name(runtime, Role.WORKSPACE))}
        assert rendered == {template.resource_name(runtime, role) for role in roles(planned)}


def test_secret_variables_reach_the_pod_only_through_the_workspace_secret() -> None:
    """secretEnv (issue 24): a Secret `<name>-env`, referenced by `secretKeyRef`; the Deployment holds no value."""
    entry = {**workspace("ann", "envbox"), "innerEnv": {"EDITOR": "vim"}, "secretEnv": {"GITHUB_TOKEN": "s3cr3t"}}
    sealed: list[str] = []

    def seal(text: str) -> str:
        sealed.append(text)
        return f"<sealed {len(sealed)}>"

    ann = resolve.workspace(Workspace.model_validate(entry), supervisor(), kubernetes_minor="1.35", entry=0)
    made = plan.workspace(ann, seal=seal)
    objects = {p.role: p for p in made.objects}
    assert roles(made) == [Role.SECRET_ENV, Role.HOME, Role.WORKSPACE]
    secret = objects[Role.SECRET_ENV]
    assert sealed == ["s3cr3t"] and secret.after == (Role.NAMESPACE,)
    assert secret.manifest["kind"] == "Secret" and secret.manifest["metadata"]["name"] == "ann-env"
    assert secret.manifest["stringData"] == {"GITHUB_TOKEN": "<sealed 1>"}
    assert Role.SECRET_ENV in objects[Role.WORKSPACE].after
    deployment = objects[Role.WORKSPACE].manifest
    assert "s3cr3t" not in repr(deployment)
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["GITHUB_TOKEN"] == {
        "name": "GITHUB_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "ann-env", "key": "GITHUB_TOKEN"}},
    }
    assert env["CODER_INNER_ENVS"]["value"] == "EDITOR,GITHUB_TOKEN"
