"""The project files agree with the code: Pulumi.yaml's schema, the dev stack, and the pins."""

from __future__ import annotations

from importlib import metadata

import yaml

from components.config import Settings, load_settings
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
