"""Property (issue 29): a config with several independent problems, in different keys and sections, gets every one
of them in one refusal, each once, with no problem about a key that is not wrong, and no secret in any message.

Each fault below breaks the keys it names and nothing else; `claims` names what it relies on or changes (a GPU
workspace needs `gpu.enabled` off, so it is never drawn with a problem that turns it on), so that any drawn set is
independent. Where a rule needs a key another problem broke (a workspace's agent token when `supervisor.coderUrl`
is malformed), the rule waits: that is a problem the test does not expect, and any problem it does not expect fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.config import Problem, SettingsError, load_settings, stored_config
from tests.harness import CLOUDS, KUBECONFIG

MARK = "zqSECRET"
IMAGE = "ghcr.io/acme/ws:1"

# Each platform's stack with every key it requires, valid; every credential in it carries `MARK`.
BASES: dict[str, dict[str, Any]] = {
    **CLOUDS,
    "baremetal": {
        "platform": "baremetal",
        "baremetal": {"kubeconfig": KUBECONFIG.replace("token: t", f"token: {MARK}-kubeconfig"), "nodes": ["n1"]},
    },
}
SECRET_KEYS = ("cvm:baremetal", "cvm:supervisor")


class Stack:
    """A config being built: problems add their workspaces here, each a valid one unless a problem says otherwise."""

    def __init__(self, platform: str) -> None:
        self.config: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in BASES[platform].items()}
        self.workspaces: list[dict[str, Any]] = []

    def workspace(self, **fields: Any) -> str:
        """Add a workspace (a secret variable in it unless it is a sysbox-runc one); its key, 'cvm:...[i]'."""
        i = len(self.workspaces)
        secret = {} if fields.get("runtime") == "sysbox-runc" else {"secretEnv": {"TOKEN": f"{MARK}-{i}"}}
        self.workspaces.append({"name": f"ws{i}", "image": IMAGE, **secret, **fields})
        return f"cvm:supervisor.workspaces[{i}]"

    def section(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.config.setdefault(name, {})
        return found


Expected = list[tuple[str, str]]  # (key, words of its reason): each reported exactly once


@dataclass(frozen=True)
class Fault:
    name: str
    claims: frozenset[str]
    platforms: frozenset[str]
    make: Callable[[Stack], Expected]


FAULTS: list[Fault] = []
ALL = frozenset(BASES)


def breaks(name: str, *claims: str, platforms: frozenset[str] = ALL) -> Callable[[Callable[[Stack], Expected]], Fault]:
    """Register `make` as a fault: it breaks a stack and says what must be reported."""

    def register(make: Callable[[Stack], Expected]) -> Fault:
        FAULTS.append(Fault(name, frozenset(claims), platforms, make))
        return FAULTS[-1]

    return register


@breaks("a bad workspace field")
def _bad_field(stack: Stack) -> Expected:
    return [(f"{stack.workspace(cpus=0)}.cpus", "greater than or equal to 1")]


@breaks("a GPU workspace, gpu.enabled off", "gpu.enabled")
def _gpus_without_gpu(stack: Stack) -> Expected:
    return [(f"{stack.workspace(gpus=1)}.gpus", "needs gpu.enabled")]


@breaks("a workspace with a bad field and a GPU, gpu.enabled off", "gpu.enabled")
def _bad_field_and_gpus(stack: Stack) -> Expected:
    key = stack.workspace(memory="lots", gpus=1)
    return [(f"{key}.memory", "a quantity of bytes"), (f"{key}.gpus", "needs gpu.enabled")]


@breaks("a sysbox-runc workspace, sysbox.enabled off", "sysbox.enabled")
def _sysbox_runc_without_sysbox(stack: Stack) -> Expected:
    stack.section("sysbox")["enabled"] = False
    return [(f"{stack.workspace(runtime='sysbox-runc')}.runtime", "needs sysbox.enabled")]


@breaks("two workspaces of one name")
def _duplicate_names(stack: Stack) -> Expected:
    stack.workspace(name="twin")
    return [(f"{stack.workspace(name='twin')}.name", "names must be unique")]


@breaks("a workspace named as the canary")
def _canary_name(stack: Stack) -> Expected:
    return [(f"{stack.workspace(name='cvm-canary')}.name", "the canary's name")]


@breaks("an agent token, supervisor.coderUrl malformed", "coderUrl")
def _token_beside_a_bad_url(stack: Stack) -> Expected:
    stack.section("supervisor")["coderUrl"] = "coder.example.com"
    stack.workspace(agentToken=f"{MARK}-agent")  # its rule waits for a valid coderUrl: nothing expected of it
    return [("cvm:supervisor.coderUrl", "is not a URL")]


@breaks("a minor outside the platform's window", "kubernetesVersion")
def _outside_the_window(stack: Stack) -> Expected:
    stack.config["kubernetesVersion"] = "1.28"
    return [("cvm:kubernetesVersion", f"{stack.config['platform']} offers")]


@breaks("a bad gpu.vendor", "gpu.vendor")
def _gpu_vendor(stack: Stack) -> Expected:
    stack.section("gpu")["vendor"] = "amd"
    return [("cvm:gpu.vendor", "only 'nvidia'")]


@breaks("gpu.enabled on a cloud", "gpu.enabled", platforms=frozenset(CLOUDS))
def _gpus_on_a_cloud(stack: Stack) -> Expected:
    stack.section("gpu")["enabled"] = True
    return [("cvm:gpu.enabled", "bare metal only")]


@breaks("gpu.enabled on bare metal without GPU nodes", "gpu.enabled", platforms=frozenset({"baremetal"}))
def _gpus_without_nodes(stack: Stack) -> Expected:
    stack.section("gpu")["enabled"] = True
    return [("cvm:baremetal.gpuNodes", "must list the NVIDIA GPU nodes")]


@breaks("an unknown Sysbox issue accepted")
def _unknown_issue(stack: Stack) -> Expected:
    stack.section("sysbox")["acceptKnownIssues"] = ["nestybox/sysbox#1"]
    return [("cvm:sysbox.acceptKnownIssues[0]", "is not a known Sysbox issue")]


@breaks("a Sysbox release not pinned")
def _sysbox_version(stack: Stack) -> Expected:
    stack.section("sysbox")["version"] = "9.9.9"
    return [("cvm:sysbox.version", "is not a pinned Sysbox CE release")]


@breaks("a reserved supervisor namespace")
def _namespace(stack: Stack) -> Expected:
    stack.section("supervisor")["namespace"] = "kube-system"
    return [("cvm:supervisor.namespace", "is a namespace of Kubernetes")]


@breaks("an unknown key")
def _unknown_key(stack: Stack) -> Expected:
    stack.config["workspacez"] = "1"
    return [("cvm:workspacez", "is not a setting")]


@breaks("a cluster name no platform accepts")
def _cluster_name(stack: Stack) -> Expected:
    stack.config["clusterName"] = "no spaces allowed"
    return [("cvm:clusterName", "is not a valid")]


@breaks("a GKE node of 2 vCPUs", platforms=frozenset({"gke"}))
def _gke_machine(stack: Stack) -> Expected:
    stack.section("gke")["machineType"] = "e2-small"
    return [("cvm:gke.machineType", "vCPU")]


@breaks("an AKS maintenance window shorter than AKS allows", platforms=frozenset({"aks"}))
def _aks_window(stack: Stack) -> Expected:
    stack.section("aks")["maintenanceHours"] = 2
    return [("cvm:aks.maintenanceHours", "greater than or equal to 4")]


@breaks("an AKS maintenance start that is no time", platforms=frozenset({"aks"}))
def _aks_start(stack: Stack) -> Expected:
    stack.section("aks")["maintenanceStart"] = "25:00"
    return [("cvm:aks.maintenanceStart", "HH:MM")]


@breaks("EKS node group sizes out of order", platforms=frozenset({"eks"}))
def _eks_sizes(stack: Stack) -> Expected:
    stack.section("eks").update(minSize=3, desiredSize=2)
    return [("cvm:eks.maxSize", "needs minSize (3) <= desiredSize (2)")]


@breaks("an EKS root disk smaller than its AMI", platforms=frozenset({"eks"}))
def _eks_disk(stack: Stack) -> Expected:
    stack.section("eks")["rootVolumeSize"] = 10
    return [("cvm:eks.rootVolumeSize", "greater than or equal to 30")]


@breaks("a bare-metal node name Kubernetes refuses", platforms=frozenset({"baremetal"}))
def _node_name(stack: Stack) -> Expected:
    stack.section("baremetal")["nodes"] = ["n1", "Node 2"]
    return [("cvm:baremetal.nodes[1]", "'(secret)'")]  # a section with credentials: an odd value is not shown


@breaks("a bare-metal context the kubeconfig lacks", platforms=frozenset({"baremetal"}))
def _context(stack: Stack) -> Expected:
    stack.section("baremetal")["context"] = "nope"
    return [("cvm:baremetal.context", "is not a context of cvm:baremetal.kubeconfig")]


@breaks("another platform's section, itself malformed", "foreign-section", platforms=frozenset({"baremetal", "aks"}))
def _foreign_section(stack: Stack) -> Expected:
    stack.config["gke"] = {"location": "europe-west4", "nodeCount": 0}
    return [("cvm:gke", "remove it"), ("cvm:gke.nodeCount", "greater than or equal to 1")]


@st.composite
def broken_stacks(draw: st.DrawFn) -> tuple[dict[str, Any], Expected]:
    """A stack of a drawn platform with two or more drawn problems, independent of each other."""
    platform = draw(st.sampled_from(sorted(BASES)))
    candidates = [fault for fault in FAULTS if platform in fault.platforms]
    order = draw(st.permutations(candidates))
    count = draw(st.integers(2, 6))
    chosen: list[Fault] = []
    for candidate in order:
        if len(chosen) < count and not any(candidate.claims & other.claims for other in chosen):
            chosen.append(candidate)
    stack = Stack(platform)
    expected = [found for fault in chosen for found in fault.make(stack)]
    if stack.workspaces:
        stack.section("supervisor")["workspaces"] = stack.workspaces
    return stack.config, expected


@pytest.mark.parametrize(
    ("fault", "platform"),
    [
        pytest.param(fault, platform, id=f"{fault.name} ({platform})")
        for fault in FAULTS
        for platform in sorted(fault.platforms)
    ],
)
def test_each_fault_alone_is_what_it_expects(fault: Fault, platform: str) -> None:
    """Each fault alone is refused with what it expects and nothing else: the faults the property draws are
    problems, and none brings another that the property would then take for a problem about a sound key."""
    stack = Stack(platform)
    expected = fault.make(stack)
    if stack.workspaces:
        stack.section("supervisor")["workspaces"] = stack.workspaces
    reported = _refusal(stack.config)
    for key, words in expected:
        assert [p for p in reported if p.key == key and words in str(p)], (fault.name, key, words, reported)
    assert {p.key for p in reported} == {key for key, _ in expected}, (fault.name, [str(p) for p in reported])


@settings(max_examples=150, deadline=None)
@given(broken_stacks())
def test_independent_problems_are_each_reported_once(stack: tuple[dict[str, Any], Expected]) -> None:
    config, expected = stack
    assume(len(expected) >= 2)
    reported = _refusal(config)
    for key, words in expected:
        matching = [p for p in reported if p.key == key and words in str(p)]
        assert len(matching) == 1, (key, words, [str(p) for p in reported])
    # nothing else: no problem about a key that is not wrong (a rule judging a key another problem broke)
    assert {p.key for p in reported} == {key for key, _ in expected}, [str(p) for p in reported]
    assert len(reported) == len({(p.key, p.reason) for p in reported}), "a problem reported twice"


def _refusal(config: dict[str, Any]) -> list[Problem]:
    """The problems `config` is refused with, none showing a credential."""
    try:
        load_settings(stored_config(config), "dev", SECRET_KEYS)
    except SettingsError as error:
        assert MARK not in str(error)
        return list(error.problems)
    raise AssertionError(f"accepted: {config}")
