"""Where the CPU of a run goes: the processes this one starts (the Pulumi CLI, its provider, kubectl) and the
control plane's, read from /proc (Linux), so that a figure can name what dominates it.

A process's CPU and written bytes are read until it ends: a sampler thread reads its descendants every
`period` seconds, so a process is counted up to its last sample (children that live less than a period are
missed; the engine and the provider live for the whole run).
"""

from __future__ import annotations

import os
import resource
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent, CPU seconds) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
    # after the command: state, ppid, ..., utime and stime are fields 14 and 15 of the whole line
    return command, int(rest[1]), (int(rest[11]) + int(rest[12])) / TICKS


def _written(pid: int) -> int:
    """Bytes the process handed to write(2) and friends (`wchar`): its checkpoints, for the engine."""
    try:
        lines = Path(f"/proc/{pid}/io").read_text().splitlines()
    except OSError:
        return 0
    return next(int(line.split()[1]) for line in lines if line.startswith("wchar:"))


def cpu_seconds(pid: int) -> float:
    found = _stat(pid)
    return found[2] if found else 0.0


@dataclass
class Usage:
    """CPU seconds and bytes written per command, over one measured run."""

    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Sampler:
    """Samples this process's descendants while a run goes on; `watched` are long-lived processes (the control
    plane's, name -> pid) whose CPU is counted from start to stop."""

    def __init__(self, watched: dict[str, int], period: float = 0.2):
        self.watched, self.period = watched, period
        self.seen: dict[int, tuple[str, float, int]] = {}  # pid -> command, CPU seconds, bytes written
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._before = {name: cpu_seconds(pid) for name, pid in self.watched.items()}
        self._self = resource.getrusage(resource.RUSAGE_SELF)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _descendants(self) -> list[int]:
        parents: dict[int, list[int]] = defaultdict(list)
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (found := _stat(int(entry))):
                parents[found[1]].append(int(entry))
        todo, found_pids = [os.getpid()], []
        while todo:
            children = parents.get(todo.pop(), [])
            found_pids += children
            todo += children
        return found_pids

    def _sample(self) -> None:
        for pid in set(self._descendants()) - set(self.watched.values()):
            if stat := _stat(pid):
                self.seen[pid] = (stat[0], stat[2], _written(pid))

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()

    def usage(self) -> Usage:
        """CPU per command of the descendants, of the watched processes, and of this process ("program": it
        hosts the Pulumi program in the Automation API's inline mode)."""
        result = Usage()
        for command, cpu, written in self.seen.values():
            result.cpu[command] += cpu
            result.written[command] += written
        for name, pid in self.watched.items():
            result.cpu[name] += cpu_seconds(pid) - self._before[name]
        now = resource.getrusage(resource.RUSAGE_SELF)
        result.cpu["program"] += now.ru_utime + now.ru_stime - self._self.ru_utime - self._self.ru_stime
        return result
