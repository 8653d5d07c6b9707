"""Run `__main__.py` under the Pulumi SDK's mocks, and record every request that reaches the mock monitor.

The one helper module of the tests (the conftest.py files hold the fixtures), kept as a plain module because
`bench/preview.py` runs its preview through it too. It holds:

- `RecordingMonitor`, the one place that works around the SDK's mock monitor (see its docstring); it records
  each registration and read as it reached the monitor: type, name, inputs, parent, provider, `protect` and
  dependencies. Everything else here uses only the SDK's public testing API.
- what the fake clouds and the fake cluster answer (`FakeCloud`; a Node reads as localcluster/good_node.py's);
- the stacks the tests share (`KUBECONFIG`, `FULL`, `ENVBOX_ONLY`, `CLOUDS`, `STANDARD_STACKS`);
- what a run holds in plain text (`Run.plain_texts`), which the secret audits search;
- `run_program`, which runs the program in a fresh `contextvars.Context` with its own event loop, so the SDK's
  global state (root stack, config, settings) starts empty every time and nothing leaks between runs.

It imports no module of ours at the top but the good node's status (plain data): the benchmark's floor runs
through it and must load none of our settings, components or manifests.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import gc
import logging
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from localcluster.good_node import GOOD_NODE

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "__main__.py"
PROVIDER_TYPE = "pulumi:providers:kubernetes"


# --- what reached the monitor -------------------------------------------------------------------------------


@dataclass
class Registered:
    """One resource request as the monitor received it: a registration, or a `get` of an existing object."""

    type: str
    name: str
    custom: bool  # registered as a custom resource; False for a read, which registers nothing
    parent: str  # URN; the root stack's for top-level resources
    provider: str | None  # provider reference, `URN::ID`
    protect: bool
    retain: bool  # registered with `retain_on_delete`: Pulumi forgets it, the cluster keeps it
    dependencies: list[str]  # URNs
    object: struct_pb2.Struct  # the serialized inputs, deserialized on first use (the benchmark replays them)
    read: str = ""  # the ID read, for a `get`
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()

    @cached_property
    def inputs(self) -> dict[str, Any]:
        """The inputs, secrets still wrapped as the monitor received them (see `is_secret`)."""
        return rpc.deserialize_properties(self.object)  # type: ignore[no-any-return]

    @property
    def manifest(self) -> dict[str, Any]:
        """The object as the Kubernetes API would receive it: the inputs with secrets unwrapped."""
        return unwrap(self.inputs)  # type: ignore[no-any-return]

    def is_secret(self, *path: str) -> bool:
        """Whether the input at `path` (or one of its parents) was sent as a secret."""
        value: Any = self.inputs
        for key in path:
            if rpc.is_rpc_secret(value):
                return True
            value = value[key]
        return rpc.is_rpc_secret(value)

    def __getstate__(self) -> dict[str, Any]:  # pickled by the benchmark; the cache is not part of the record
        return {k: v for k, v in self.__dict__.items() if k != "inputs"}


def unwrap(value: Any) -> Any:
    """Inputs with every secret replaced by the value it wraps."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every string, dict keys included, in `value` outside the secrets it holds."""
    if rpc.is_rpc_secret(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from plain_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from plain_strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)  # the program's; the SDK's root stack is left out
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registered:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(found) == 1, (
            f"{type_} {name}: {len(found)} registered; have {[(r.type, r.name) for r in self.resources]}"
        )
        return found[0]

    @property
    def kubernetes_objects(self) -> list[Registered]:
        return [r for r in self.resources if r.custom and not r.read and r.type.startswith("kubernetes:")]

    @property
    def node_reads(self) -> list[Registered]:
        """The preflight's reads of the Nodes (the stack's read of its own last outputs is a read too)."""
        return [r for r in self.resources if r.read and r.type == "kubernetes:core/v1:Node"]

    def plain_texts(self) -> Iterator[tuple[str, str]]:
        """(where, text) of every string, dict keys included, that the program sent or exported in plain text:
        each resource's inputs outside their secrets, and each output not marked secret (issue 24's audit)."""
        for r in self.resources:
            for path, text in plain_strings(r.inputs):
                yield f"{r.type} {r.name} {path}", text
        for name, value in self.outputs.items():
            if name not in self.secret_outputs:
                for path, text in plain_strings(value):
                    yield f"output {name}{path}", text

    @property
    def protected(self) -> set[tuple[str, str]]:
        """(type, name) of every resource registered with `protect`."""
        return {(r.type, r.name) for r in self.resources if r.protect}

    @property
    def retained(self) -> set[tuple[str, str]]:
        """(type, name) of every resource registered with `retain_on_delete`."""
        return {(r.type, r.name) for r in self.resources if r.retain}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, recording each request into a `Run`, and telling the program it takes no
    resource references.

    Why a subclass of the SDK's `MockMonitor` (passed to the public `set_mocks(monitor=...)`), not only `Mocks`:
    - `Mocks.new_resource` sees no resource options (parent, provider's URN, `protect`, dependencies); the
      monitor sees the whole request.
    - With resource references, the monitor rebuilds each referenced resource (the EKS cluster a node group
      names) on a worker thread with an event loop of its own, whose futures the program's loop then awaits:
      the run can fail with "attached to a different loop" or hang. Without them, a reference arrives as the
      URN or ID (`GetDeploymentInfo`, `SupportsFeature`).
    - The SDK answers on worker threads, making each an event loop it never closes (which then fails noisily
      when collected): they are made here, and closed by `close_loops` when the run ends.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, run: Run):
        super().__init__(mocks)
        self.run = run
        self.loops: list[asyncio.AbstractEventLoop] = []
        self._threads = threading.local()

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        kept = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=kept)

    def SupportsFeature(self, request: Any) -> Any:
        response = super().SupportsFeature(request)  # type: ignore[no-untyped-call]
        response.hasSupport = response.hasSupport and request.id != "resourceReferences"
        return response

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":  # the root stack is the SDK's (set_mocks), not the program's
            self._record(
                request,
                request.object,
                custom=request.custom,
                protect=request.protect,
                retain=request.retainOnDelete,
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:
        self._record(request, request.properties, custom=False, protect=False, retain=False, read=request.id)
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:
        self._thread_loop()
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def _record(
        self, request: Any, inputs: struct_pb2.Struct, *, custom: bool, protect: bool, retain: bool, read: str = ""
    ) -> None:
        self._thread_loop()
        self.run.resources.append(  # before the mocks answer: a failed read is recorded too
            Registered(
                request.type,
                request.name,
                custom,
                request.parent,
                request.provider or None,
                bool(protect),
                bool(retain),
                list(request.dependencies),
                inputs,
                read,
                delete_before_replace=bool(getattr(request, "deleteBeforeReplace", False)),
                ignore_changes=tuple(getattr(request, "ignoreChanges", ())),
                replace_on_changes=tuple(getattr(request, "replaceOnChanges", ())),
            )
        )

    def _thread_loop(self) -> None:
        if not getattr(self._threads, "loop", None):
            self._threads.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._threads.loop)
            self.loops.append(self._threads.loop)

    def close_loops(self) -> None:
        for loop in self.loops:
            loop.close()


