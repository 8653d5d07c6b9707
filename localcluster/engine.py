"""The real Pulumi engine on the local control plane, driven through the Automation API.

The proxy serves no Python language host, so the program runs through the Automation API's inline path:
this process hosts `__main__.py` itself and the locally built CLI drives it. Everything else is what
`pulumi up` does: the real engine, the real Kubernetes provider, a local file backend and the passphrase
secrets provider.

    python -m localcluster.engine up          # the main job: the dev stack on the local control plane, then its outputs
    python -m localcluster.engine up --node   # the same with a real node here, listed in the stack, awaited until Ready
                                              # (a plain `up` keeps a node of this checkout that runs listed)
    python -m localcluster.engine preview     # day 2 on the running local cluster (`make preview`): what `up` would do,
    python -m localcluster.engine refresh     # the stack's state read back from the cluster (drift),
    python -m localcluster.engine destroy     # the stack's resources deleted (the control plane keeps running),
    python -m localcluster.engine fleet [FLAG ...]   # and `cvm fleet` on the local stacks (its flags: --help)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from components.config import SettingsError, load_settings, stored_config
from components.fleet import command as fleet
from components.fleet.core import error_lines
from localcluster import ROOT, STATE, cluster, control_plane, node, node_config, toolchain
from localcluster.dev_config import Refused, merged, node_listed, refusals, removed
from localcluster.engine_output import Shown, changes
from localcluster.program import program

PROJECT = STATE / "project"
# Local stacks only: the state never leaves this folder.
PASSPHRASE = "cvm-local-control-plane"
DEV_FILE = ROOT / "Pulumi.dev.yaml"
# the dev stack's keys that may hold credentials (a kubeconfig, agent tokens), stored as secrets
SECRET_KEYS = ("baremetal", "supervisor")


def environment() -> dict[str, str]:
    """Make the built CLI and provider the ones Pulumi uses, offline, and return the variables it needs."""
    paths = toolchain.binaries()
    home = STATE / "pulumi-home"
    variables = {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{STATE / 'pulumi-state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # the state written once, at the end, not after every step: safe for bare-metal stacks, whose every
        # resource is a named Kubernetes object that a rerun re-applies (docs/performance.md, "At scale")
        "PULUMI_SKIP_CHECKPOINTS": "true",
    }
    os.environ.update(variables)
    os.environ["PATH"] = f"{paths['PULUMI_BIN']}{os.pathsep}{os.environ['PATH']}"
    (STATE / "pulumi-state").mkdir(parents=True, exist_ok=True)
    # the provider built here answers to the version the Python SDK asks for
    sdk_version = metadata.version("pulumi-kubernetes")
    if not (home / "plugins" / f"resource-kubernetes-v{sdk_version}").exists():
        subprocess.run(
            ["pulumi", "plugin", "install", "resource", "kubernetes", sdk_version, "--file", paths["K8S_PROVIDER"]],
            check=True,
            capture_output=True,
        )
    return variables


def stack(
    name: str,
    config: Mapping[str, Any],
    secret_keys: tuple[str, ...] = (),
    run: Callable[[], None] = program,
) -> auto.Stack:
    """A stack of the project whose config is exactly `config` (keys without `cvm:` are ours; objects become
    JSON strings): keys the stack has and `config` lacks are removed, so a key deleted from the file goes.
    `run` is the program (a test may wrap `program`, say with a stack transform)."""
    variables = environment()
    PROJECT.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", PROJECT / "Pulumi.yaml")
    workspace = auto.LocalWorkspaceOptions(work_dir=str(PROJECT), env_vars=variables)
    result = auto.create_or_select_stack(stack_name=name, project_name="cvm", program=run, opts=workspace)
    secret = {key if ":" in key else f"cvm:{key}" for key in secret_keys}
    values = {key: auto.ConfigValue(value=text, secret=key in secret) for key, text in stored_config(config).items()}
    stale = removed(result.get_all_config(), values)
    if stale:
        result.remove_all_config(stale)
    result.set_all_config(values)
    return result


def dev_file(path: Path = DEV_FILE) -> dict[str, Any]:
    """The config of the dev stack's file, as written (full keys)."""
    return yaml.safe_load(path.read_text()).get("config") or {}


def dev_config(kubeconfig: Path, *, with_node: bool = False, path: Path = DEV_FILE) -> dict[str, Any]:
    """The dev stack as its file has it, on the local control plane (localcluster/dev_config.py): without a
    node here nothing runs pods, so it does not wait for workloads; with one it lists it and waits."""
    return merged(dev_file(path), kubeconfig.read_text(), node_config.NODE_NAME, with_node=with_node)


def dev_stack(kubeconfig: Path, *, with_node: bool, path: Path = DEV_FILE) -> auto.Stack:
    """The dev stack with exactly the config of `path` (and what the local cluster adds), checked first: a bad
    key is told once, not in the engine's output, its diagnostics and the Automation API's error again (it
    raises SettingsError, which `main` prints)."""
    config = dev_config(kubeconfig, with_node=with_node, path=path)
    load_settings(stored_config(config), "dev", {f"cvm:{key}" for key in SECRET_KEYS})
    return stack("dev", config, secret_keys=SECRET_KEYS)


