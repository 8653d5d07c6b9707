"""`make up CLUSTER=<context>` (scripts/up.sh): a real cluster only when named, its preview shown, then a y/N
(YES=1 for no question), refused in one line with no terminal to ask on. A stand-in `pulumi` records what it
is asked to do, so nothing here reaches a cluster."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import yaml

from localcluster import ROOT
from tests.harness import KUBECONFIG

SCRIPT = ROOT / "scripts" / "up.sh"
# what the stand-in answers: the stack is bare metal and sets no context; it logs each call and its KUBECONFIG
PULUMI = """#!/bin/sh
echo "$* KUBECONFIG=$KUBECONFIG" >> "$LOG"
case "$*" in
  "config get platform"*) echo baremetal ;;
  "config get --path baremetal.context"*) exit 1 ;;
  "preview"*) cp "$KUBECONFIG" "$LOG.kubeconfig" ;;
esac
"""


def run(tmp_path: Path, answer: str | None, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """scripts/up.sh with the stand-in `pulumi`, the harness's kubeconfig (context 'lab'), and `answer` typed
    at a terminal (None: no terminal)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "pulumi").write_text(PULUMI)
    (bin_dir / "pulumi").chmod(0o755)
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    log = tmp_path / "log"
    variables = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "KUBECONFIG": str(tmp_path / "kubeconfig"),
        "LOG": str(log),
        "PULUMI_BACKEND_URL": "file://" + str(tmp_path / "state"),
        **env,
    }
    if answer is None:
        done = subprocess.run([SCRIPT], env=variables, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    else:
        controller, terminal = pty.openpty()
        os.write(controller, answer.encode() + b"\n")  # the terminal keeps the line until the script reads it
        done = subprocess.run([SCRIPT], env=variables, stdin=terminal, capture_output=True, text=True, timeout=60)
        os.close(controller)
        os.close(terminal)
    calls = log.read_text().splitlines() if log.exists() else []
    return done, [call.partition(" KUBECONFIG=")[0] for call in calls]


def test_make_up_cluster_previews_asks_and_applies_on_yes(tmp_path: Path) -> None:
    done, calls = run(tmp_path, "y", CLUSTER="lab")
    assert done.returncode == 0, done.stderr
    assert calls == [
        "stack select dev --create",
        "config get --path baremetal.context --stack dev",
        "config get platform --stack dev",
        "preview --stack dev",
        "up --stack dev --yes --skip-preview",
        "stack output --stack dev",
    ]
    assert "Apply this to the cluster of context 'lab'? [y/N]" in done.stderr
    # the program saw a kubeconfig of the named context only, in a temporary file gone after the run
    shown = yaml.safe_load((tmp_path / "log.kubeconfig").read_text())
    assert shown["current-context"] == "lab" and [c["name"] for c in shown["contexts"]] == ["lab"]
    used = (tmp_path / "log").read_text().splitlines()[-1].partition(" KUBECONFIG=")[2]
    assert used != str(tmp_path / "kubeconfig") and not Path(used).exists()


def test_anything_but_yes_applies_nothing(tmp_path: Path) -> None:
    done, calls = run(tmp_path, "", CLUSTER="lab")
    assert done.returncode == 1
    assert calls[-1] == "preview --stack dev" and not any(call.startswith("up ") for call in calls)
    assert done.stderr.endswith("[y/N] make up CLUSTER=lab: nothing applied\n")


def test_yes_1_applies_without_a_terminal(tmp_path: Path) -> None:
    done, calls = run(tmp_path, None, CLUSTER="lab", YES="1")
    assert done.returncode == 0, done.stderr
    assert "up --stack dev --yes --skip-preview" in calls and "[y/N]" not in done.stderr


def test_without_a_terminal_or_yes_1_it_refuses_in_one_line_before_anything(tmp_path: Path) -> None:
    done, calls = run(tmp_path, None, CLUSTER="lab")
    assert (done.returncode, calls) == (2, [])
    assert done.stderr == (
        "make up CLUSTER=lab: no terminal to ask on before applying; add YES=1 to apply without asking\n"
    )


def test_a_context_the_kubeconfig_lacks_is_named_before_pulumi_runs(tmp_path: Path) -> None:
    done, calls = run(tmp_path, None, CLUSTER="prod", YES="1")
    assert (done.returncode, calls) == (2, [])
    assert done.stderr.startswith("make up CLUSTER=prod: cvm:baremetal.context = 'prod': is not a context of")
    assert len(done.stderr.splitlines()) == 1


def test_without_cluster_the_script_does_nothing(tmp_path: Path) -> None:
    done, calls = run(tmp_path, None, YES="1")
    assert (done.returncode, calls) == (2, [])
    assert done.stderr == "make up: a real cluster is used only when named: make up CLUSTER=<context>\n"
