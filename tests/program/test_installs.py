"""Each platform's program runs with only its own set installed (requirements/<platform>.txt): the program runs
under the SDK's mocks in a process whose imports refuse every installed distribution that set does not bring
in (tests/installs.py). What this does not prove: that pip resolves the set the same way on a clean machine;
bench/install.py installs each set into a new virtual environment for that, and the workflows do per stack.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.harness import ROOT
from tests.installs import pins

CLUSTERS = {
    "baremetal": "cvm:clusters:BareMetal",
    "gke": "gcp:container/cluster:Cluster",
    "aks": "azure-native:containerservice:ManagedCluster",
    "eks": "eks:index:Cluster",
}
CORE = set(pins(ROOT / "requirements" / "core.txt"))
# what each set adds to the core (tests/unit/files/test_project.py checks it is that platform's cloud SDK)
CLOUD_SDKS = {p: set(pins(ROOT / "requirements" / f"{p}.txt")) - CORE for p in CLUSTERS}
EVERY_SDK = set().union(*CLOUD_SDKS.values())


def run(requirements: str, platform: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.installs", requirements, platform]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("platform", list(CLUSTERS))
def test_each_platform_runs_with_only_its_set(platform: str) -> None:
    result = run(f"requirements/{platform}.txt", platform)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["platform"] == platform and CLUSTERS[platform] in report["types"]
    assert EVERY_SDK & set(report["allowed"]) == CLOUD_SDKS[platform]  # the set brings in no other cloud
    assert EVERY_SDK & set(report["imported"]) == CLOUD_SDKS[platform]


def test_the_guard_refuses_what_a_set_lacks() -> None:
    result = run("requirements/aks.txt", "gke")
    assert result.returncode != 0
    assert "No module named 'pulumi_gcp' here: pulumi-gcp is installed, but requirements/aks.txt" in result.stderr
