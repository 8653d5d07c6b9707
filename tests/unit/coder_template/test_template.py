"""The Coder template's structure: Terraform's JSON syntax and the providers' documented arguments (a schema),
every reference declared, the providers pinned, only the home volume outliving a stop, and manifests that pass
Kubernetes' schemas once Coder's values are in.

A `sysbox-runc` workspace starts its agent with Coder's own init script: the rendered unit's commands run here as
systemd would run them (its environment, its ExecStartPre then its ExecStart, on a fresh home), the script being a
double of Coder's bootstrap_linux.sh (localcluster/coder_bootstrap_double.sh), against a Coder stand-in on
127.0.0.1 that serves a stub agent."""

from __future__ import annotations

import os
import platform
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components.coder_template import template
from components.config import Settings, load_settings, stored_config
from components.config.values import pinned_image
from components.cvm.workspaces import agent
from components.cvm.workspaces.resolved import Role
from components.facts import pins
from localcluster import coder_double
from tests.harness import CLOUDS, ENVBOX_ONLY, FULL, ROOT, SECRET_KEYS
from tests.terraform_templates_double import started
from tests.unit.coder_template.terraform_json_schema import SCHEMA

EXAMPLES = {p.name.split(".")[1]: yaml.safe_load(p.read_text())["config"] for p in ROOT.glob("examples/Pulumi.*.yaml")}
STACKS = {**EXAMPLES, "full": FULL, "envbox-only": ENVBOX_ONLY, **CLOUDS}
# in an interpolation: a reference (`type.name`, `var.x`, `data.type.name`), after quoted strings are removed
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_REFERENCE = re.compile(r"(?<![\w.])(data\.[a-z_]+\.[\w-]+|[a-z][a-z0-9_]*\.[\w-]+)")


def settings_of(stack: str) -> Settings:
    return load_settings(stored_config(STACKS[stack]), stack, [f"cvm:{k}" for k in SECRET_KEYS])


@pytest.fixture(scope="module", params=sorted(STACKS))
def stack(request: pytest.FixtureRequest) -> tuple[Settings, dict[str, Any]]:
    settings = settings_of(request.param)
    return settings, template.main_tf(settings)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def test_follows_terraform_json_syntax(stack: tuple[Settings, dict[str, Any]]) -> None:
    jsonschema.validate(stack[1], SCHEMA)


