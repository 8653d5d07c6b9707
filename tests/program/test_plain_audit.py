"""The plain-text audit (issue 24): every standard stack (tests/harness.py STANDARD_STACKS, the stacks whose
registrations are recorded), its credentials replaced by marked ones, run through the program; every input it
sends and every output it exports in plain text is listed, and none may hold a marked value.

The credentials marked are all a stack has: each agent token, a `secretEnv` variable on every envbox workspace
(the way to give one a credential), the token in the kubeconfig a bare-metal stack names or finds (its own
`baremetal.kubeconfig`, else the ambient one), and the tokens in the kubeconfigs the fake clouds hand back
(AKS's user credentials, the EKS cluster's kubeconfig). A marked value is allowed only inside a secret.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import harness
from tests.harness import KUBECONFIG, SECRET_KEYS, STANDARD_STACKS, run_program

MARK = "zqAUDIT"
AKS_CREDENTIALS = "azure-native:containerservice:listManagedClusterUserCredentials"


def marked(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with each credential a marked one, and a marked secret variable on every envbox workspace."""
    config = copy.deepcopy(config)
    baremetal = config.get("cvm:baremetal", config.get("baremetal"))
    if isinstance(baremetal, dict) and "kubeconfig" in baremetal:
        baremetal["kubeconfig"] = baremetal["kubeconfig"].replace("token: t", f"token: {MARK}-kubeconfig")
    supervisor = config.get("cvm:supervisor", config.get("supervisor")) or {}
    for i, workspace in enumerate(supervisor.get("workspaces", [])):
        if "agentToken" in workspace:
            workspace["agentToken"] = f"{MARK}-agent-{i}"
        if workspace.get("runtime", "envbox") == "envbox":
            workspace["secretEnv"] = {"GITHUB_TOKEN": f"{MARK}-env-{i}"}
    return config


@pytest.fixture
def marked_clouds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ambient kubeconfig (with the context the examples' bare-metal stack names) and the clouds' kubeconfigs
    carry marked tokens."""
    ambient = yaml.safe_load(KUBECONFIG.replace("token: t", f"token: {MARK}-ambient"))
    ambient["contexts"].append({"name": "metal-admin", "context": {"cluster": "lab", "user": "admin"}})
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(ambient))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    aks = harness.FAKE_KUBECONFIG.replace("users: []", f"users: [{{name: u, user: {{token: {MARK}-aks}}}}]")
    credentials = {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(aks.encode()).decode()}]}
    monkeypatch.setitem(harness.INVOKE_RESULTS, AKS_CREDENTIALS, credentials)
    eks = {"apiVersion": "v1", "kind": "Config", "users": [{"name": "u", "user": {"token": f"{MARK}-eks"}}]}
    monkeypatch.setitem(harness.CLOUD_OUTPUTS, "eks:index:Cluster", {"kubeconfigJson": json.dumps(eks)})


@pytest.mark.usefixtures("marked_clouds")
@pytest.mark.parametrize("stack", STANDARD_STACKS)
def test_no_plain_input_or_output_holds_a_credential(stack: str) -> None:
    config, secret_keys = STANDARD_STACKS[stack]
    config = marked(config)
    run = run_program(config, (*secret_keys, *SECRET_KEYS), stack=stack)  # credentials are set with --secret
    plain = list(run.plain_texts())
    assert plain, "there is plain text to audit"
    leaks = [where for where, text in plain if MARK in text]
    assert not leaks, f"{stack}: credentials in plain text at {leaks}"
    # every credential of the config reached the program, inside a secret input or output
    received = json.dumps([harness.unwrap([r.inputs for r in run.resources]), run.outputs])
    for credential in set(re.findall(rf"{MARK}-[a-z0-9-]+", json.dumps(config))):
        assert credential in received, (stack, credential)


def test_the_audit_finds_a_credential_in_plain_text() -> None:
    """A credential given as a plain variable (innerEnv, plain by design) is found where it lands."""
    config, secret_keys = STANDARD_STACKS["full"]
    workspaces = [{**w, "innerEnv": {"GITHUB_TOKEN": f"{MARK}-plain"}} for w in config["supervisor"]["workspaces"][:1]]
    run = run_program({**config, "supervisor": {**config["supervisor"], "workspaces": workspaces}}, secret_keys)
    leaks = [where for where, text in run.plain_texts() if MARK in text]
    assert leaks and all(where.startswith("kubernetes:apps/v1:Deployment ") for where in leaks), leaks
