"""The fleet command's I/O: the project's stacks through the Automation API, each canary through its cluster.

Everything here hands plain data to `core`; nothing decides anything.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto
from pulumi.automation.events import EngineEvent, OpType

from components.fleet import core
from components.kube.names import CANARY_NAME


def scratch_project(project: Path, scratch: Path) -> Path:
    """A stand-in for the project folder in `scratch`: its Pulumi.yaml and Pulumi.<stack>.yaml files copied,
    everything else linked. The Pulumi CLI writes into a stack's file when it reads that stack (an
    `encryptionsalt:` that matches the backend's stack, pulumi/pulumi#8408), and the project's files are tracked:
    those writes land in the copies and are thrown away."""
    for entry in project.iterdir():
        if entry.name.startswith("Pulumi.") and entry.suffix in (".yaml", ".yml"):
            shutil.copyfile(entry, scratch / entry.name)
        else:
            (scratch / entry.name).symlink_to(entry)
    return scratch


@contextmanager
def workspace(work_dir: Path, program: auto.PulumiFn | None = None) -> Iterator[auto.LocalWorkspace]:
    """The project in `work_dir` (run from a scratch copy: nothing is written into it), on the backend the CLI
    is logged in to (or PULUMI_BACKEND_URL). Without `program`, each stack runs the project's own program through
    Pulumi's language host, as `pulumi preview` does; with it, the Automation API runs `program` in this process
    (the tests: no language host here). The operator's selected stack is the project folder's, so it stays."""
    with tempfile.TemporaryDirectory(prefix="cvm-fleet-") as scratch:
        yield auto.LocalWorkspace(work_dir=str(scratch_project(work_dir, Path(scratch))), program=program)


@dataclass(frozen=True)
class Survey:
    """A stack's outputs (the kubeconfig apart: it is a secret, used only to read the canary) and tags."""

    outputs: dict[str, Any] = field(default_factory=dict)
    kubeconfig: str | None = field(default=None, repr=False)  # never in a traceback or a log
    tags: dict[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()


def survey(ws: auto.LocalWorkspace, stack: str) -> Survey:
    """Read a stack's outputs and tags, and set the tags its outputs call for (core.TAGS) that it lacks."""
    try:
        outputs = {key: output.value for key, output in ws.stack_outputs(stack).items()}
        kubeconfig = outputs.pop("kubeconfig", None)
        tags = dict(ws.list_tags(stack))
        for tag, value in core.missing_tags(outputs, tags).items():
            ws.set_tag(stack, tag, value)
            tags[tag] = value
    except auto.CommandError as error:
        return Survey(errors=tuple(core.error_lines(str(error))))
    return Survey(outputs, kubeconfig, tags)


def probe(ws: auto.LocalWorkspace, stack: str, mode: core.Mode, found: Survey) -> core.Probe:
    """Run the stack's preview (or refresh preview) and read its canary; failures become the probe's errors."""
    if found.errors:
        return core.Probe(stack, mode, errors=found.errors)
    steps: list[core.Step] = []

    def step(event: EngineEvent) -> None:
        if event.res_outputs_event is not None:
            metadata = event.res_outputs_event.metadata
            steps.append(core.Step(metadata.op.value, metadata.urn))

    summary: Mapping[OpType, int] = {}
    external: frozenset[str] = frozenset()
    errors: list[str] = []
    try:
        run = auto.Stack.select(stack, ws)
        if mode == "preview":
            summary = run.preview(color="never", on_event=step).change_summary
        else:
            summary = run.preview_refresh(color="never", on_event=step).change_summary
            resources = (ws.export_stack(stack).deployment or {}).get("resources") or []
            external = frozenset(r["urn"] for r in resources if r.get("external"))
    except auto.CommandError as error:
        errors += core.error_lines(str(error))
    # the canary is read even when the run failed: a bad config does not say whether the cluster works
    canary, canary_read = None, False
    namespaces = core.canary_namespaces(found.outputs)
    if namespaces and found.kubeconfig:
        try:
            canary, canary_read = read_canary(found.kubeconfig, namespaces), True
        except Exception as error:  # the client raises many kinds; each is this stack's error, not the run's
            errors.append(f"reading the canary: {_reason(error)}")
    changes = {OpType(op).value: count for op, count in summary.items()}
    return core.Probe(stack, mode, found.outputs, changes, steps, external, canary, canary_read, errors)


def _reason(error: Exception) -> str:
    """An error in one line; the Kubernetes client's API errors carry the response's headers and body."""
    status, reason = getattr(error, "status", None), getattr(error, "reason", None)
    return f"HTTP {status} {reason}" if status else (str(error).splitlines() or [type(error).__name__])[0]


def read_canary(kubeconfig: str, namespaces: list[str]) -> Mapping[str, Any] | None:
    """The canary Deployment's status from the first of `namespaces` that has it; None when none has."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    api = config.new_client_from_config_dict(yaml.safe_load(kubeconfig))  # type: ignore[no-untyped-call]
    apps = client.AppsV1Api(api)
    for namespace in namespaces:
        try:
            deployment = apps.read_namespaced_deployment(CANARY_NAME, namespace)
        except ApiException as error:
            if error.status == 404:
                continue
            raise
        return api.sanitize_for_serialization(deployment).get("status") or {}
    return None