def test_schema_refuses_what_terraform_would(stack: tuple[Settings, dict[str, Any]]) -> None:
    main = stack[1]
    for broken in (
        {**main, "resources": main["resource"]},  # not a top-level block type
        {**main, "resource": {"coder_agent": {"main": {"os": "linux"}}}},  # a required argument missing
        {**main, "data": {**main["data"], "coder_parameter": {"cpus": {"name": "cpus", "min": 1}}}},  # unknown
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def declared(main: dict[str, Any]) -> set[str]:
    names = {f"var.{name}" for name in main["variable"]}
    names |= {f"data.{kind}.{name}" for kind, bodies in main["data"].items() for name in bodies}
    return names | {f"{kind}.{name}" for kind, bodies in main["resource"].items() for name in bodies}


def referenced(main: dict[str, Any]) -> set[str]:
    found = set()
    for text in strings({k: v for k, v in main.items() if k != "terraform"}):
        for expression in _INTERPOLATION.findall(text):
            unquoted = re.sub(r'"[^"]*"', '""', expression)
            found |= {".".join(r.split(".")[: 3 if r.startswith("data.") else 2]) for r in _REFERENCE.findall(unquoted)}
    bodies = [body for kind in main["resource"].values() for body in kind.values()]
    return found | {ref for body in bodies for ref in body.get("depends_on", [])}


def test_every_reference_is_declared(stack: tuple[Settings, dict[str, Any]]) -> None:
    main = stack[1]
    used = referenced(main)
    assert {"data.coder_workspace.me", "coder_agent.main", "var.use_kubeconfig"} <= used
    assert used - declared(main) == set()
    # and the parameters each manifest reads are the ones declared
    assert {r for r in used if r.startswith("data.coder_parameter.")} == {
        f"data.coder_parameter.{p}" for p in main["data"]["coder_parameter"]
    }


def test_providers_are_constrained_within_a_major(stack: tuple[Settings, dict[str, Any]]) -> None:
    main = stack[1]
    providers = main["terraform"]["required_providers"]
    assert providers == {
        "coder": {"source": "coder/coder", "version": pins.CODER_PROVIDER_CONSTRAINT},
        "kubernetes": {"source": "hashicorp/kubernetes", "version": pins.KUBERNETES_PROVIDER_CONSTRAINT},
    }
    # a lowest version (one on the Terraform registry: pins.py) and the next major as the ceiling
    for provider in providers.values():
        low = re.fullmatch(r">= ([0-9]+)\.[0-9]+\.[0-9]+, < ([0-9]+)\.0\.0", provider["version"])
        assert low and int(low[2]) == int(low[1]) + 1, provider
    kinds = [*main["data"], *main["resource"]]
    assert {kind.split("_")[0] for kind in kinds} == set(providers) == set(main["provider"])


def test_no_pulumi_annotation_reaches_terraform(stack: tuple[Settings, dict[str, Any]]) -> None:
    """The plan's homes carry `pulumi.com/skipAwait` for Pulumi's provider; Terraform's manifests go without."""
    _, main = stack
    for name, body in main["resource"]["kubernetes_manifest"].items():
        annotations = body["manifest"]["metadata"].get("annotations", {})
        assert not [key for key in annotations if key.startswith("pulumi.com/")], name


def test_a_stopped_workspace_keeps_only_its_home(stack: tuple[Settings, dict[str, Any]]) -> None:
    settings, main = stack
    resources = main["resource"]["kubernetes_manifest"]
    for runtime in template.runtimes(settings):
        chosen = f'{template.RUNTIME} == "{runtime}"'
        for name, body in resources.items():
            if not name.startswith(template.resource_name(runtime, Role.WORKSPACE)):
                continue
            runs = f"{template.ME}.start_count" if not name.endswith("_home") else "1"
            assert body["count"] == f"${{{chosen} ? {runs} : 0}}", name
    assert "count" not in main["resource"]["coder_agent"]["main"]


def test_runtimes_offered_are_those_the_stack_made() -> None:
    assert list(template.runtimes(settings_of("full"))) == ["sysbox-runc", "envbox"]
    assert list(template.runtimes(settings_of("envbox-only"))) == ["envbox"]  # no Sysbox on the nodes
    gke = template.runtimes(settings_of("gke"))  # the canary is sysbox-runc: no envbox namespace is made
    assert gke == {"sysbox-runc": "cvm-workspaces"}
    none = load_settings(stored_config({**ENVBOX_ONLY, "supervisor": {"canary": False}}), "x", ["cvm:baremetal"])
    with pytest.raises(ValueError, match="installs no Sysbox"):
        template.main_tf(none)


def test_manifests_pass_kubernetes_schemas(stack: tuple[Settings, dict[str, Any]]) -> None:
    settings, main = stack
    for runtime in template.runtimes(settings):
        for manifest in started(main, runtime):
            kubernetes_validate.validate(manifest, settings.kubernetes_minor, strict=True)


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/coder/envbox:0.6.7",
        "registry.example.com:5000/team/ws:2026.11",
        "ubuntu@sha256:" + "a" * 64,
        "ubuntu:24.04@sha256:" + "b" * 64,
        "ubuntu",
        "ghcr.io/Team/ws:1",
        "ubuntu:",
        "ubuntu:-x",
    ],
)
def test_image_parameter_agrees_with_the_config_rule(image: str) -> None:
    # the same grammar; only `latest`, which RE2 cannot refuse without look-ahead, differs (the README says so)
    assert bool(re.fullmatch(template.IMAGE_REGEX, image)) == pinned_image(image)


def test_image_parameter_takes_latest_which_the_config_refuses() -> None:
    assert re.fullmatch(template.IMAGE_REGEX, "ubuntu:latest") and not pinned_image("ubuntu:latest")


def test_parameter_defaults_are_valid(stack: tuple[Settings, dict[str, Any]]) -> None:
    parameters = stack[1]["data"]["coder_parameter"]
    assert re.fullmatch(parameters["image"]["validation"]["regex"], parameters["image"]["default"])
    for name in ("cpus", "memory", "disk"):
        rule = parameters[name]["validation"]
        assert rule["min"] <= int(parameters[name]["default"]) <= rule["max"]
    options = [o["value"] for o in parameters["runtime"]["option"]]
    assert parameters["runtime"]["default"] in options and parameters["runtime"]["mutable"] is False


ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
# The stub agent: answers `--version` as Coder's binary does (the script checks it), else records what it got.
STUB = """#!/bin/sh
if [ "$1" = --version ]; then echo "Coder v2.0.0+double"; exit 0; fi
{ echo "args=$*"; echo "token=$CODER_AGENT_TOKEN"; echo "url=$CODER_AGENT_URL"; echo "auth=$CODER_AGENT_AUTH"; \
echo "dir=$(pwd)"; } > "$RECORD"
"""
SECONDS = 20  # Coder's script sleeps a day when it fails; a hang here is that failure


