"""What a `pulumi preview` of cvm costs, against the floor the Pulumi SDK itself sets.

For each platform and workspace count, the program is evaluated the way `pulumi preview` does it (preview
mode, under the SDK's mock monitor, so no cloud is needed), and so is the floor: a flat replay that
registers the very same resources (types, names, inputs, parents, providers, dependencies, options), reads
the same objects and makes the same invokes, recorded from the program's own run, straight through the SDK,
with none of our settings, components or manifests (the floor's process imports no module of ours; the
script checks that both send the same requests). Each run is a fresh process, so imports count. The gap
between the two is what our code adds.

    python -m bench.preview [--repeats N] [--sizes 1,10,100,500] [--platforms baremetal,gke,aks,eks] [--no-engine]

Where the local engine is built (scripts/toolchain.sh), it also times a no-change `pulumi preview` of the dev
stack against one of an empty program on the local control plane, and prints that ratio.

The statistic, chosen to hold on a loaded machine: the runs come in pairs, the program's and the floor's back to
back (which goes first alternates), and a cell's `ratio` is the median over its pairs of the program's wall time
over the floor's; `cpu ratio` is the same over their CPU time. Its `program s` and `floor s` are medians, which
a load inflates: read the ratios. The load average seen during the run is printed before the last line,
`max ratio to SDK floor: <x.xx> (CPU time; wall time: <y.yy>)`: the largest `cpu ratio` of the mock rows, the
statistic of record (a run's CPU time leaves out the time it waited for a core, which is most of what a load
adds; the wall-time ratio of a pair still moves when the load changes within it), then the largest `ratio`.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import hashlib
import importlib
import inspect
import itertools
import json
import os
import pickle
import resource
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.harness import Registered, Run

# before the heavy imports: they are part of what a preview costs
START, START_CPU = time.perf_counter(), time.process_time()

ROOT = Path(__file__).resolve().parent.parent
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
    "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\ncurrent-context: c\n"
)
PLATFORMS: dict[str, dict[str, Any]] = {
    "baremetal": {"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG, "nodes": ["n1", "n2"]}},
    "gke": {"platform": "gke", "gke": {"location": "europe-west4"}},
    "aks": {"platform": "aks", "aks": {"location": "westeurope"}},
    "eks": {"platform": "eks"},
}


def stack_config(platform: str, workspaces: int) -> dict[str, Any]:
    """The platform's stack with `workspaces` workspaces, half envbox, half sysbox-runc."""
    runtimes = ("envbox", "sysbox-runc")
    listed = [
        {"name": f"ws-{i}", "image": "ghcr.io/acme/workspace:2026.11", "runtime": runtimes[i % 2]}
        for i in range(workspaces)
    ]
    return {**PLATFORMS[platform], "skipAwait": True, "supervisor": {"canary": False, "workspaces": listed}}


# --- one measured run (a child process) -------------------------------------------------------------------


def _evaluate(register: Callable[[], None], stored: dict[str, str]) -> Run:
    """Run `register` as a preview through the tests' harness; return what reached its monitor, in order: the
    registrations and reads, and the invokes (token and arguments)."""
    from tests.harness import evaluate

    return evaluate(register, stored, ["cvm:baremetal"], stack="bench", preview=True)


def _program() -> None:
    sys.path.insert(0, str(ROOT))
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


STACK_REFERENCE = "pulumi:pulumi:StackReference"  # the stack's read of its own last outputs (components/last_run.py)


def sdk_class(resource_type: str) -> Any:
    """The SDK class of a type token: kubernetes:apps/v1:DaemonSet is pulumi_kubernetes.apps.v1.DaemonSet."""
    if resource_type == STACK_REFERENCE:
        import pulumi

        return pulumi.StackReference
    package, module, name = resource_type.split(":")
    if package == "pulumi":  # pulumi:providers:<package>
        return importlib.import_module(f"pulumi_{name.replace('-', '_')}").Provider
    if package == "kubernetes":  # the group's first label and the version: storage.k8s.io/v1 is storage.v1
        group, version = module.split("/")
        return getattr(importlib.import_module(f"pulumi_kubernetes.{group.split('.')[0]}.{version}"), name)
    return getattr(_sdk_module(package, module), name)


def sdk_function(token: str) -> Any:
    """The SDK function of an invoke's token, in the form the program calls (its output form):
    aws:ssm/getParameter:getParameter is pulumi_aws.ssm.get_parameter_output."""
    from pydantic.alias_generators import to_snake

    package, module, name = token.split(":")
    return getattr(_sdk_module(package, module), f"{to_snake(name)}_output")