# --- what the clouds and the cluster answer -------------------------------------------------------------------

# Outputs of resources (by type) and results of invokes (by token), camelCase.
FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
CLOUD_OUTPUTS: dict[str, dict[str, Any]] = {
    "gcp:container/cluster:Cluster": {"endpoint": "203.0.113.10", "masterAuth": {"clusterCaCertificate": "Q0E="}},
    "eks:index:Cluster": {"kubeconfigJson": '{"apiVersion": "v1", "kind": "Config"}'},
}
INVOKE_RESULTS: dict[str, dict[str, Any]] = {
    "aws:ssm/getParameter:getParameter": {"value": "ami-0123456789abcdef0", "type": "String"},
    "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "aws:eks/getAddonVersion:getAddonVersion": {"version": "v1.0.0-eksbuild.1"},
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        "kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(FAKE_KUBECONFIG.encode()).decode()}]
    },
}


class FakeCloud(pulumi.runtime.Mocks):
    """Answers registrations with their inputs and the cloud's outputs, invokes with `INVOKE_RESULTS`, and reads
    of Nodes from `nodes` (name -> status), or as good nodes."""

    def __init__(self, run: Run, nodes: Mapping[str, dict[str, Any]] | None = None):
        self.run = run
        self.nodes = nodes

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.resource_id and args.typ == "kubernetes:core/v1:Node":  # a `get`: the preflight's reads
            return args.resource_id, {"metadata": {"name": args.resource_id}, "status": self._status(args.resource_id)}
        return f"{args.name}-id", {"name": args.name, **dict(args.inputs), **CLOUD_OUTPUTS.get(args.typ, {})}

    def _status(self, node: str) -> dict[str, Any]:
        if self.nodes is None:
            return GOOD_NODE
        if node not in self.nodes:
            raise LookupError(f"resource '{node}' does not exist")  # what the engine says of a failed read
        return self.nodes[node]

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.run.calls.append((args.token, dict(args.args)))
        return {**dict(args.args), **INVOKE_RESULTS.get(args.token, {})}, []


