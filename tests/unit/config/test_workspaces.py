"""The workspace list: names, the canary's reserved name, runtimes and agent tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.config import Settings


def test_workspace_names_leave_room_for_their_volume(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    assert load({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="a" * 58)]}})
    assert (
        "58"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="a" * 59)]}})[
            "cvm:supervisor.workspaces[0].name"
        ]
    )


def test_canary_name_is_reserved(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    assert (
        "canary"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="cvm-canary")]}})[
            "cvm:supervisor.workspaces[0].name"
        ]
    )
    assert load(
        {"platform": "baremetal", "supervisor": {"canary": False, "workspaces": [workspace(name="cvm-canary")]}}
    )


def test_sysbox_runc_workspaces_need_sysbox(
    problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    config = {
        "platform": "baremetal",
        "sysbox": {"enabled": False},
        "supervisor": {"workspaces": [workspace(runtime="sysbox-runc")]},
    }
    assert "runtime = 'sysbox-runc': needs sysbox.enabled" in problems(config)["cvm:supervisor.workspaces[0].runtime"]


def test_agent_tokens_go_with_a_coder_url(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    coder = {"coderUrl": "https://coder.example.com"}
    s = load({"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace(agentToken="t0k3n")]}})
    assert s.supervisor.workspaces[0].agent_token is not None
    assert s.supervisor.workspaces[0].agent_token.get_secret_value() == "t0k3n"
    assert (
        "is required"
        in problems({"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace()]}})[
            "cvm:supervisor.workspaces[0].agentToken"
        ]
    )
    assert (
        "needs supervisor.coderUrl"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(agentToken="t")]}})[
            "cvm:supervisor.workspaces[0].agentToken"
        ]
    )
    assert (
        "URL"
        in problems({"platform": "baremetal", "supervisor": {"coderUrl": "coder.example.com"}})[
            "cvm:supervisor.coderUrl"
        ]
    )


def test_an_agent_token_is_the_token_itself(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
    """What `config set --secret ... < file` gives keeps the newline; the agent would send it in its header."""
    coder = {"coderUrl": "https://coder.example.com"}
    token = "4d1f6e1c-95b8-4f0e-9a37-1c2b3d4e5f60"  # a Coder agent token: a UUID
    assert load({"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace(agentToken=token)]}})
    for given, said in (("", "is empty"), ("  ", "is empty"), (f"{token}\n", "whitespace"), ("ä" + token, "ASCII")):
        found = problems(
            {"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace(agentToken=given)]}}
        )
        message = found["cvm:supervisor.workspaces[0].agentToken"]
        assert said in message and "set the token itself" in message
        assert token not in message  # never the secret