def _sdk_module(package: str, module: str) -> Any:
    """A cloud SDK's module of a token's module part: `container/cluster` is `.container`, `index` the top."""
    first = module.split("/")[0]
    return importlib.import_module(f"pulumi_{package.replace('-', '_')}{'' if first == 'index' else f'.{first}'}")


def sdk_arguments(cls: Any, props: dict[str, Any]) -> dict[str, Any]:
    """The recorded inputs as the class's keyword arguments (those it sets itself, like `kind`, are dropped)."""
    import pulumi
    from pydantic.alias_generators import to_snake

    # the generated classes declare their keywords in `__init__`'s overloads
    accepted = {
        name for overload in typing.get_overloads(cls.__init__) for name in inspect.signature(overload).parameters
    }

    def keyword(name: str) -> str:  # the class's own first parameter is `resource_name`
        return "resource_name_" if name == "resource_name" else name

    # an input's keyword, whatever its case (pulumi-eks's `enableIMDSv2` is `enable_imdsv2`)
    by_letters = {name.replace("_", "").lower(): name for name in accepted if name != "resource_name"}
    given = {
        by_letters[folded]: v
        for k, v in props.items()
        if (folded := keyword(to_snake(k)).replace("_", "").lower()) in by_letters
    }
    # An input the program gave as an output of nothing (a lookup the mocks answer empty, such as GKE's project)
    # reached the monitor as nothing, but the class insists on a value for a required one: the same nothing.
    args_class = getattr(inspect.getmodule(cls), f"{cls.__name__}Args", None)
    required = [
        keyword(name)
        for name, parameter in (inspect.signature(args_class.__init__).parameters.items() if args_class else ())
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    ]
    return {**{name: pulumi.Output.from_input(None) for name in required if name not in given}, **given}


def _replay(recording: list[Registered], inputs: list[dict[str, Any]], calls: list[tuple[str, dict[str, Any]]]) -> None:
    """The floor: the recorded invokes and registrations, made directly with the provider SDKs' own functions
    and classes (generic components for ours), with the options the program gave (parent, provider,
    dependencies, protection, retention, replacement), so that the floor pays the same SDK imports and the
    same registrations the program does. Like the program (__main__.py), it imports with the garbage collector
    off, then freezes what it imported, so that neither pays the collector for the SDKs' objects."""
    gc.disable()
    import pulumi
    from pydantic.alias_generators import to_snake

    for resource_type in {r.type for r in recording if _sdk_made(r)}:
        sdk_class(resource_type)
    invokes = [(sdk_function(token), {to_snake(k): v for k, v in args.items()}) for token, args in calls]
    gc.freeze()
    gc.enable()
    for function, args in invokes:
        function(**args)
    by_urn: dict[str, pulumi.Resource] = {}
    for entry, given in zip(recording, inputs, strict=True):
        parent = by_urn.get(entry.parent)
        provider = by_urn.get(entry.provider.rsplit("::", 1)[0]) if entry.provider else None
        needs = [by_urn[urn] for urn in entry.dependencies if urn in by_urn]
        if entry.read:
            read = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=needs)  # type: ignore[arg-type]
            if entry.type == STACK_REFERENCE:  # read by the stack's name: the SDK's class has no `get`
                by_urn[_urn(entry)] = pulumi.StackReference(entry.name, stack_name=entry.read, opts=read)
            else:
                by_urn[_urn(entry)] = sdk_class(entry.type).get(entry.name, entry.read, opts=read)
            continue
        opts = pulumi.ResourceOptions(
            parent=parent,
            provider=provider,  # type: ignore[arg-type]
            depends_on=needs,
            protect=entry.protect or None,
            retain_on_delete=entry.retain or None,
            delete_before_replace=entry.delete_before_replace or None,
            ignore_changes=list(entry.ignore_changes) or None,
            replace_on_changes=list(entry.replace_on_changes) or None,
        )
        made: pulumi.Resource
        if _sdk_made(entry):
            cls = sdk_class(entry.type)
            made = cls(entry.name, opts=opts, **sdk_arguments(cls, given))
        else:
            component = pulumi.ComponentResource(entry.type, entry.name, None, opts)
            component.register_outputs({})
            made = component
        by_urn[_urn(entry)] = made


def _as_given(entry: Registered) -> dict[str, Any]:
    """The inputs as they reached the monitor, as plain values the SDK sends back as they were: a secret as
    its wrapper, an unknown as the SDK's marker, a null as null; and a provider's input that is not a string as
    itself (the SDK sends it as JSON, `true`)."""
    from google.protobuf import json_format  # type: ignore[import-untyped]

    inputs: dict[str, Any] = json_format.MessageToDict(entry.object)
    if not entry.type.startswith("pulumi:providers:"):
        return inputs

    def as_value(value: Any) -> Any:
        try:
            return json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return value

    return {key: as_value(value) for key, value in inputs.items()}