# --- the stacks the tests share -------------------------------------------------------------------------------

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: lab, context: {cluster: lab, user: admin}}]
users: [{name: admin, user: {token: t}}]
current-context: lab
"""

# The full bare-metal stack: GPUs on, one GPU node, three workspaces (envbox, sysbox-runc, envbox with
# a GPU) and the canary, talking to a Coder deployment.
FULL: dict[str, Any] = {
    "platform": "baremetal",
    "gpu": {"enabled": True},
    # the nodes report containerd 2.x (localcluster/good_node.py): cvm's fix for nestybox/sysbox#997 is on
    "sysbox": {"containerdFix": True},
    "baremetal": {"kubeconfig": KUBECONFIG, "nodes": ["cpu-1", "cpu-2"], "gpuNodes": ["gpu-1"]},
    "supervisor": {
        "coderUrl": "https://coder.example.com",
        "storageClass": "local-path",
        "workspaces": [
            {"name": "alice", "image": "ghcr.io/acme/workspace:2026.11", "agentToken": "alice-token"},
            {
                "name": "bob",
                "image": "ghcr.io/acme/workspace:2026.11",
                "runtime": "sysbox-runc",
                "agentToken": "bob-token",
                "cpus": 4,
                "memory": "8Gi",
                "disk": "50Gi",
            },
            {"name": "carol", "image": "ghcr.io/acme/cuda-workspace:12.6", "gpus": 1, "agentToken": "carol-token"},
        ],
    },
}
SECRET_KEYS = ("baremetal", "supervisor")

# Each cloud's stack with only the keys it requires.
CLOUDS: dict[str, dict[str, Any]] = {
    "gke": {"platform": "gke", "gke": {"location": "europe-west4"}},
    "aks": {"platform": "aks", "aks": {"location": "westeurope"}},
    "eks": {"platform": "eks"},
}

# The same without Sysbox on the nodes: every workspace, the canary too, runs under envbox.
ENVBOX_ONLY: dict[str, Any] = {
    **FULL,
    "sysbox": {"enabled": False},
    "supervisor": {
        **FULL["supervisor"],
        "workspaces": [w for w in FULL["supervisor"]["workspaces"] if w.get("runtime") != "sysbox-runc"],
    },
}


# Every standard stack: the examples, the dev stack and the two above, with their secret keys. What each registers
# is recorded (tests/program/test_registrations.py), and audited for plain text (tests/program/test_plain_audit.py).
STANDARD_STACKS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    **{
        p.name.split(".")[1]: (yaml.safe_load(p.read_text())["config"], ()) for p in ROOT.glob("examples/Pulumi.*.yaml")
    },
    "dev": (yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"], ()),
    "full": (FULL, SECRET_KEYS),
    "envbox-only": (ENVBOX_ONLY, SECRET_KEYS),
}


# --- running ------------------------------------------------------------------------------------------------


def run_program(
    config: Mapping[str, Any],
    secret_keys: tuple[str, ...] = (),
    stack: str = "dev",
    nodes: Mapping[str, dict[str, Any]] | None = None,
    into: Run | None = None,
) -> Run:
    """Run the program with `config` (keys without the `cvm:` prefix are in it) and return what it did.

    `nodes` is the cluster's Nodes (name -> status) that reads see; by default every node reads as a good one.
    `into` records the run there, so that a test sees what reached the monitor before the program failed.
    """
    from components.config import stored_config  # here: the benchmark's floor must load no module of ours

    secrets = [k if ":" in k else f"cvm:{k}" for k in secret_keys]
    return evaluate(_program, stored_config(config), secrets, stack, nodes=nodes, into=into)


def _program() -> None:
    runpy.run_path(str(MAIN), run_name="__main__")


def evaluate(
    program: Callable[[], None],
    config: Mapping[str, str],
    secret_keys: list[str],
    stack: str,
    *,
    preview: bool = False,
    nodes: Mapping[str, dict[str, Any]] | None = None,
    into: Run | None = None,
) -> Run:
    """Run `program` under the mocks with stored `config` (`cvm:key` -> text), in a context of its own."""
    run = into or Run()
    return contextvars.Context().run(
        lambda: _evaluate(program, config, secret_keys, stack, preview=preview, nodes=nodes, run=run)
    )


def _evaluate(
    program: Callable[[], None],
    config: Mapping[str, str],
    secret_keys: list[str],
    stack: str,
    *,
    preview: bool,
    nodes: Mapping[str, dict[str, Any]] | None,
    run: Run,
) -> Run:
    logger = logging.getLogger(f"cvm-test-{id(run)}")
    logger.addHandler(_WarningCollector(run))
    logger.propagate = False
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(FakeCloud(run, nodes), run)
    try:
        pulumi.runtime.reset_options(project="cvm", stack=stack)
        pulumi.runtime.set_mocks(monitor.mocks, "cvm", stack, preview=preview, logger=logger, monitor=monitor)
        pulumi.runtime.set_all_config(dict(config), secret_keys)
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
        root = pulumi.runtime.get_root_resource()
        assert root is not None
        for name, value in root.outputs.items():  # type: ignore[attr-defined]
            output = pulumi.Output.from_input(value)
            run.outputs[name] = loop.run_until_complete(output.future())
            if loop.run_until_complete(output.is_secret()):
                run.secret_outputs.add(name)
    finally:
        gc.unfreeze()  # the program freezes what it imported; across many runs in one process, let it go
        loop.run_until_complete(loop.shutdown_default_executor())
        monitor.close_loops()
        loop.close()
        asyncio.set_event_loop(None)
    return run


class _WarningCollector(logging.Handler):
    def __init__(self, run: Run):
        super().__init__(logging.WARNING)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.run.warnings.append(record.getMessage())
