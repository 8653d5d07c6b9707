"""A bare-metal stack's kubeconfig: the configured one or the ambient one, to the provider and the outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
import yaml

from tests.harness import KUBECONFIG, PROVIDER_TYPE, Run

BareMetal = Callable[..., Run]


def test_outputs(bare_metal: BareMetal) -> None:
    run = bare_metal()
    assert run.outputs == {
        "platform": "baremetal",
        "clusterName": "cvm-dev",
        "kubernetesVersion": "1.35",
        "kubeconfig": run.outputs["kubeconfig"],
        "runtimeClassName": "sysbox-runc",
        "sysboxVersion": "0.7.1",
        "workspaceNamespace": "cvm-workspaces",
        "workspaces": ["cvm-canary"],
        "gpuEnabled": False,
        "homes": {},
    }
    assert run.secret_outputs == {"kubeconfig"}
    assert yaml.safe_load(run.outputs["kubeconfig"])["current-context"] == "lab"


def test_configured_kubeconfig_feeds_the_provider_as_a_secret(bare_metal: BareMetal) -> None:
    lab = "{name: lab, context: {cluster: lab, user: admin}}"
    two_contexts = KUBECONFIG.replace(
        f"contexts: [{lab}]", f"contexts: [{lab}, {lab.replace('name: lab', 'name: prod')}]"
    )
    run = bare_metal(baremetal={"kubeconfig": two_contexts, "context": "prod"})
    provider = run.one(PROVIDER_TYPE, "cvm-dev-provider")
    assert provider.inputs["context"] == "prod"
    assert provider.is_secret("kubeconfig") and provider.manifest["kubeconfig"] == two_contexts
    exported = yaml.safe_load(run.outputs["kubeconfig"])
    assert exported["current-context"] == "prod" and [c["name"] for c in exported["contexts"]] == ["prod"]


def test_ambient_kubeconfig_is_left_to_the_provider(bare_metal: BareMetal, ambient_kubeconfig: Path) -> None:
    provider = bare_metal().one(PROVIDER_TYPE, "cvm-dev-provider").inputs
    assert provider["kubeconfig"] == str(ambient_kubeconfig)  # the SDK's own $KUBECONFIG default: a path, not our copy
    assert "context" not in provider


def test_missing_kubeconfig_is_a_clear_error(
    bare_metal: BareMetal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    with pytest.raises(pulumi.RunError, match=r"cvm:baremetal.kubeconfig: is not set and there is no kubeconfig at"):
        bare_metal()