@pytest.fixture
def coder() -> Iterator[tuple[str, list[str]]]:
    with coder_double.serving("127.0.0.1", STUB) as (url, asked):
        yield f"{url}/", asked


def agent_files(access_url: str) -> dict[str, str]:
    """The sysbox-runc ConfigMap's files, from the rendered template with Coder's values filled in."""
    script = coder_double.bootstrap_script(access_url, ARCH)
    made = started(template.main_tf(settings_of("full")), "sysbox-runc", init_script=script)
    (config_map,) = [m for m in made if m["kind"] == "ConfigMap" and agent.UNIT in m.get("data", {})]
    data: dict[str, str] = config_map["data"]
    return data


def service(unit: str) -> tuple[dict[str, str], list[str], list[str]]:
    """The [Service] section's Environment, ExecStartPre and ExecStart lines, as systemd reads them."""
    environment: dict[str, str] = {}
    pre: list[str] = []
    start: list[str] = []
    for line in unit.split("[Service]", 1)[1].split("\n[")[0].splitlines():
        key, _, setting = line.partition("=")
        if key == "Environment":
            environment |= dict(word.split("=", 1) for word in shlex.split(setting))
        elif key == "ExecStartPre":
            pre.append(setting)
        elif key == "ExecStart":
            start.append(setting)
    return environment, pre, start


def run(command: str, env: dict[str, str]) -> tuple[int, str]:
    """One Exec line, killed with its children (the script's day-long sleep) when it hangs."""
    with subprocess.Popen(
        shlex.split(command),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"`{command}` hung (Coder's script sleeps a day when it fails):\n{output}")
        return process.returncode, output