# The CPU and wall seconds the floor's run spent reading its recording (not part of the floor: subtracted)
READING = [0.0, 0.0]


def _floor(recording: Path) -> None:
    """The floor's run: its recording read (and timed, to be left out), then replayed."""
    started, started_cpu = time.perf_counter(), time.process_time()
    from google.protobuf import json_format  # noqa: F401  (what _as_given uses: its import is timed too)

    resources, calls = pickle.loads(recording.read_bytes())
    inputs = [_as_given(entry) for entry in resources]
    READING[:] = [time.perf_counter() - started, time.process_time() - started_cpu]
    _replay(resources, inputs, calls)


def _sdk_made(entry: Registered) -> bool:
    """Whether the floor makes the entry with its SDK class (pulumi-eks's are components of its own), rather
    than as a generic component standing for one of ours."""
    return bool(entry.read) or entry.custom or entry.type.startswith("eks:")


def _urn(entry: Registered) -> str:
    """The URN the SDK's mock monitor gives the entry: its parent's own type (the last of the parent's type
    chain), `$`, its type (pulumi/runtime/mocks.py, `MockMonitor.make_urn`)."""
    parent_type = entry.parent.split("::")[2].split("$")[-1] if entry.parent else ""
    chain = f"{parent_type}${entry.type}" if parent_type else entry.type
    return f"urn:pulumi:bench::cvm::{chain}::{entry.name}"


def fingerprint(run: Run) -> str:
    """What reached the monitor, in any order (the SDK sends some requests as their inputs resolve): each
    registration and read with its options and its inputs as sent (unknowns included), and each invoke with its
    arguments."""
    rows = [
        [r.type, r.name, r.custom, r.parent, r.provider, r.protect, r.retain, sorted(r.dependencies), r.read,
         r.delete_before_replace, sorted(r.ignore_changes), sorted(r.replace_on_changes),
         r.object.SerializeToString(deterministic=True).hex()]
        for r in run.resources
    ]  # fmt: skip
    texts = sorted(json.dumps(row, sort_keys=True, default=repr) for row in [*rows, *map(list, run.calls)])
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def child(mode: str, recording: Path) -> None:
    """One measured run. The program's config comes as `pulumi` hands it over, already stored (the parent made
    it), so that this process imports nothing of ours before `__main__.py` does, as in a real run."""
    if mode == "program":
        seen = _evaluate(_program, json.loads(recording.with_suffix(".json").read_text()))
    else:
        seen = _evaluate(lambda: _floor(recording), {})
    elapsed = time.perf_counter() - START - READING[0]
    cpu = time.process_time() - START_CPU - READING[1]
    if mode == "program" and not recording.exists():  # the first run records what the floor replays
        recording.write_bytes(pickle.dumps((seen.resources, seen.calls)))
    # ours but not the program's: the benchmark, the harness and the good node's status the harness answers with
    ours = {"bench", "tests", "localcluster"}
    third_party = sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names) - ours)
    assert mode == "program" or "components" not in third_party, "the floor must load no module of ours"
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "resources": len(seen.resources),
                "registered": fingerprint(seen),
                "modules": third_party,
            }
        )
    )


# --- the real engine: a no-change preview of the dev stack against one of an empty program ----------------


def engine_stack(which: str) -> Any:
    """The dev stack, or a stack of the same project whose program registers nothing."""
    from pulumi import automation as auto

    from localcluster import cluster, engine

    kubeconfig = cluster.start([])
    if which == "dev":
        return engine.stack("dev", engine.dev_config(kubeconfig), secret_keys=engine.SECRET_KEYS)
    stack = auto.create_or_select_stack(
        stack_name="empty",
        project_name="cvm",
        program=lambda: None,
        opts=auto.LocalWorkspaceOptions(work_dir=str(engine.PROJECT), env_vars=engine.environment()),
    )
    stack.set_config("cvm:platform", auto.ConfigValue("baremetal"))  # Pulumi.yaml requires it
    return stack


def engine_child(which: str) -> None:
    """One no-change `pulumi preview` on the local control plane, in a process of its own."""
    stack = engine_stack(which)
    started = time.perf_counter()
    result = stack.preview(expect_no_changes=True, color="never")
    print(json.dumps({"seconds": time.perf_counter() - started, "summary": dict(result.change_summary)}))


