"""Every example stack, the dev stack and the shared bare-metal stacks register exactly what they registered
before the components were re-laid out (issue 12): types, names, inputs, parents, providers, protection,
retention and dependencies as they reached the monitor, and the outputs.

registrations/*.json were recorded from the code before the change; a difference here is a change of
behaviour. Each file is one stack; the ambient kubeconfig's path is written `$KUBECONFIG` in them.

A change that means to change what is registered re-records them, `python -m tests.program.test_registrations`,
and its commit says what the difference is after reading `git diff tests/program/registrations`. Re-recorded
since: for issue 15 (each workspace namespace's egress policy, envbox workspaces with their Secrets and home
volumes in `<supervisor.namespace>-envbox`, Pod Security warn and audit labels, resource bounds, the
installer's priority class, the `envboxNamespace` output); for issue 14 (homes and their namespaces retained
on delete instead of protected, the self StackReference on every platform, the `homes` output).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness import KUBECONFIG, STANDARD_STACKS, Run, run_program

RECORDED = Path(__file__).resolve().parent / "registrations"
STACKS = STANDARD_STACKS


def short(urn: str) -> str:
    """A URN's last part, the resource's name."""
    return urn.split("::", 3)[-1] if urn else ""


def snapshot(run: Run) -> dict[str, Any]:
    """What the recorded files hold: each resource as it reached the monitor, sorted; and the outputs."""
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "custom": r.custom,
            "read": bool(r.read),
            "parent": short(r.parent),
            "provider": short((r.provider or "").rsplit("::", 1)[0]),  # a reference is `URN::ID`
            "protect": r.protect,
            "retainOnDelete": r.retain,
            "dependencies": [short(d) for d in sorted(r.dependencies)],
            "inputs": r.manifest,
        }
        for r in run.resources
    ]
    return {"resources": sorted(resources, key=lambda e: (e["type"], e["name"])), "outputs": run.outputs}


def registered(stack: str, ambient: Path) -> str:
    """The stack's snapshot as a recorded file holds it, with `ambient` as the ambient kubeconfig."""
    config, secret_keys = STACKS[stack]
    text = json.dumps(
        json.loads(json.dumps(snapshot(run_program(config, secret_keys, stack=stack)))), indent=1, sort_keys=True
    )
    return text.replace(str(ambient), "$KUBECONFIG") + "\n"


def ambient_kubeconfig(folder: Path) -> Path:
    """The examples' bare-metal stack names its context: an ambient kubeconfig that has it."""
    ambient = folder / "kubeconfig"
    ambient.write_text(KUBECONFIG.replace("lab", "metal-admin"))
    return ambient


def test_every_stack_is_recorded() -> None:
    assert sorted(STACKS) == sorted(p.stem for p in RECORDED.glob("*.json"))


@pytest.mark.parametrize("stack", STACKS)
def test_registrations_are_unchanged(stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ambient = ambient_kubeconfig(tmp_path)
    monkeypatch.setenv("KUBECONFIG", str(ambient))
    # compared as plain data, so that a difference shows as a diff of the two
    assert json.loads(registered(stack, ambient)) == json.loads((RECORDED / f"{stack}.json").read_text())


if __name__ == "__main__":  # re-record every stack's file
    import os
    import tempfile

    for name in STACKS:
        kubeconfig = ambient_kubeconfig(Path(tempfile.mkdtemp()))
        os.environ["KUBECONFIG"] = str(kubeconfig)
        (RECORDED / f"{name}.json").write_text(registered(name, kubeconfig))
        print(f"recorded {name}")