def test_the_units_commands_start_the_agent_through_coders_init_script(
    coder: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, asked = coder
    files = agent_files(url)
    script = tmp_path / agent.SCRIPT
    script.write_text(files[agent.SCRIPT])
    environment, pre, start = service(files[agent.UNIT])
    home = environment["HOME"]
    # the unit's paths moved under tmp_path: a fresh home (the home-owner init container makes it the user's)
    moved = {home: str(tmp_path / "home"), agent.SCRIPT_PATH: str(script)}

    def here(text: str) -> str:
        for old, new in moved.items():
            text = text.replace(old, new)
        return text

    (tmp_path / "home").mkdir()
    env = {key: here(setting) for key, setting in environment.items()}
    # PassEnvironment: the token from PID 1's environment; PATH and RECORD are the test's
    env |= {"CODER_AGENT_TOKEN": "token-of-alice", "PATH": os.environ["PATH"], "RECORD": str(tmp_path / "record")}
    assert env["BINARY_DIR"] == str(tmp_path / "home" / ".coder")
    for command in [*pre, *start]:
        code, output = run(here(command), env)
        assert code == 0, f"`{command}` exited {code}:\n{output}"
    assert asked == [f"/bin/coder-linux-{ARCH}"]
    record = dict(line.split("=", 1) for line in (tmp_path / "record").read_text().splitlines())
    assert record == {
        "args": "agent",
        "token": "token-of-alice",
        "url": url,
        "auth": "token",
        "dir": env["BINARY_DIR"],
    }


@pytest.mark.parametrize(
    ("stack", "override", "arch"),
    [
        ("gke", {}, "amd64"),
        ("aks", {"aks": {"location": "westeurope", "vmSize": "Standard_D4ps_v5"}}, "arm64"),
        ("eks", {}, "amd64"),
        ("eks", {"eks": {"instanceType": "m7g.xlarge"}}, "arm64"),  # Graviton
    ],
)
def test_a_clouds_agent_is_built_for_its_node_pool(stack: str, override: dict[str, Any], arch: str) -> None:
    settings = load_settings(stored_config({**STACKS[stack], **override}), stack, [])
    main = template.main_tf(settings)
    assert main["resource"]["coder_agent"]["main"]["arch"] == arch
    assert "arch" not in main["data"]["coder_parameter"]
    for manifest in started(main, "sysbox-runc"):
        if manifest["kind"] == "Deployment":
            assert template.ARCH_LABEL not in manifest["spec"]["template"]["spec"]["nodeSelector"]


def test_on_bare_metal_the_user_picks_the_architecture_and_the_pod_follows_it() -> None:
    main = template.main_tf(settings_of("full"))
    parameter = main["data"]["coder_parameter"]["arch"]
    assert [o["value"] for o in parameter["option"]] == ["amd64", "arm64"] and parameter["default"] == "amd64"
    assert main["resource"]["coder_agent"]["main"]["arch"] == f"${{{template.value('arch')}}}"
    for runtime in template.runtimes(settings_of("full")):
        (deployment,) = [m for m in started(main, runtime) if m["kind"] == "Deployment"]
        selector = deployment["spec"]["template"]["spec"]["nodeSelector"]
        assert selector[template.ARCH_LABEL] == "amd64"  # the parameter's value (filled)
        assert len(selector) > 1  # and still on the CVM nodes


def references(body: Any) -> set[str]:
    """What one block refers to (its interpolations and `depends_on`): its edges in Terraform's graph."""
    found = set()
    for text in strings({k: v for k, v in body.items() if k != "depends_on"}):
        for expression in _INTERPOLATION.findall(text):
            unquoted = re.sub(r'"[^"]*"', '""', expression)
            found |= {".".join(r.split(".")[: 3 if r.startswith("data.") else 2]) for r in _REFERENCE.findall(unquoted)}
    return found | set(body.get("depends_on", []))


def agent_resource(main: dict[str, Any], existing: set[str]) -> str:
    """The resource Coder shows the agent under, by coder/coder provisioner/terraform/resources.go (ConvertState,
    findResourcesInGraph): walk from `coder_agent.main` to what depends on it, depth by depth; among the managed,
    non-`coder_` resources that exist (count 1), the nearest, then the lowest label."""
    edges = {
        f"{kind}.{name}": references(body) for kind, bodies in main["resource"].items() for name, body in bodies.items()
    }
    found: list[tuple[int, str]] = []
    frontier, depth, seen = {template.AGENT}, 0, set[str]()
    while frontier:
        dependents = {node for node, refs in edges.items() if refs & frontier} - seen
        found += [(depth, node) for node in dependents if node in existing and not node.startswith("coder_")]
        seen |= dependents
        frontier, depth = dependents, depth + 1
    return min(found)[1]


def test_coder_shows_the_agent_under_the_workload(stack: tuple[Settings, dict[str, Any]]) -> None:
    settings, main = stack
    for runtime in template.runtimes(settings):
        prefix = template.resource_name(runtime, Role.WORKSPACE)
        existing = {f"kubernetes_manifest.{n}" for n in main["resource"]["kubernetes_manifest"] if n.startswith(prefix)}
        assert len(existing) > 2  # the Secret (and ConfigMap) refer to the agent too
        assert agent_resource(main, existing) == f"kubernetes_manifest.{prefix}", runtime


def test_a_workload_of_an_older_template_is_moved_not_made_again(stack: tuple[Settings, dict[str, Any]]) -> None:
    settings, main = stack
    resources = {f"kubernetes_manifest.{name}" for name in main["resource"]["kubernetes_manifest"]}
    moves = {move["from"]: move["to"] for move in main["moved"]}
    for runtime in template.runtimes(settings):
        workload = f"kubernetes_manifest.{template.resource_name(runtime, Role.WORKSPACE)}"
        assert moves[f"{workload}_workspace"] == workload
    assert set(moves.values()) <= resources and not set(moves) & resources
    assert main["terraform"]["required_version"] == ">= 1.1"  # the first Terraform with moved blocks


def test_the_supervisors_cas_come_before_coders_init_script() -> None:
    """With supervisor.caCertificates, both runtimes' bootstrap is the trust lines (agent.trust_lines), written
    literally through Terraform's templates, then Coder's init script."""
    config = {**FULL, "supervisor": {**FULL["supervisor"], "caCertificates": "corp-ca"}}
    settings = load_settings(stored_config(config), "full", [f"cvm:{k}" for k in SECRET_KEYS])
    script = coder_double.bootstrap_script("https://coder.example.com/", ARCH)
    for runtime in ("sysbox-runc", "envbox"):
        made = started(template.main_tf(settings), runtime, init_script=script)
        texts = [text for m in made for text in strings(m) if text.endswith(script)]
        assert texts == [agent.trust_lines() + script], runtime
