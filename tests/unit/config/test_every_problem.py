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


@breaks("gpu.enabled on a cloud", "gpu.enabled", platforms=frozenset(CLOUDS))
def _gpus_on_a_cloud(stack: Stack) -> Expected:
    stack.section("gpu")["enabled"] = True
    return [("cvm:gpu.enabled", "bare metal only")]


@breaks("gpu.enabled on bare metal without GPU nodes", "gpu.enabled", platforms=frozenset({"baremetal"}))
def _gpus_without_nodes(stack: Stack) -> Expected:
    stack.section("gpu")["enabled"] = True
    return [("cvm:baremetal.gpuNodes", "must list the NVIDIA GPU nodes")]


@breaks("EKS node group sizes out of order", platforms=frozenset({"eks"}))
def _eks_sizes(stack: Stack) -> Expected:
    stack.section("eks").update(minSize=3, desiredSize=2)
    return [("cvm:eks.maxSize", "needs minSize (3) <= desiredSize (2)")]


# Faults in one key: (what, platforms, the key set, its value, the key refused, words of the reason).
ONE_KEY: list[tuple[str, frozenset[str], str, Any, str, str]] = [
    ("a bad gpu.vendor", ALL, "gpu.vendor", "amd", "gpu.vendor", "only 'nvidia'"),
    (
        "an unknown Sysbox issue accepted",
        ALL,
        "sysbox.acceptKnownIssues",
        ["nestybox/sysbox#1"],
        "sysbox.acceptKnownIssues[0]",
        "is not a known Sysbox issue",
    ),
    ("a Sysbox release not pinned", ALL, "sysbox.version", "9.9.9", "sysbox.version", "not a pinned Sysbox"),
    ("a reserved namespace", ALL, "supervisor.namespace", "kube-system", "supervisor.namespace", "of Kubernetes"),
    ("an unknown key", ALL, "workspacez", "1", "workspacez", "is not a setting"),
    ("a cluster name none accepts", ALL, "clusterName", "no spaces", "clusterName", "is not a valid"),
    ("a GKE node of 2 vCPUs", frozenset({"gke"}), "gke.machineType", "e2-small", "gke.machineType", "vCPU"),
    (
        "an AKS maintenance window shorter than AKS allows",
        frozenset({"aks"}),
        "aks.maintenanceHours",
        2,
        "aks.maintenanceHours",
        "greater than or equal to 4",
    ),
    (
        "an AKS maintenance start at no time",
        frozenset({"aks"}),
        "aks.maintenanceStart",
        "25:00",
        "aks.maintenanceStart",
        "HH:MM",
    ),
    (
        "an EKS root disk smaller than its AMI",
        frozenset({"eks"}),
        "eks.rootVolumeSize",
        10,
        "eks.rootVolumeSize",
        "greater than or equal to 30",
    ),
    # a section with credentials: an odd value shows as (secret)
    (
        "a node name Kubernetes refuses",
        frozenset({"baremetal"}),
        "baremetal.nodes",
        ["n1", "Node 2"],
        "baremetal.nodes[1]",
        "'(secret)'",
    ),
    (
        "a context the kubeconfig lacks",
        frozenset({"baremetal"}),
        "baremetal.context",
        "nope",
        "baremetal.context",
        "is not a context",
    ),
]


def _one_key(path: str, value: Any, key: str, words: str) -> Callable[[Stack], Expected]:
    def make(stack: Stack) -> Expected:
        section, _, field = path.rpartition(".")
        (stack.section(section) if section else stack.config)[field] = value
        return [(f"cvm:{key}", words)]

    return make


for _name, _platforms, _path, _value, _key, _words in ONE_KEY:
    breaks(_name, platforms=_platforms)(_one_key(_path, _value, _key, _words))


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
