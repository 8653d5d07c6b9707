"""The real engine at scale: `pulumi up` and a no-change `pulumi preview` of N workspaces on the local control
plane, against the floor of applying the very same objects with `kubectl apply --server-side` (and a no-change
`--dry-run=server`) in the same run.

The stack is bare metal with `skipAwait`, Sysbox on, the canary off and N `sysbox-runc` workspaces (each a
Deployment and its home volume). The floor's objects are the program's own registrations (its run under the
tests' mock monitor, tests/harness.py), one Kubernetes object per registered resource, in registration order.
Every measured run starts on a fresh control plane (etcd wiped), so each one creates from nothing.

The second floor is Pulumi's own: the same objects as plain resources of the SDK's classes on one provider,
`up` and a no-change `preview` (`plain_program`), so that the program's ratio to it is what its structure costs
(components, parents, dependencies, the homes gate, the read of its own last outputs); the last line is
`max ratio to the plain-resource floor: <x.xx>`.

    python -m bench.engine_scale [--sizes 1,100,500] [--checkpoints both|skip|every] [--parallel N]

`--checkpoints every` is Pulumi's own default (the whole state rewritten after each step); `skip` is
PULUMI_SKIP_CHECKPOINTS=true (the state written once, at the end), which localcluster/engine.py sets. For each run it
prints where the CPU went (the Pulumi CLI, the Kubernetes provider, this process hosting the program, the API
server and etcd), what the CLI wrote (its checkpoints) and the state file's size; then the cost per added
workspace between sizes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.preview import sdk_arguments, sdk_class
from bench.processes import Sampler, Usage, cpu_seconds
from localcluster import STATE, cluster, control_plane, engine, toolchain

if TYPE_CHECKING:
    from tests.harness import Registered

MODES = {"every": "false", "skip": "true"}  # --checkpoints -> PULUMI_SKIP_CHECKPOINTS
STACK = "scale"
PLAIN_STACK = "scale-plain"  # the plain-resource floor's


def stack_config(kubeconfig: str, workspaces: int) -> dict[str, Any]:
    """The benchmark's stack: bare metal, `skipAwait`, canary off, `workspaces` sysbox-runc workspaces."""
    listed = [
        {"name": f"ws-{i}", "image": "ghcr.io/acme/workspace:2026.11", "runtime": "sysbox-runc"}
        for i in range(workspaces)
    ]
    return {
        "platform": "baremetal",
        "skipAwait": True,
        "baremetal": {"kubeconfig": kubeconfig},
        "supervisor": {"canary": False, "workspaces": listed},
    }


def program_objects(workspaces: int) -> list[Registered]:
    """The Kubernetes objects the program registers for the stack (its run under the tests' mock monitor)."""
    from tests.harness import run_program

    config = stack_config(STATE.joinpath("admin.kubeconfig").read_text(), workspaces)
    return run_program(config, secret_keys=("baremetal",)).kubernetes_objects


def plain_program(objects: list[Registered], kubeconfig: str) -> Callable[[], None]:
    """The plain-resource floor: the very same Kubernetes objects (types, names, inputs, secrets included) as
    top-level resources of the SDK's own classes on one provider, with none of the program's components,
    parents, dependencies, gates (the homes check) or read of its own last outputs."""

    def run() -> None:
        import pulumi
        import pulumi_kubernetes as k8s

        provider = k8s.Provider("plain-provider", kubeconfig=kubeconfig, enable_server_side_apply=True)
        on_provider = pulumi.ResourceOptions(provider=provider)
        for entry in objects:
            cls = sdk_class(entry.type)
            cls(entry.name, opts=on_provider, **sdk_arguments(cls, entry.inputs))

    return run


def fresh_cluster() -> Path:
    """A control plane with nothing of ours in it, and no Pulumi state (start() wipes both), once the work of
    its own start (bootstrap objects, the controllers' first sync) has calmed down."""
    cluster.stop()
    kubeconfig = cluster.start([])
    for _ in range(30):
        before = sum(map(cpu_seconds, watched().values()))
        time.sleep(1)
        if sum(map(cpu_seconds, watched().values())) - before < 0.1:
            break
    return kubeconfig


def watched() -> dict[str, int]:
    """The control plane's processes (this process may have started them: they are not counted as its own)."""
    return {name: int((STATE / f"{name}.pid").read_text()) for name in control_plane.PROCESSES}


def timed(run: Any) -> tuple[float, Usage]:
    with Sampler(watched()) as sampler:
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
    return seconds, sampler.usage()