def shown() -> Callable[[str], None]:
    """The `on_output` of one Pulumi command: its lines printed, each line and each diagnostic once
    (localcluster/engine_output.py)."""
    lines = Shown()

    def output(line: str) -> None:
        if (kept := lines.keep(line)) is not None:
            print(kept)

    return output


class NotRunning(RuntimeError):
    """Day 2 needs the local cluster `make up` started."""


def require_running() -> None:
    if not control_plane.running():
        raise NotRunning("the local cluster is not running: `make up` (or `make up NODE=1`) starts it")


def own_node_runs() -> bool:
    """Whether the node this checkout's `make up NODE=1` started still runs (with its control plane)."""
    return control_plane.running() and node.running() and node.owned_by(STATE)


def day2(action: str, path: Path = DEV_FILE) -> None:
    """`preview`, `refresh` or `destroy` of the dev stack on the running local cluster (with its node when this
    checkout's node runs), with the config of `path` as `make up` would apply it."""
    require_running()
    with_node = own_node_runs()
    if lines := refusals(dev_file(path), node_config.NODE_NAME, with_node=with_node):
        raise Refused(lines)
    dev = dev_stack(STATE / "admin.kubeconfig", with_node=with_node, path=path)
    if action == "preview":  # what `make up` would do, drift included (it refreshes first)
        dev.preview(on_output=shown(), color="never", refresh=True, suppress_progress=True)
    elif action == "refresh":
        dev.refresh(on_output=shown(), color="never", suppress_progress=True)
    else:
        dev.destroy(on_output=shown(), color="never", suppress_progress=True)
        print("\nThe control plane keeps running; `make down` stops it, `make up` deploys the stack again.")


def up_dev(*, with_node: bool = False, path: Path = DEV_FILE) -> None:
    """The main job: start the local control plane (and a node), `pulumi up` the dev stack on it with exactly
    the config of `path` (and what the local cluster adds), show its outputs and what it did."""
    started = time.monotonic()
    # a node of this checkout that runs stays listed (a plain `make up` after `make up NODE=1`)
    with_node, note = node_listed(node_config.NODE_NAME, asked=with_node, ours_runs=own_node_runs())
    if note:
        print(note)
    # what the local cluster cannot honour is refused before anything starts
    if lines := refusals(dev_file(path), node_config.NODE_NAME, with_node=with_node):
        raise Refused(lines)
    kubeconfig = cluster.start(nodes=[], with_node=with_node)
    dev = dev_stack(kubeconfig, with_node=with_node, path=path)
    # refreshed first, as `pulumi up --refresh`: what was changed by hand (the canary scaled to 0) is found and
    # put back, as a real stack's `pulumi up` after `pulumi refresh` would
    # the outputs listed once, below, and only when it succeeded: Pulumi's own list of a failed update shows
    # every output as removed
    result = dev.up(on_output=shown(), color="never", refresh=True, suppress_outputs=True, suppress_progress=True)
    print(f"Outputs of the dev stack (state in {STATE / 'pulumi-state'}):")
    for key, output in sorted(result.outputs.items()):
        print(f"  {key}: {'[secret]' if output.secret else json.dumps(output.value)}")
    done = f"\nmake up: done in {time.monotonic() - started:.0f} s ({changes(result.summary.resource_changes)})."
    if with_node:
        print(f"{done} The local cluster and its node {node_config.NODE_NAME}, which runs the canary, keep running:")
        print(f"  KUBECONFIG={kubeconfig} kubectl get pods -A    (`make down` stops them)")
    else:
        print(f"{done} The local control plane keeps running: KUBECONFIG={kubeconfig} (`make down` stops it)")


DAY2 = ("preview", "refresh", "destroy")


def local_fleet(argv: list[str]) -> int:
    """`cvm fleet` on the local stacks: their backend and passphrase, each stack run inline (no language host)."""
    require_running()
    environment()
    return fleet.main(argv, work_dir=PROJECT, program=program)


def main(argv: list[str]) -> int:
    """The entry of `make up`, `make preview`, `refresh`, `destroy` and `fleet`: 0 when done; 1 with each problem
    told once, and no traceback, when not."""
    if argv[:1] != ["fleet"] and argv not in (["up"], ["up", "--node"], *([action] for action in DAY2)):
        print(__doc__, file=sys.stderr)
        return 2
    action = argv[0]
    started = time.monotonic()
    try:
        if action == "fleet":
            return local_fleet(argv[1:])
        if action == "up":
            up_dev(with_node=argv[1:] == ["--node"])
        else:
            day2(action)
    except NotRunning as error:
        print(f"make {action}: {error}", file=sys.stderr)
        return 1
    except Refused as error:
        print("\n".join(f"make {action}: Pulumi.dev.yaml: {line}" for line in error.lines), file=sys.stderr)
        return 1
    except SettingsError as error:
        print(f"make {action}: Pulumi.dev.yaml: {error}", file=sys.stderr)
        return 1
    except auto.CommandError as error:
        # the engine's output and its diagnostics were printed as they came; the CLI's own errors were not
        stderr = str(error).rpartition("\n stderr: ")[2]
        lines = error_lines(stderr)
        failed = f"`pulumi {action}` of the dev stack failed after {time.monotonic() - started:.0f} s"
        lines.append(failed if lines else f"{failed}: its errors are above")
        print("\n".join(f"make {action}: {line}" for line in lines), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