def engine_rows(repeats: int) -> None:
    from localcluster import cluster, control_plane, toolchain

    built = subprocess.run([str(toolchain.SCRIPT), "paths"], capture_output=True, text=True).stdout
    if not all(Path(line.split("=", 1)[1]).exists() for line in built.split()):
        print("real engine: not built here (scripts/toolchain.sh all); skipped")
        return
    was_running = control_plane.running()
    for which in ("dev", "empty"):
        engine_stack(which).up(color="never")
    seconds: dict[str, list[float]] = {"dev": [], "empty": []}
    for _ in range(repeats):
        for which in seconds:
            command = [sys.executable, "-m", "bench.preview", "--engine-child", which]
            out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
            seconds[which].append(json.loads(out.strip().splitlines()[-1])["seconds"])
    dev, empty = (statistics.median(seconds[w]) for w in ("dev", "empty"))
    print(f"real engine, no-change preview on the local control plane: dev stack {dev:.2f} s, empty program "
          f"{empty:.2f} s, ratio {dev / empty:.2f}")  # fmt: skip
    if not was_running:
        cluster.stop()


# --- the table (the parent process) -------------------------------------------------------------------------


def measure(mode: str, recording: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.preview", "--child", mode, str(recording)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the {mode} run of {recording.stem} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def paired(recording: Path, repeats: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`repeats` pairs of runs, the program's and the floor's back to back, which goes first alternating: both
    runs of a pair meet the same load, whatever else the machine is doing."""
    program, floor = [], []
    for i in range(repeats):
        order = ("program", "floor") if i % 2 else ("floor", "program")
        runs = {mode: measure(mode, recording) for mode in order}
        program.append(runs["program"])
        floor.append(runs["floor"])
    return program, floor


def paired_ratio(program: list[dict[str, Any]], floor: list[dict[str, Any]], key: str) -> float:
    """The statistic: the median over the pairs of the program's time over the floor's."""
    return statistics.median(float(p[key]) / float(f[key]) for p, f in zip(program, floor, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100,500")
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--no-engine", action="store_true", help="skip the real-engine row")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "RECORDING"), help=argparse.SUPPRESS)
    parser.add_argument("--engine-child", choices=["dev", "empty"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        engine_child(args.engine_child)
        return
    if args.child:
        mode, recording = args.child
        child(mode, Path(recording))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    # Bytecode as a user's second preview finds it (Python writes it on the first, unless told not to).
    for folder in ("components", "bench", "tests"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    from components.config import stored_config

    loads = [os.getloadavg()[0]]
    print(f"{'platform':<10}{'workspaces':>11}{'resources':>10}{'program s':>11}{'floor s':>9}{'ratio':>7}"
          f"{'cpu ratio':>10}{'peak MiB':>10}{'floor MiB':>10}  modules (program)")  # fmt: skip
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for platform in args.platforms.split(","):
            per_size = {}
            for size in sizes:
                recording = Path(scratch) / f"{platform}-{size}.pickle"
                recording.with_suffix(".json").write_text(json.dumps(stored_config(stack_config(platform, size))))
                first = measure("program", recording)  # records what the floor replays
                program, floor = paired(recording, args.repeats)
                assert floor[0]["registered"] == first["registered"], "the replay must register what the program did"
                ratio, cpu_ratio = paired_ratio(program, floor, "seconds"), paired_ratio(program, floor, "cpu_seconds")
                ratios.append(ratio)
                cpu_ratios.append(cpu_ratio)
                program_s, floor_s = (statistics.median(r["seconds"] for r in runs) for runs in (program, floor))
                per_size[size] = (program_s, floor_s)
                modules = first["modules"]
                loads.append(os.getloadavg()[0])
                print(
                    f"{platform:<10}{size:>11}{first['resources']:>10}{program_s:>11.3f}{floor_s:>9.3f}{ratio:>7.2f}"
                    f"{cpu_ratio:>10.2f}"
                    f"{max(r['peak_mib'] for r in program):>10.0f}{max(r['peak_mib'] for r in floor):>10.0f}"
                    f"  {len(modules)}: {', '.join(m for m in modules if m.startswith('pulumi'))}",
                    flush=True,
                )
            steps = sorted(per_size)
            ours = {size: program_s - floor_s for size, (program_s, floor_s) in per_size.items()}
            costs = [
                f"{a}->{b}: {1000 * (ours[b] - ours[a]) / (b - a):+.2f} ms"
                for a, b in itertools.pairwise(steps)
                if b > a
            ]
            print(f"{'':<10}our cost per added workspace, beyond the floor's: {'; '.join(costs)}", flush=True)
    print(f"load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} CPUs")
    if not args.no_engine:
        engine_rows(args.repeats)
    print(f"max ratio to SDK floor: {max(cpu_ratios):.2f} (CPU time; wall time: {max(ratios):.2f})")


if __name__ == "__main__":
    main()