def floor(workspaces: int, scratch: Path) -> dict[str, Any]:
    kubeconfig = fresh_cluster()
    objects = program_objects(workspaces)
    manifests = [entry.manifest for entry in objects]
    listed = scratch / f"objects-{len(objects)}.json"
    listed.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}))
    kubectl = Path(toolchain.binaries("kubelet")["KUBE_BIN"]) / "kubectl"
    command = [str(kubectl), f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", str(listed)]
    apply, apply_usage = timed(lambda: subprocess.run(command, check=True, capture_output=True))
    dry_run, dry_usage = timed(lambda: subprocess.run([*command, "--dry-run=server"], check=True, capture_output=True))
    return {"objects": objects, "apply": apply, "apply_usage": apply_usage, "dry_run": dry_run,
            "dry_usage": dry_usage}  # fmt: skip


def state_file(stack: str) -> Path:
    return STATE / "pulumi-state" / ".pulumi" / "stacks" / "cvm" / f"{stack}.json"


def engine_run(
    workspaces: int, checkpoints: str, parallel: int | None, plain: list[Registered] | None = None
) -> dict[str, Any]:
    """`pulumi up` on a fresh control plane, then a no-change `pulumi preview`: of the program, or with `plain`,
    of the plain-resource floor of those objects (its own stack)."""
    kubeconfig = fresh_cluster()
    config = stack_config(kubeconfig.read_text(), workspaces)
    if plain is None:
        stack = engine.stack(STACK, config, secret_keys=("baremetal",))
    else:
        run = plain_program(plain, kubeconfig.read_text())
        stack = engine.stack(PLAIN_STACK, config, secret_keys=("baremetal",), run=run)
    stack.workspace.env_vars = {**(stack.workspace.env_vars or {}), "PULUMI_SKIP_CHECKPOINTS": MODES[checkpoints]}
    up, up_usage = timed(lambda: stack.up(color="never", parallel=parallel))
    state = state_file(stack.name)
    resources = len(json.loads(state.read_text())["checkpoint"]["latest"]["resources"])
    preview, preview_usage = timed(lambda: stack.preview(expect_no_changes=True, color="never", parallel=parallel))
    return {"up": up, "up_usage": up_usage, "preview": preview, "preview_usage": preview_usage,
            "resources": resources, "state_kib": state.stat().st_size / 1024}  # fmt: skip


def where(usage: Usage) -> str:
    """CPU seconds by process, largest first, and what the Pulumi CLI wrote."""
    # /proc names a command by its first 15 characters
    names = {"pulumi-resource": "provider", "kube-apiserver": "apiserver", "kube-controller": "controllers",
             "pulumi": "engine"}  # fmt: skip
    cpu: dict[str, float] = {}
    for command, seconds in usage.cpu.items():
        label = next((short for prefix, short in names.items() if command.startswith(prefix)), command)
        cpu[label] = cpu.get(label, 0.0) + seconds
    parts = [
        f"{label} {seconds:.1f}" for label, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]) if seconds >= 0.05
    ]
    wrote = usage.written.get("pulumi", 0) / 2**20
    return "CPU s: " + ", ".join(parts) + (f"; engine wrote {wrote:.0f} MiB" if wrote >= 1 else "")


def per_workspace(label: str, figures: dict[int, float]) -> str:
    steps = sorted(figures)
    costs = [f"{a}->{b}: {1000 * (figures[b] - figures[a]) / (b - a):.1f} ms" for a, b in itertools.pairwise(steps)]
    return f"  {label:<28}" + "; ".join(costs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,100,500")
    parser.add_argument("--checkpoints", choices=["both", *MODES], default="both")
    parser.add_argument("--parallel", type=int, default=None, help="pulumi --parallel (default: Pulumi's)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    modes = list(MODES) if args.checkpoints == "both" else [args.checkpoints]
    was_running = control_plane.running()
    costs: dict[str, dict[int, float]] = {}
    ratios: list[float] = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            base = floor(size, Path(scratch))
            costs.setdefault("kubectl apply --server-side", {})[size] = base["apply"]
            costs.setdefault("kubectl --dry-run=server", {})[size] = base["dry_run"]
            print(f"{size} workspaces, {len(base['objects'])} objects: kubectl apply --server-side "
                  f"{base['apply']:.2f} s ({where(base['apply_usage'])}); --dry-run=server {base['dry_run']:.2f} s "
                  f"({where(base['dry_usage'])})", flush=True)  # fmt: skip
            for mode in modes:
                run = engine_run(size, mode, args.parallel)
                plain = engine_run(size, mode, args.parallel, plain=base["objects"])
                loads.append(os.getloadavg()[0])
                costs.setdefault(f"pulumi up ({mode})", {})[size] = run["up"]
                costs.setdefault(f"pulumi preview ({mode})", {})[size] = run["preview"]
                up_ratio, preview_ratio = run["up"] / plain["up"], run["preview"] / plain["preview"]
                ratios += [up_ratio, preview_ratio]
                print(f"  checkpoints {mode}: {run['resources']} resources in state, {run['state_kib']:.0f} KiB "
                      f"(plain floor: {plain['resources']}, {plain['state_kib']:.0f} KiB)\n"
                      f"    pulumi up      {run['up']:7.2f} s  {run['up'] / base['apply']:5.1f}x kubectl  "
                      f"({where(run['up_usage'])})\n"
                      f"      plain floor  {plain['up']:7.2f} s  program {up_ratio:4.2f}x it  "
                      f"({where(plain['up_usage'])})\n"
                      f"    pulumi preview {run['preview']:7.2f} s  {run['preview'] / base['dry_run']:5.1f}x dry-run  "
                      f"({where(run['preview_usage'])})\n"
                      f"      plain floor  {plain['preview']:7.2f} s  program {preview_ratio:4.2f}x it  "
                      f"({where(plain['preview_usage'])})", flush=True)  # fmt: skip
    if len(sizes) > 1:
        print("cost per added workspace:")
        for label, figures in costs.items():
            print(per_workspace(label, figures))
    print(f"load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} CPUs")
    print(f"max ratio to the plain-resource floor: {max(ratios):.2f}")
    if not was_running:
        cluster.stop()


if __name__ == "__main__":
    main()
