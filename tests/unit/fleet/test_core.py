"""The fleet command's core: selection, each stack's verdict, and what it prints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.fleet import core
from components.fleet.core import Probe, Step

URN = "urn:pulumi:lab::cvm::cvm:index:WorkspaceSupervisor$kubernetes:apps/v1:Deployment::ws/cvm-canary"
NODE_READ = "urn:pulumi:lab::cvm::cvm:clusters:BareMetal$kubernetes:core/v1:Node::lab-preflight-worker-1"
DEPLOYED: dict[str, Any] = {
    "platform": "baremetal",
    "clusterName": "lab",
    "kubernetesVersion": "1.35",
    "sysboxVersion": "0.7.1",
    "runtimeClassName": "sysbox-runc",
    "workspaceNamespace": "ws",
    "workspaces": ["cvm-canary", "alice"],
}
READY = {"replicas": 1, "readyReplicas": 1}
STACKS = {
    "gke-prod": {"cvm:platform": "gke", "cvm:cluster": "prod"},
    "aks-prod": {"cvm:platform": "aks", "cvm:cluster": "prod"},
    "lab": {"cvm:platform": "baremetal"},
    "new": {},
}


def test_tags_mirror_the_outputs_and_only_missing_or_stale_ones_are_set() -> None:
    assert core.tags_from_outputs(DEPLOYED) == {"cvm:platform": "baremetal", "cvm:cluster": "lab"}
    assert core.tags_from_outputs({}) == {}  # never deployed: nothing to mirror yet
    assert core.missing_tags(DEPLOYED, {"cvm:platform": "baremetal", "cvm:cluster": "old", "team": "a"}) == {
        "cvm:cluster": "lab"
    }
    assert core.missing_tags(DEPLOYED, core.tags_from_outputs(DEPLOYED)) == {}


def test_without_flags_every_stack_is_chosen_in_name_order() -> None:
    assert core.select(STACKS, [], []) == ["aks-prod", "gke-prod", "lab", "new"]


def test_stacks_are_chosen_by_name_by_every_tag_or_both() -> None:
    assert core.select(STACKS, ["lab"], []) == ["lab"]
    assert core.select(STACKS, [], ["cvm:cluster=prod"]) == ["aks-prod", "gke-prod"]
    assert core.select(STACKS, [], ["cvm:cluster=prod", "cvm:platform=gke"]) == ["gke-prod"]  # every tag
    assert core.select(STACKS, [], ["cvm:platform=gke", "cvm:platform=aks"]) == ["aks-prod", "gke-prod"]  # either
    assert core.select(STACKS, ["new"], ["cvm:platform=baremetal"]) == ["lab", "new"]  # named, or tagged


def test_every_bad_flag_is_named_at_once() -> None:
    with pytest.raises(core.SelectionError) as bad:
        core.select(STACKS, ["lab", "ghost"], ["platform", "=gke", "cvm:platform="])
    assert bad.value.problems == [
        "--tag 'platform': expected KEY=VALUE, such as cvm:platform=baremetal",
        "--tag '=gke': expected KEY=VALUE, such as cvm:platform=baremetal",
        "--tag 'cvm:platform=': expected KEY=VALUE, such as cvm:platform=baremetal",
        "--stack 'ghost': this project has no such stack (it has: aks-prod, gke-prod, lab, new)",
    ]


def test_a_tag_no_stack_carries_is_refused_rather_than_running_nothing() -> None:
    with pytest.raises(core.SelectionError, match=r"--tag cvm:platform=eks: no stack of this project carries it"):
        core.select(STACKS, [], ["cvm:platform=eks"])


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.dictionaries(st.just("k"), st.sampled_from("xy"))),
    st.lists(st.sampled_from(["k=x", "k=y"]), max_size=2),
)
def test_selection_never_invents_a_stack(stacks: dict[str, dict[str, str]], tags: list[str]) -> None:
    try:
        chosen = core.select(stacks, [], tags)
    except core.SelectionError:
        return
    assert set(chosen) <= set(stacks) and chosen == sorted(chosen)
    if tags:
        assert all(stacks[s].get("k") in {t.split("=")[1] for t in tags} for s in chosen)
    else:
        assert chosen == sorted(stacks)


def test_a_urn_reads_as_its_type_and_name() -> None:
    assert core.resource(URN) == "kubernetes:apps/v1:Deployment ws/cvm-canary"
    assert core.resource("not-a-urn") == "not-a-urn"


def test_pending_changes_leave_out_unchanged_resources_and_reads() -> None:
    assert core.pending_changes({"same": 18, "read": 2}) == 0
    assert core.pending_changes({"same": 10, "read": 1, "create": 2, "update": 1, "replace": 1, "delete": 1}) == 5


def test_drift_is_what_a_refresh_changed_or_lost_but_not_what_the_stack_only_reads() -> None:
    steps = [Step("update", URN), Step("update", NODE_READ), Step("same", URN.replace("canary", "x"))]
    assert core.drifted(steps, external={NODE_READ}) == ["kubernetes:apps/v1:Deployment ws/cvm-canary"]
    assert core.drifted([Step("delete", URN), Step("delete", URN)], external=()) == [core.resource(URN)]
    assert core.drifted([Step("refresh", URN)], external=()) == []


def test_the_canary_is_looked_for_in_the_stacks_workspace_namespaces() -> None:
    assert core.canary_namespaces(DEPLOYED) == ["ws"]
    assert core.canary_namespaces({**DEPLOYED, "envboxNamespace": "ws-envbox"}) == ["ws", "ws-envbox"]
    assert core.canary_namespaces({**DEPLOYED, "workspaces": ["alice"]}) == []  # canary off
    assert core.canary_namespaces({}) == []


@pytest.mark.parametrize(
    ("listed", "status", "state"),
    [
        (True, READY, "ready"),
        (True, {"replicas": 1}, "not ready"),
        (True, {"replicas": 2, "readyReplicas": 1}, "not ready"),
        (True, {}, "not ready"),
        (True, None, "missing"),
        (False, None, "off"),
    ],
)
def test_canary_state(*, listed: bool, status: dict[str, int] | None, state: str) -> None:
    assert core.canary_state(status, listed=listed) == state


CONFIG_ERROR = """code: 255
 stdout: Previewing update (fleet-b):
    error: the cvm configuration has 1 problem:
      - cvm:kubernetesVersion = '1.36': Sysbox 0.7.1 accepts Kubernetes 1.32-1.35 only
    error: an unhandled error occurred: the cvm configuration has 1 problem:
      - cvm:kubernetesVersion = '1.36': Sysbox 0.7.1 accepts Kubernetes 1.32-1.35 only

 stderr: error: preview failed
