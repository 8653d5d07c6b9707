"""The local cluster's processes: started in a session of their own with a pid file and a log, looked up by
their pid file, stopped for good. The control plane and the node both run theirs through these."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


def spawn(
    argv: list[str], log: Path, pid_file: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Start `argv` in a new session (its own process group), appending to `log`; its pid goes to `pid_file`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    pid_file.write_text(str(process.pid))
    return process.pid


def pid(pid_file: Path) -> int | None:
    """The pid `pid_file` holds, if it holds one."""
    with contextlib.suppress(OSError, ValueError):
        return int(pid_file.read_text())
    return None


def exists(pid: int) -> bool:
    """Whether process `pid` runs (a child of ours that has exited but was not waited for does not)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"
    return False


def alive(pid_file: Path) -> bool:
    """Whether the process of `pid_file` runs."""
    found = pid(pid_file)
    return found is not None and exists(found)


def stop(pids: Iterable[int], grace: float, *, groups: bool = False) -> None:
    """SIGTERM to each of `pids` (to its process group with `groups`), then SIGKILL to whatever is still there
    after `grace` seconds."""
    pids = list(pids)
    send = os.killpg if groups else os.kill
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for each in pids:
            with contextlib.suppress(OSError):
                send(each, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(exists(each) for each in pids):
            time.sleep(0.1)


def wait_until(what: str, ready: Callable[[], bool], timeout: float, log: Path, every: float = 0.5) -> None:
    """Poll `ready` until it holds; after `timeout` seconds, fail naming `what` and the log to read."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout:.0f}s; see {log}")
        time.sleep(every)
