"""Where homes live, and the refusal of a change that would leave one behind (components/cvm/workspaces/homes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import Supervisor
from components.cvm.workspaces import homes, resolve
from components.cvm.workspaces.resolved import ResolvedStack

ALICE = {"name": "alice", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "envbox"}
BOB = {"name": "bob", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc"}


def supervisor(**changes: Any) -> ResolvedStack:
    """The stack's workspaces, resolved (homes.py reads nothing else)."""
    section = Supervisor.model_validate(
        {"namespace": "team", "storageClass": "fast", "workspaces": [ALICE, BOB], **changes}
    )
    return resolve.stack(section, sysbox_enabled=True, kubernetes_minor="1.34", platform="baremetal")


def last() -> Any:
    """The `homes` output as a run of `supervisor()` exported it."""
    return homes.homes(supervisor())


def test_each_home_is_in_its_runtimes_namespace() -> None:
    assert last() == {
        "alice": {"namespace": "team-envbox", "claim": "alice-home", "storageClass": "fast"},
        "bob": {"namespace": "team", "claim": "bob-home", "storageClass": "fast"},
    }


@pytest.mark.parametrize("previous", [None, {}, "not a map", {"alice": "not a map"}])
def test_nothing_moves_on_a_first_run_or_for_a_workspace_added_back(previous: Any) -> None:
    assert homes.moves(previous, supervisor(namespace="elsewhere", storageClass=None)) == []


def test_an_unchanged_stack_and_new_or_removed_workspaces_move_nothing() -> None:
    assert homes.moves(last(), supervisor()) == []
    carol = {**BOB, "name": "carol"}
    assert homes.moves(last(), supervisor(workspaces=[BOB, carol])) == []


def test_a_namespace_change_is_refused_once_naming_every_home() -> None:
    (refusal,) = homes.moves(last(), supervisor(namespace="other"))
    assert refusal.startswith(
        "cvm:supervisor.namespace = 'other': the homes of 'alice', 'bob' were made under namespace 'team'"
    )
    assert "remove them from cvm:supervisor.workspaces for one `pulumi up`" in refusal


def test_a_runtime_change_is_refused_with_the_entry_and_both_namespaces() -> None:
    (refusal,) = homes.moves(last(), supervisor(workspaces=[{**ALICE, "runtime": "sysbox-runc"}, BOB]))
    assert refusal.startswith(
        "cvm:supervisor.workspaces[0].runtime = 'sysbox-runc': the home of 'alice' is in namespace 'team-envbox' "
        "and sysbox-runc workspaces live in 'team'"
    )
    assert "Set the runtime back to 'envbox'" in refusal


@pytest.mark.parametrize(
    ("new", "said"),
    [("slow", "'slow'"), (None, "unset (the cluster's default class)")],
)
def test_a_storage_class_change_is_refused(new: str | None, said: str) -> None:
    (refusal,) = homes.moves(last(), supervisor(storageClass=new))
    assert refusal.startswith(f"cvm:supervisor.storageClass = {said}: the homes of 'alice', 'bob' are on 'fast'")
    assert "cannot change (the API refuses it)" in refusal


def test_every_move_is_reported_at_once() -> None:
    moved = supervisor(storageClass="slow", workspaces=[{**ALICE, "runtime": "sysbox-runc"}, BOB])
    refusals = homes.moves(last(), moved)
    assert [r.split(" = ")[0] for r in refusals] == [
        "cvm:supervisor.workspaces[0].runtime",
        "cvm:supervisor.storageClass",
    ]
    assert "the homes of 'bob' are on 'fast'" in refusals[1]
