"""What installing a stack's dependencies costs: each platform's set (requirements/<platform>.txt) against the
full set (requirements.txt), and the policy pack's own (policy/requirements.txt).

Each row is what a CI job's install step does: a new virtual environment (`python -m venv`), then
`pip install -r <file>` into it, timed together; the size is the environment's files on disk, and the
distributions are its `*.dist-info` folders (pip and setuptools, which `venv` puts there, included).

- cold: `pip install --no-cache-dir`, so every wheel comes from PyPI, as on a CI runner without a cache;
- warm: `pip install --cache-dir <dir>` after one untimed install of every set has filled that cache (pip's
  HTTP cache: wheels are not downloaded again, they are still unpacked and installed).

    python -m bench.install [--sets baremetal,gke,aks,eks,full,policy] [--modes cold,warm]

The last line is `platform sets against the full set: largest <x.xx> of its size, slowest <y.yy> of its cold time`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("baremetal", "gke", "aks", "eks")
SETS = {
    **{p: ROOT / "requirements" / f"{p}.txt" for p in PLATFORMS},
    "full": ROOT / "requirements.txt",
    "policy": ROOT / "policy" / "requirements.txt",
}
PIP = ("-m", "pip", "install", "--quiet", "--disable-pip-version-check")


@dataclass(frozen=True)
class Install:
    seconds: float
    bytes: int
    distributions: int


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def install(requirements: Path, scratch: Path, cache: Path | None) -> Install:
    venv = scratch / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    cache_args = ["--cache-dir", str(cache)] if cache else ["--no-cache-dir"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), *PIP, *cache_args, "-r", str(requirements)], check=True)
    seconds = time.perf_counter() - start
    (site,) = (venv / "lib").glob("python3*/site-packages")
    result = Install(seconds, size(venv), len(list(site.glob("*.dist-info"))))
    shutil.rmtree(venv)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--modes", default="cold,warm")
    args = parser.parse_args()
    names, modes = args.sets.split(","), args.modes.split(",")
    with tempfile.TemporaryDirectory(prefix="cvm-bench-install-") as tmp:
        scratch, cache = Path(tmp), Path(tmp) / "pip-cache"
        empty = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(scratch / "empty")], check=True)
        floor = Install(time.perf_counter() - empty, size(scratch / "empty"), 0)
        print(f"python {sys.version.split()[0]}; an empty venv: {floor.seconds:.1f} s, {floor.bytes / 2**20:.0f} MiB")
        results: dict[tuple[str, str], Install] = {}
        for mode in modes:
            if mode == "warm":
                for name in names:  # fill the cache, untimed
                    install(SETS[name], scratch, cache)
            for name in names:
                results[name, mode] = found = install(SETS[name], scratch, cache if mode == "warm" else None)
                print(f"  {mode:4} {name:9} {found.seconds:7.1f} s", file=sys.stderr, flush=True)
        print(f"{'set':10}{'dists':>6}{'MiB':>7}" + "".join(f"{m + ' s':>9}{'x full':>8}" for m in modes))
        for name in names:
            first = results[name, modes[0]]
            row = f"{name:10}{first.distributions:>6}{first.bytes / 2**20:>7.0f}"
            for mode in modes:
                found, full = results[name, mode], results.get(("full", mode))
                row += f"{found.seconds:>9.1f}" + (f"{found.seconds / full.seconds:>8.2f}" if full else f"{'':>8}")
            print(row)
        full_cold = results.get(("full", "cold"))
        platforms = [results[p, "cold"] for p in PLATFORMS if (p, "cold") in results]
        if full_cold and platforms:
            largest = max(platforms, key=lambda r: r.bytes)
            slowest = max(platforms, key=lambda r: r.seconds)
            print(
                f"platform sets against the full set: largest {largest.bytes / full_cold.bytes:.2f} of its size, "
                f"slowest {slowest.seconds / full_cold.seconds:.2f} of its cold time"
            )


if __name__ == "__main__":
    main()