"""


def test_a_failed_command_says_each_error_once_with_its_listed_problems() -> None:
    assert core.error_lines(CONFIG_ERROR) == [
        "the cvm configuration has 1 problem:\n  - cvm:kubernetesVersion = '1.36': Sysbox 0.7.1 accepts Kubernetes "
        "1.32-1.35 only",
        "preview failed",
    ]
    assert core.error_lines("code: 255\n stderr: no stack named 'x' found\n") == ["no stack named 'x' found"]


def test_a_preview_row_counts_changes_and_leaves_drift_unmeasured() -> None:
    row = core.verdict(Probe("lab", "preview", DEPLOYED, {"same": 5, "update": 2}, canary=READY, canary_read=True))
    assert (row.status, row.changes, row.drift, row.canary) == ("changes", 2, None, "ready")
    assert (row.platform, row.kubernetes, row.sysbox) == ("baremetal", "1.35", "0.7.1")
    assert core.verdict(Probe("lab", "preview", DEPLOYED, {"same": 5}, canary_read=True)).status == "in sync"


def test_a_refresh_row_lists_drift_and_leaves_changes_unmeasured() -> None:
    row = core.verdict(Probe("lab", "refresh", DEPLOYED, steps=[Step("delete", URN)], canary_read=True))
    assert (row.status, row.changes, row.drift, row.canary) == ("drift", None, [core.resource(URN)], "missing")


def test_a_failed_row_measures_nothing_but_keeps_what_the_outputs_say() -> None:
    row = core.verdict(Probe("lab", "refresh", {**DEPLOYED, "sysboxVersion": None}, errors=["boom"]))
    assert (row.status, row.changes, row.drift, row.errors) == ("error", None, None, ["boom"])
    assert (row.sysbox, row.canary) == ("off", "unknown")  # the canary was not read


def test_a_stack_never_deployed_has_nothing_to_show_but_its_changes() -> None:
    row = core.verdict(Probe("new", "preview", {}, {"create": 12}))
    assert (row.platform, row.sysbox, row.canary, row.changes) == (None, None, "unknown", 12)
    off = core.verdict(Probe("lab", "preview", {**DEPLOYED, "workspaces": []}))
    assert off.canary == "off"


def test_the_exit_code_puts_errors_before_changes_and_drift() -> None:
    clean = core.verdict(Probe("a", "preview", DEPLOYED, {"same": 3}))
    changed = core.verdict(Probe("b", "preview", DEPLOYED, {"create": 1}))
    drifted = core.verdict(Probe("c", "refresh", DEPLOYED, steps=[Step("update", URN)]))
    failed = core.verdict(Probe("d", "preview", DEPLOYED, errors=["x"]))
    assert core.exit_code([clean]) == core.IN_SYNC == 0
    assert core.exit_code([clean, changed]) == core.exit_code([drifted]) == core.CHANGED == 1
    assert core.exit_code([changed, failed]) == core.FAILED == 3


def test_the_table_has_a_line_per_stack_then_the_details() -> None:
    rows = [
        core.verdict(Probe("lab", "refresh", DEPLOYED, steps=[Step("delete", URN)], canary_read=True)),
        core.verdict(Probe("gke-prod", "refresh", errors=["the cvm configuration has 1 problem:\n  - " + "x" * 80])),
    ]
    lines = core.text(rows).splitlines()
    assert lines[0].split() == ["STACK", "PLATFORM", "K8S", "SYSBOX", "CHANGES", "DRIFT", "CANARY", "STATUS", "ERROR"]
    assert lines[1].split() == ["lab", "baremetal", "1.35", "0.7.1", "-", "1", "missing", "drift"]
    assert lines[2].split()[:8] == ["gke-prod", "-", "-", "-", "-", "-", "unknown", "error"]
    assert lines[2].endswith("the cvm configuration has 1 problem:")
    assert lines[4:] == [
        "drift: lab: kubernetes:apps/v1:Deployment ws/cvm-canary",
        "error: gke-prod: the cvm configuration has 1 problem:",
        "  - " + "x" * 80,
    ]
    assert core.text([core.verdict(Probe("a", "preview", DEPLOYED, {"same": 1}))]).count("\n") == 1  # no details


def test_the_json_has_every_row_and_the_exit_code() -> None:
    rows = [core.verdict(Probe("lab", "preview", DEPLOYED, {"create": 1}, canary=READY, canary_read=True))]
    document = json.loads(core.as_json("preview", rows))
    assert document == {
        "mode": "preview",
        "exitCode": 1,
        "stacks": [
            {
                "stack": "lab",
                "status": "changes",
                "platform": "baremetal",
                "kubernetes": "1.35",
                "sysbox": "0.7.1",
                "changes": 1,
                "drift": None,
                "canary": "ready",
                "errors": [],
            }
        ],
    }


def test_the_progress_line_says_how_far_and_what_runs() -> None:
    assert core.progress("preview", 1, 3, {"b", "a"}) == "fleet: preview 1/3 stacks done; running: a, b"
    assert core.progress("refresh", 3, 3, set()) == "fleet: refresh 3/3 stacks done"
