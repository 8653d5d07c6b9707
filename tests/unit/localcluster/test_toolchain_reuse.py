"""A first run uses what the machine already has (scripts/toolchain.sh, issue 25): stand-in tools on a temporary
PATH report their versions; those of the pinned minor (etcd, the Kubernetes commands; a Pulumi CLI of major 3 no
older than the SDK, with its Python language host) are used, the others are not, by version, never by name. A
stand-in `go` records any build it is asked for, and the cache is a temporary folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from localcluster import ROOT

SCRIPT = ROOT / "scripts" / "toolchain.sh"
# what the script pins (its defaults) and the SDK it must not be older than (requirements/core.txt)
ETCD_MINOR, K8S_MINOR = "3.6", "1.35"
SDK = next(line.split("==")[1] for line in (ROOT / "requirements/core.txt").read_text().split() if "pulumi==" in line)


class Machine:
    """A temporary PATH of stand-ins, a temporary cache, and a `go` that records what it is asked and fails."""

    def __init__(self, tmp_path: Path):
        self.bin, self.cache, self.calls = tmp_path / "bin", tmp_path / "cache", tmp_path / "go-calls"
        self.bin.mkdir()
        self.tool("go", f'echo "$*" >> {self.calls}; exit 1')

    def tool(self, name: str, body: str) -> Path:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        return path

    def run(self, *targets: str, **more: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.bin.parent),
            "CVM_TOOLCHAIN_CACHE": str(self.cache),
            "GO": str(self.bin / "go"),
            **more,
        }
        return subprocess.run([SCRIPT, *targets], env=env, capture_output=True, text=True, timeout=60)

    def paths(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.run("paths").stdout.split())

    def built(self) -> bool:
        return self.calls.exists()


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_an_etcd_of_the_pinned_minor_is_used_and_nothing_built(machine: Machine) -> None:
    etcd = machine.tool("etcd", f'echo "etcd Version: {ETCD_MINOR}.2"; echo "Go Version: go1.24"')
    done = machine.run("etcd")
    assert done.returncode == 0, done.stderr
    assert f"etcd: {etcd} ({ETCD_MINOR}.2, the pinned minor): used, not built" in done.stderr
    assert not machine.built() and machine.paths()["ETCD"] == str(etcd)


def test_an_etcd_of_another_minor_is_not_used_whatever_its_name(machine: Machine) -> None:
    machine.tool("etcd", 'echo "etcd Version: 3.5.21"')
    done = machine.run("etcd")
    assert f"reports '3.5.21', not the pinned minor {ETCD_MINOR}: not used" in done.stderr
    assert machine.built() and done.returncode != 0  # it went on to build (the stand-in go fails)
    assert machine.paths()["ETCD"].startswith(str(machine.cache))
    assert machine.run("paths").stderr == ""  # said once, by the build step


def test_kubernetes_commands_of_the_pinned_minor_are_linked_and_only_the_rest_built(machine: Machine) -> None:
    apiserver = machine.tool("kube-apiserver", f'echo "Kubernetes v{K8S_MINOR}.1"')
    machine.tool("kube-controller-manager", 'echo "Kubernetes v0.0.0-master+$Format:%H$"')  # built without versions
    done = machine.run("kube")
    assert f"kube-apiserver: {apiserver} ({K8S_MINOR}.1, the pinned minor): used, not built" in done.stderr
    assert "kube-controller-manager on PATH" in done.stderr and "reports '0.0.0'" in done.stderr
    kube_bin = Path(machine.paths()["KUBE_BIN"])
    assert (kube_bin / "kube-apiserver").resolve() == apiserver
    # the controller manager is left to the build (the stand-in go fails it)
    assert machine.built() and not (kube_bin / "kube-controller-manager").exists() and done.returncode != 0


def test_kubectl_is_checked_by_its_client_version(machine: Machine) -> None:
    kubectl = machine.tool(
        "kubectl", f'[ "$*" = "version --client" ] && echo "Client Version: v{K8S_MINOR}.3" || exit 1'
    )
    machine.tool("kubelet", f'echo "Kubernetes v{K8S_MINOR}.3"')
    machine.tool("kube-scheduler", f'echo "Kubernetes v{K8S_MINOR}.3"')
    done = machine.run("kubelet")
    assert done.returncode == 0 and not machine.built(), done.stderr
    assert (Path(machine.paths()["KUBE_BIN"]) / "kubectl").resolve() == kubectl


def test_a_pulumi_cli_with_its_language_host_is_used(machine: Machine) -> None:
    pulumi = machine.tool("pulumi", f'[ "$1" = version ] && echo "v3.{int(SDK.split(".")[1]) + 5}.0"')
    machine.tool("pulumi-language-python", "exit 0")
    done = machine.run("pulumi")
    assert done.returncode == 0 and not machine.built(), done.stderr
    assert f"pulumi: {pulumi} (3." in done.stderr and "with its Python language host): used, not built" in done.stderr
    assert machine.paths()["PULUMI_BIN"] == str(machine.bin)


def test_a_pulumi_cli_without_a_language_host_or_older_than_the_sdk_is_not_used(machine: Machine) -> None:
    machine.tool("pulumi", 'echo "v3.300.0"')
    done = machine.run("pulumi")
    assert "has no Python language host (pulumi-language-python): not used" in done.stderr and machine.built()

    machine.tool("pulumi-language-python", "exit 0")
    machine.tool("pulumi", 'echo "v3.100.0"')
    done = machine.run("pulumi")
    assert f"reports '3.100.0', not 3.x at least the SDK's {SDK}: not used" in done.stderr
    assert machine.paths()["PULUMI_BIN"].startswith(str(machine.cache))


def test_what_was_found_is_said_once_per_make_up_and_a_build_always(machine: Machine) -> None:
    """`make up` runs the script, then its driver asks again with CVM_TOOLCHAIN_TOLD (the Makefile's DRIVER): the
    second run says nothing of what is there, and still says why it builds."""
    etcd = machine.tool("etcd", f'echo "etcd Version: {ETCD_MINOR}.2"')
    first = machine.run("etcd")
    said = f"[toolchain] etcd: {etcd} ({ETCD_MINOR}.2, the pinned minor): used, not built"
    assert first.stderr.splitlines() == [said]
    again = machine.run("etcd", CVM_TOOLCHAIN_TOLD="1")
    assert again.returncode == 0 and again.stderr == ""
    machine.tool("etcd", 'echo "etcd Version: 3.5.21"')  # gone since: a build, said
    build = machine.run("etcd", CVM_TOOLCHAIN_TOLD="1")
    assert "reports '3.5.21', not the pinned minor" in build.stderr and machine.built()
