"""The project files agree with the code: Pulumi.yaml's schema, the dev stack, and the pins."""

from __future__ import annotations

import re

import yaml

from components.config import Settings, load_settings
from tests.harness import ROOT


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


def test_every_python_dependency_is_pinned() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r "):
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line), f"{name}: {line}"
