"""The Coder template's workspace objects, with Coder's values filled in, are the objects the program registers
for a workspace of the same inputs: the Deployment (its pod), the home volume, the agent's Secret and, under
sysbox-runc, the agent's unit."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pytest

from components.coder_template import template
from components.config import Settings, load_settings, stored_config
from components.cvm.workspaces import agent
from components.cvm.workspaces.resolved import Role
from components.facts.runtimes import Runtime
from components.kube import manifest
from tests.harness import CLOUDS, ENVBOX_ONLY, FULL, SECRET_KEYS, run_program
from tests.terraform_templates_double import evaluate, token_values

IMAGE = "ghcr.io/acme/workspace:2026.11"
TOKEN = "token-of-one-coder-workspace"
IDS = {
    Runtime.ENVBOX: "6f1c2a44-0d5e-4a63-9a1f-2b7d3c9e8a01",
    Runtime.SYSBOX_RUNC: "0b9e4d7c-3f21-4c88-8e55-71a6f0c2d9b4",
}
KINDS = {
    Role.HOME: "kubernetes:core/v1:PersistentVolumeClaim",
    Role.AGENT_TOKEN: "kubernetes:core/v1:Secret",
    Role.AGENT_FILES: "kubernetes:core/v1:ConfigMap",
    Role.WORKSPACE: "kubernetes:apps/v1:Deployment",
}
GKE_WITH_CODER = {**CLOUDS["gke"], "supervisor": {"coderUrl": "http://coder.coder.svc.cluster.local"}}
STACKS = {"full": FULL, "envbox-only": ENVBOX_ONLY, "gke": GKE_WITH_CODER}


def settings_of(config: dict[str, Any]) -> Settings:
    return load_settings(stored_config(config), "dev", [f"cvm:{key}" for key in SECRET_KEYS])


def same_inputs(config: dict[str, Any], runtimes: Sequence[Runtime]) -> dict[str, Any]:
    """The stack, its workspaces replaced by one per runtime with the template's inputs (a coder-<id> name)."""
    workspaces = [
        {"name": f"coder-{IDS[r]}", "image": IMAGE, "runtime": r, "cpus": 3, "memory": "6Gi", "disk": "30Gi"}
        for r in runtimes
    ]
    supervisor = {**config.get("supervisor", {}), "workspaces": [{**w, "agentToken": TOKEN} for w in workspaces]}
    return {**config, "supervisor": supervisor}


def coder_values(runtime: Runtime, coder_url: str) -> dict[str, Any]:
    """What Terraform gives each expression of the template, for the same inputs (cvm's script stands for
    Coder's init script, so that the whole pod compares)."""
    return {
        template.value("image"): IMAGE,
        template.value("cpus"): "3",
        template.value("memory"): "6",
        template.value("disk"): "30",
        f"{template.ME}.id": IDS[runtime],
        f"{template.ME}.access_url": coder_url,
        f"{template.AGENT}.init_script": agent.script(coder_url),
        template.value("arch"): "amd64",
        **token_values(TOKEN),
    }


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_template_objects_are_the_programs(stack: str) -> None:
    config = STACKS[stack]
    settings = settings_of(config)
    offered = list(template.runtimes(settings))
    resources = template.main_tf(settings)["resource"]["kubernetes_manifest"]
    program = same_inputs(config, offered)
    run = run_program(program, SECRET_KEYS, stack="dev")
    coder_url = settings_of(program).supervisor.coder_url_text
    assert coder_url is not None
    compared = 0
    for runtime in offered:
        values = coder_values(runtime, coder_url)
        for role, kind in KINDS.items():
            name = template.resource_name(runtime, role)
            if role == Role.AGENT_FILES and runtime == Runtime.ENVBOX:
                assert name not in resources  # envbox runs the script itself
                continue
            made = evaluate(resources[name]["manifest"], values)
            meta = made["metadata"]
            registered = run.one(kind, f"{meta['namespace']}/{meta['name']}").manifest
            # the annotations only Pulumi reads (manifest.applied_by; a home's skipAwait): Terraform applies as
            # itself, and waits on nothing
            annotations = registered["metadata"].pop("annotations")
            assert annotations.pop(manifest.FIELD_MANAGER) == "cvm-dev"
            if role == Role.HOME:
                assert {key: annotations.pop(key) for key in manifest.SKIP_AWAIT} == manifest.SKIP_AWAIT
            if annotations:
                registered["metadata"]["annotations"] = annotations
            if role == Role.WORKSPACE and template.node_arch(settings) is None:
                # the one difference by design: the user's `arch` pins the pod to nodes of it (template.py)
                assert made["spec"]["template"]["spec"]["nodeSelector"].pop(template.ARCH_LABEL) == "amd64"
            if role == Role.AGENT_TOKEN:  # written as `data` (see template.py): the same bytes
                assert made.pop("data") == {
                    "token": base64.b64encode(registered.pop("stringData")["token"].encode()).decode()
                }
            assert made == registered, f"{stack} {runtime} {role}"
            compared += 1
    assert compared == sum(4 if r == Runtime.SYSBOX_RUNC else 3 for r in offered)
