"""No refusal ever shows a credential, whatever shape or place it arrives in (issue: refusals land in CI logs)."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.clusters import baremetal
from components.config import SettingsError, load_settings, stored_config

# Credentials long and odd enough that no message could contain them by chance.
SECRETS = st.text(alphabet=string.ascii_letters + string.digits + ":/.\n -", min_size=12, max_size=60).map(
    lambda s: f"s3cr3t-{s}"
)
# A shape a careless `pulumi config set --path` can give a value: as is, in a list, in a map, nested.
SHAPES = st.sampled_from(
    [
        lambda v: v,
        lambda v: [v],
        lambda v: {"value": v},
        lambda v: [{"x": v}],
        lambda v: {"agentToken": v},
        lambda v: {"kubeconfig": v},
    ]
)
# Where the credential lands: its own key, at the wrong depth, or an object set whole.
PLACES = st.sampled_from(
    [
        lambda v: {"baremetal": {"kubeconfig": v}},
        lambda v: {"baremetal": {"kubeconfig": v, "context": "missing"}},
        lambda v: {"supervisor": {"workspaces": {"agentToken": v}}},
        lambda v: {"supervisor": {"workspaces": [{"name": "a", "image": "x:1", "agentToken": v}]}},
        lambda v: {"supervisor": {"workspaces": [{"name": "Bad Name", "image": "x", "agentToken": v}]}},
        lambda v: {"supervisor": {"coderUrl": "not a url", "workspaces": [{"agentToken": v}]}},
        lambda v: {"supervisor": {"workspaces": [{"agentToken": v}, {"agentToken": v}]}},
    ]
)


def refusal(config: dict[str, Any], secret_keys: tuple[str, ...]) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(stored_config({"platform": "baremetal", **config}), "dev", secret_keys)
    return str(raised.value)


@settings(max_examples=300, deadline=None)
@given(secret=SECRETS, shape=SHAPES, place=PLACES)
def test_no_refusal_contains_a_secret(secret: str, shape: Any, place: Any) -> None:
    config = place(shape(secret))
    message = refusal(config, ("cvm:baremetal", "cvm:supervisor"))
    assert secret not in message
    assert secret.splitlines()[0] not in message


@settings(max_examples=100, deadline=None)
@given(secret=SECRETS)
def test_an_object_set_whole_is_not_echoed(secret: str) -> None:
    """`pulumi config set --secret baremetal "$(cat kubeconfig)"` (no --path) stores the text as the object."""
    config = {"cvm:platform": "baremetal", "cvm:baremetal": f"apiVersion: v1\n{secret}"}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "dev", ("cvm:baremetal",))
    assert secret not in str(raised.value)
    assert "cvm:baremetal = '(secret)': must be an object" in str(raised.value)


def test_a_refusal_still_shows_what_is_not_secret() -> None:
    message = refusal({"supervisor": {"namespace": "Not_A_Label"}}, ("cvm:supervisor",))
    assert "cvm:supervisor.namespace = 'Not_A_Label'" in message


def test_a_broken_kubeconfig_says_where_without_quoting_it() -> None:
    message = refusal({"baremetal": {"kubeconfig": "clusters: [\n  token: s3cr3t-abc"}}, ("cvm:baremetal",))
    assert "s3cr3t" not in message
    assert "cvm:baremetal.kubeconfig = '(secret)'" in message and "is not valid YAML (line 2, column" in message


def test_a_broken_ambient_kubeconfig_is_named_not_quoted(tmp_path: Path) -> None:
    broken = tmp_path / "config"
    broken.write_text("users:\n- name: admin\n  user: {token: s3cr3t-xyz\n")
    with pytest.raises(SettingsError) as raised:
        baremetal.resolve_kubeconfig(None, None, {"KUBECONFIG": str(broken)}, tmp_path)
    message = str(raised.value)
    assert "s3cr3t" not in message
    assert f"{broken} is not valid YAML (line" in message


@pytest.mark.parametrize(
    ("config", "key"),
    [
        # the examples: a credential at an unexpected place of a section that holds credentials
        ({"supervisor": {"workspaces": ["s3cr3t-token-as-entry"]}}, "cvm:supervisor.workspaces[0]"),
        ({"baremetal": {"nodes": ["apiVersion: v1\nusers: [{user: {token: s3cr3t-node}}]"]}}, "cvm:baremetal.nodes[0]"),
        ({"baremetal": {"context": "apiVersion: v1\ntoken: s3cr3t-context"}}, "cvm:baremetal.context"),
        ({"baremetal": {"nodes": {"token": "s3cr3t-in-a-map"}}}, "cvm:baremetal.nodes"),
        ({"supervisor": {"workspaces": [{"name": ["s3cr3t-list"]}]}}, "cvm:supervisor.workspaces[0].name"),
    ],
)
def test_a_credential_at_an_unexpected_place_is_secret(config: dict[str, Any], key: str) -> None:
    message = refusal(config, ("cvm:baremetal", "cvm:supervisor"))
    assert "s3cr3t" not in message
    assert f"{key} = '(secret)'" in message


def test_a_plain_value_in_a_section_with_credentials_still_shows() -> None:
    message = refusal({"baremetal": {"nodes": ["Node_1"]}}, ("cvm:baremetal",))
    assert "cvm:baremetal.nodes[0] = 'Node_1'" in message


def test_a_huge_value_gives_a_short_refusal() -> None:
    """A 5 MB name is shown by its first characters only (issue 24)."""
    message = refusal({"supervisor": {"workspaces": [{"name": "a" * 5_000_000, "image": "x:1"}]}}, ())
    assert len(message) < 1000
    assert "cvm:supervisor.workspaces[0].name = 'aaaa" in message and "…" in message


def test_inner_env_values_are_never_shown() -> None:
    """innerEnv is where a careless user puts a GITHUB_TOKEN: its values are (secret), its keys still named."""
    workspace = {"name": "a", "image": "x:1", "innerEnv": {"GITHUB_TOKEN": "ghp_s3cr3t" + "x" * 5000, "PATH": "/x"}}
    message = refusal({"supervisor": {"workspaces": [workspace]}}, ("cvm:supervisor",))
    assert "s3cr3t" not in message
    assert "cvm:supervisor.workspaces[0].innerEnv.GITHUB_TOKEN = '(secret)'" in message
    assert "cvm:supervisor.workspaces[0].innerEnv.PATH = '(secret)': would change envbox's privileged" in message


def test_secret_variables_must_be_secret_and_are_never_shown() -> None:
    workspace = {"name": "a", "image": "x:1", "innerEnv": {"A": "1"}, "secretEnv": {"A": "s3cr3t-a", "PATH": "s3cr3t"}}
    message = refusal({"supervisor": {"workspaces": [workspace]}}, ())
    assert "s3cr3t" not in message
    assert "cvm:supervisor.workspaces[0].secretEnv = '(plaintext)': is a credential: set it with --secret" in message
    assert "cvm:supervisor.workspaces[0].secretEnv.PATH = '(secret)': would change envbox's privileged" in message
    workspace = {**workspace, "secretEnv": {"A": "s3cr3t-a"}}
    message = refusal({"supervisor": {"workspaces": [workspace]}}, ("cvm:supervisor",))
    assert "s3cr3t" not in message
    assert "cvm:supervisor.workspaces[0].secretEnv.A = '(secret)': is set in innerEnv too" in message


def test_secret_variables_are_for_envbox_workspaces() -> None:
    workspace = {"name": "a", "image": "x:1", "runtime": "sysbox-runc", "secretEnv": {"TOKEN": "s3cr3t"}}
    message = refusal({"supervisor": {"workspaces": [workspace]}}, ("cvm:supervisor",))
    assert "s3cr3t" not in message
    assert "cvm:supervisor.workspaces[0].secretEnv = '(secret)': is an envbox option" in message
