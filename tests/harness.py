"""Run `__main__.py` under the Pulumi SDK's mocks and record what it registers.

Each run happens in a fresh `contextvars.Context` with its own event loop, so the SDK's global state (root
stack, config, settings) starts empty every time and nothing leaks from one test to the next.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import gc
import logging
import runpy
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "__main__.py"
PROVIDER_TYPE = "pulumi:providers:kubernetes"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool
    read: bool = False  # a `get` of an existing object, not a registration

    @property
    def manifest(self) -> dict[str, Any]:
        """The object as the Kubernetes API would receive it: the inputs with secrets unwrapped."""
        return unwrap(self.inputs)  # type: ignore[no-any-return]

    def is_secret(self, *path: str) -> bool:
        """Whether the input at `path` (or one of its parents) was sent as a secret."""
        value: Any = self.inputs
        for key in path:
            if _is_secret(value):
                return True
            value = value[key]
        return _is_secret(value)


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    """Inputs with every secret replaced by the value it wraps."""
    if _is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    program: dict[str, Any] = field(default_factory=dict)  # the globals of __main__.py after it ran

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


# What the clouds would answer: outputs of resources (by type) and results of invokes (by token), camelCase.
FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
CLOUD_OUTPUTS: dict[str, dict[str, Any]] = {
    "gcp:container/cluster:Cluster": {"endpoint": "203.0.113.10", "masterAuth": {"clusterCaCertificate": "Q0E="}},
    "eks:index:Cluster": {"kubeconfigJson": '{"apiVersion": "v1", "kind": "Config"}'},
}
INVOKE_RESULTS: dict[str, dict[str, Any]] = {
    "aws:ssm/getParameter:getParameter": {"value": "ami-0123456789abcdef0", "type": "String"},
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        "kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(FAKE_KUBECONFIG.encode()).decode()}]
    },
}


# What a good CVM node reports (a GKE Ubuntu 24.04 node of the 1.35 default), for reads of Node objects.
GOOD_NODE: dict[str, Any] = {
    "nodeInfo": {
        "architecture": "amd64",
        "containerRuntimeVersion": "containerd://2.1.4",
        "kernelVersion": "6.8.0-1015-gke",
        "kubeletVersion": "v1.35.1-gke.1396000",
        "osImage": "Ubuntu 24.04.1 LTS",
        "operatingSystem": "linux",
    },
    "capacity": {"cpu": "4", "memory": "16393460Ki"},
    "allocatable": {"cpu": "3920m", "memory": "13497588Ki"},
}


def node_status(**overrides: str) -> dict[str, Any]:
    """GOOD_NODE's status with some of what it reports changed: nodeInfo keys, or `cpu`/`memory` capacity."""
    size = {key: overrides.pop(key) for key in ("cpu", "memory") if key in overrides}
    return {
        **GOOD_NODE,
        "nodeInfo": {**GOOD_NODE["nodeInfo"], **overrides},
        "capacity": {**GOOD_NODE["capacity"], **size},
    }


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registration; reads of Nodes answer from `nodes` (name -> status), or as good nodes."""

    def __init__(self, run: Run, nodes: dict[str, dict[str, Any]] | None = None):
        self.run = run
        self.nodes = nodes

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        read_id = args.resource_id or ""  # set for a `get` of an existing object
        self.run.resources.append(
            Registered(args.typ, args.name, dict(args.inputs), args.provider, bool(args.custom), read_id != "")
        )
        if read_id and args.typ == "kubernetes:core/v1:Node":
            return read_id, {"metadata": {"name": read_id}, "status": self._status(read_id)}
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


class PlainReferencesMonitor(MockMonitor):
    """The SDK's mock monitor, telling the program it takes no resource references.

    With references, the monitor rebuilds each referenced resource (the EKS cluster a node group names) on a
    worker thread with an event loop of its own, whose futures the program's loop then awaits: the run can
    fail with "attached to a different loop" or hang. Without them, a reference arrives as the URN or ID.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.loops: list[asyncio.AbstractEventLoop] = []
        self._threads = threading.local()

    def GetDeploymentInfo(self, request: Any) -> Any:
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        kept = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=kept)

    # The SDK's mock answers on worker threads, making each an event loop it never closes (which then fails
    # noisily when collected); make them here, and close them when the run ends (`close_loops`).
    def _thread_loop(self) -> None:
        if not getattr(self._threads, "loop", None):
            self._threads.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._threads.loop)
            self.loops.append(self._threads.loop)

    def ReadResource(self, request: Any) -> Any:
        self._thread_loop()
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:
        self._thread_loop()
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:
        self._thread_loop()
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def close_loops(self) -> None:
        for loop in self.loops:
            loop.close()

    def SupportsFeature(self, request: Any) -> Any:
        response = super().SupportsFeature(request)  # type: ignore[no-untyped-call]
        response.hasSupport = response.hasSupport and request.id != "resourceReferences"
        return response


class _WarningCollector(logging.Handler):
    def __init__(self, run: Run):
        super().__init__(logging.WARNING)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.run.warnings.append(record.getMessage())


def run_program(
    config: dict[str, Any],
    secret_keys: tuple[str, ...] = (),
    stack: str = "dev",
    nodes: dict[str, dict[str, Any]] | None = None,
    into: Run | None = None,
) -> Run:
    """Run the program with `config` (keys without the `cvm:` prefix are in it) and return what it did.

    `nodes` is the cluster's Nodes (name -> status) that reads see; by default every node reads as a good one.
    `into` records the run there, so that a test sees what was registered before the program failed.
    """
    # imported here: the benchmark's floor uses this module's mocks and must load no module of ours
    from components.settings import stored_config

    return contextvars.Context().run(
        _run, stored_config(config), [k if ":" in k else f"cvm:{k}" for k in secret_keys], stack, nodes, into or Run()
    )


def _program(run: Run) -> None:
    run.program.update(runpy.run_path(str(MAIN), run_name="__main__"))


def _run(
    config: dict[str, str], secret_keys: list[str], stack: str, nodes: dict[str, dict[str, Any]] | None, run: Run
) -> Run:
    logger = logging.getLogger(f"cvm-test-{id(run)}")
    logger.addHandler(_WarningCollector(run))
    logger.propagate = False
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = PlainReferencesMonitor(RecordingMocks(run, nodes))
    try:
        runtime_settings.reset_options(project="cvm", stack=stack)
        pulumi.runtime.set_mocks(monitor.mocks, "cvm", stack, preview=False, logger=logger, monitor=monitor)
        pulumi.runtime.set_all_config(config, secret_keys)
        loop.run_until_complete(run_pulumi_func(lambda: _program(run)))
        root = runtime_settings.get_root_resource()
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
