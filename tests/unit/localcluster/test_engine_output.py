"""What the engine driver prints of Pulumi's output (localcluster/engine_output.py, issue 25): each line and each
diagnostic once, the local provider's version warning explained, a failed update without its outputs. The lines
are a failed `make up` of the dev stack as Pulumi printed them here (shortened)."""

from __future__ import annotations

from pulumi.automation import OpType

from localcluster.engine_output import EXPLAINED, Shown, changes

PROVIDER = (
    "warning: resource plugin kubernetes is expected to have version >=4.34.2, but has 4.25.0; the wrong version"
    " may be on your path, or this may be a bug in the plugin"
)
MOVED = "cvm:supervisor.namespace = 'cvm-moved': the homes of 'bob' were made under namespace 'cvm-workspaces'"
FAILED_UP = f"""Updating (dev):

    pulumi:pulumi:Stack cvm-dev  {PROVIDER}
 ~  pulumi:pulumi:Stack cvm-dev refreshing (0s) {PROVIDER}
 ~  kubernetes:core/v1:Namespace cvm-workspaces refreshing (0s)
 ~  kubernetes:core/v1:Namespace cvm-workspaces refreshing (0s)
 ~  kubernetes:core/v1:Namespace cvm-workspaces refresh (0.06s)
    pulumi:pulumi:Stack cvm-dev running read pulumi:pulumi:StackReference cvm-dev-previous
    pulumi:pulumi:Stack cvm-dev running error: {MOVED}
    pulumi:pulumi:Stack cvm-dev running {PROVIDER}
    pulumi:pulumi:Stack cvm-dev running read pulumi:pulumi:StackReference cvm-dev-previous
    pulumi:pulumi:Stack cvm-dev running error: Exception calling application: {MOVED}
    pulumi:pulumi:Stack cvm-dev **failed** 2 errors; 3 warnings
Diagnostics:
  pulumi:pulumi:Stack (cvm-dev):
    {PROVIDER}
    error: {MOVED}
    - a line under the error
    {PROVIDER}
    error: Exception calling application: {MOVED}
    - a line under the error
  kubernetes:apps/v1:Deployment (cvm-workspaces/bob):
    error: {MOVED}

Resources:
    2 unchanged
    1 errored

Duration: 1s
"""


def shown(text: str) -> list[str]:
    lines = Shown()
    return [kept for line in text.splitlines() if (kept := lines.keep(line)) is not None]


def test_each_diagnostic_is_told_once_under_diagnostics_and_not_on_the_rows() -> None:
    out = shown(FAILED_UP)
    text = "\n".join(out)
    assert text.count("is expected to have version") == 1 and text.count(EXPLAINED) == 1
    assert f"    {PROVIDER}{EXPLAINED}" in out
    # once per resource it is about; the host's wrapped copy and its lines go
    assert text.count(MOVED) == 2 and "Exception calling application" not in text
    assert out.count("    - a line under the error") == 1
    assert out[-8:] == [
        "  kubernetes:apps/v1:Deployment (cvm-workspaces/bob):",
        f"    error: {MOVED}",
        "",
        "Resources:",
        "    2 unchanged",
        "    1 errored",
        "",
        "Duration: 1s",
    ]


def test_a_progress_row_is_printed_once() -> None:
    out = shown(FAILED_UP)
    assert out.count(" ~  kubernetes:core/v1:Namespace cvm-workspaces refreshing (0s)") == 1
    assert out.count("    pulumi:pulumi:Stack cvm-dev running read pulumi:pulumi:StackReference cvm-dev-previous") == 1
    assert " ~  kubernetes:core/v1:Namespace cvm-workspaces refresh (0.06s)" in out
    assert out.count("") == FAILED_UP.splitlines().count("")  # blank lines are Pulumi's layout: all kept


def test_the_summary_sections_other_than_diagnostics_pass_as_they_are() -> None:
    preview = 'Outputs:\n    a: [\n        [0]: "x"\n    ]\n    b: [\n        [0]: "x"\n    ]\n'
    assert shown(preview) == preview.splitlines()


def test_what_a_run_did_is_worded_as_pulumi_words_it() -> None:
    assert changes({"same": 15, "create": 1, "delete": 4, "read": 2}) == "1 created, 4 deleted, 15 unchanged"
    assert changes({"create": 16}) == "16 created"
    assert changes({"same": 3, "import": 1}) == "3 unchanged, 1 import"
    assert changes(None) == changes({"read": 1}) == "nothing to do"
    assert changes({OpType.CREATE: 2}) == "2 created"  # as the Automation API types them
