"""The project files agree with the code: Pulumi.yaml's schema, the dev stack, and the pins."""

from __future__ import annotations

from importlib import metadata

import pytest
import yaml

from components.config import Settings, SettingsError, load_settings
from tests.harness import ROOT
from tests.installs import pins


def test_pulumi_yaml_declares_the_plain_keys_with_the_model_defaults() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "cvm"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    defaults = Settings.model_validate({"platform": "baremetal"}, context={"stack": "dev"})
    declared = project["config"]
    assert declared["platform"]["type"] == "string" and "default" not in declared["platform"]
    # Pulumi requires a declared key without a default; these defaults depend on the platform and the stack
    assert "kubernetesVersion" not in declared and "clusterName" not in declared
    assert declared["skipAwait"]["default"] is defaults.skip_await
    types = {"string": str, "boolean": bool}
    assert all(isinstance(v["default"], types[v["type"]]) for v in declared.values() if "default" in v)


def test_dev_stack_is_bare_metal_on_the_current_kubeconfig() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert stack == {"cvm:platform": "baremetal"}
    assert load_settings({k: str(v) for k, v in stack.items()}, "dev").platform == "baremetal"


REQUIREMENTS = [ROOT / "requirements.txt", *sorted((ROOT / "requirements").glob("*.txt"))]
PLATFORMS = ("baremetal", "gke", "aks", "eks")
CLOUD_SDKS = {
    "baremetal": set(),
    "gke": {"pulumi-gcp"},
    "aks": {"pulumi-azure-native"},
    "eks": {"pulumi-eks", "pulumi-aws"},
}


def test_every_python_dependency_is_pinned() -> None:
    for path in [*REQUIREMENTS, ROOT / "requirements-dev.txt", ROOT / "policy" / "requirements.txt"]:
        assert pins(path), path  # pins() refuses any line that is not `name==version` or `-r file`


def test_each_platform_set_is_the_core_and_its_own_cloud() -> None:
    core = pins(ROOT / "requirements" / "core.txt")
    assert set(core) == {"pulumi", "pulumi-kubernetes", "pydantic", "packaging", "pyyaml"}
    for platform in PLATFORMS:
        own = pins(ROOT / "requirements" / f"{platform}.txt")
        assert own.items() >= core.items(), platform
        assert set(own) - set(core) == CLOUD_SDKS[platform], platform


def test_the_full_set_is_every_platform_set_with_the_same_pins() -> None:
    full = pins(ROOT / "requirements.txt")
    platforms = {}
    for platform in PLATFORMS:
        platforms.update(pins(ROOT / "requirements" / f"{platform}.txt"))
    assert platforms.items() <= full.items()
    assert set(full) - set(platforms) == {"kubernetes"}  # the operator command's client, no stack's


def test_each_pin_is_written_once() -> None:
    written = [
        line.split("==")[0].strip().lower()
        for path in REQUIREMENTS
        for line in path.read_text().splitlines()
        if "==" in line.split("#")[0]
    ]
    assert len(written) == len(set(written)), sorted(n for n in written if written.count(n) > 1)


def test_this_environment_has_the_pinned_versions() -> None:
    """tests/program/test_installs.py reads the installed distributions: they must be the pinned ones."""
    for name, version in pins(ROOT / "requirements-dev.txt").items():
        assert metadata.version(name) == version, name


# --- `pulumi new` ---------------------------------------------------------------------------------------------

# What `pulumi new` asks beside the platform, by the platform whose required keys they stand in for.
ASKED = {
    "gke": {"gcp:project": "acme-prod", "gcp:region": "europe-west4"},
    "aks": {"azure-native:location": "westeurope"},
    "eks": {"aws:region": "eu-west-1"},
    "baremetal": {},
}
# The ones a stack cannot do without; the project and the AWS region may also come from the providers'
# environment variables (GOOGLE_PROJECT, AWS_REGION).
REQUIRED = {"gke": "gcp:region", "aks": "azure-native:location"}


def test_pulumi_new_asks_for_the_platform_and_each_clouds_required_keys() -> None:
    template = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["template"]
    asked = template["config"]
    assert set(asked) == {"cvm:platform"}.union(*ASKED.values())
    # `pulumi new` takes plain strings (apitype.ProjectTemplateConfigValue); none of these keys is a credential
    assert all(set(v) <= {"description", "default"} and v["description"] for v in asked.values())
    assert asked["cvm:platform"]["default"] == "baremetal"
    stacks = {p: load_settings({"cvm:platform": p, **answers}, f"{p}-new") for p, answers in ASKED.items()}
    assert stacks["baremetal"].platform == "baremetal"
    gke, aks, eks = stacks["gke"].gke, stacks["aks"].aks, stacks["eks"].eks
    assert gke is not None and (gke.project, gke.location) == ("acme-prod", "europe-west4")
    assert aks is not None and aks.location == "westeurope"
    assert eks is not None and eks.region == "eu-west-1"
    for platform, key in REQUIRED.items():  # without it, the stack is refused, naming it
        answers = {k: v for k, v in ASKED[platform].items() if k != key}
        with pytest.raises(SettingsError, match=f"location: is required \\(or set {key}\\)"):
            load_settings({"cvm:platform": platform, **answers}, "s")
