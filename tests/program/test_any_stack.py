"""Property (issue 24): random whole stacks, good and bad, on all four platforms, run through the program under
the SDK's mocks. Each run either succeeds or ends with a clean config error (no traceback); no marked secret
appears in any message, warning, plain (non-secret) input of any resource, or plain output; and every
Kubernetes object an accepted stack registers is one the API server of the stack's minor accepts (its schema,
strictly, by kubernetes-validate; its names; its size). The generators are shared with the settings' fuzz test
(tests/fuzz_configs.py); the plain-text audit of the standard stacks is tests/program/test_plain_audit.py.

Every secret the generator writes carries `MARK`, wherever it puts it: at its own key (an agent token, a
`secretEnv` value, the kubeconfig's token) or at a key where it does not belong (a token as a workspace entry,
a kubeconfig as a node or context name), so that a search for `MARK` finds any leak whatever the path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pulumi.runtime import rpc

from components.config import load_settings, stored_config
from tests.fuzz_configs import QUANTITY, SECTIONS, TEXT, assert_kubernetes_accepts, assert_object_accepted
from tests.harness import CLOUDS, KUBECONFIG, SECRET_KEYS, Registered, Run, run_program

Stack = tuple[dict[str, Any], tuple[str, ...]]  # the config and its secret keys
MARK = "zqMARK"
SECRET = st.integers(0, 10**9).map(lambda n: f"{MARK}{n}")
SECRET_KUBECONFIG = SECRET.map(lambda s: KUBECONFIG.replace("token: t", f"token: {s}"))


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` eleven times in twelve: about half the stacks get through the settings and run the whole program."""
    return st.integers(0, 11).flatmap(lambda n: bad if n == 0 else good)


IMAGES = mostly(
    st.sampled_from(["ghcr.io/acme/ws:2026.11", "ubuntu:24.04", "registry.example.com:5000/a/b@sha256:" + "c" * 64]),
    st.one_of(st.sampled_from(["ubuntu", "x:latest", "../x:1", "ghcr.io:99999/a/b:1"]), TEXT),
)
CODER_URLS = mostly(
    st.sampled_from(["https://coder.example.com", "http://10.0.0.7:3000", "http://coder.coder.svc"]),
    st.sampled_from(
        [
            "https://coder.coder.svc.cluster.local:8443",
            "http://169.254.169.254",
            "http://coder.kube-system.svc",
            "https://coder.example.com/?x=1",
            "http://coder.example.com:0",
        ]
    ),
)
ENV_NAMES = mostly(
    st.sampled_from(["EDITOR", "GITHUB_TOKEN", "NPM_TOKEN"]), st.sampled_from(["PATH", "LD_PRELOAD", "a b"])
)


@st.composite
def workspace(draw: st.DrawFn, name: str, *, tokens: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": draw(mostly(st.just(name), TEXT)), "image": draw(IMAGES)}
    runtime = draw(mostly(st.sampled_from(["envbox", "sysbox-runc"]), st.just("kata")))
    if runtime != "envbox" or draw(st.booleans()):
        entry["runtime"] = runtime
    if tokens or draw(st.integers(0, 11)) == 0:
        entry["agentToken"] = draw(SECRET)
    if runtime == "envbox" or draw(st.integers(0, 5)) == 0:  # envbox's options; sysbox-runc refuses them
        if draw(st.booleans()):
            entry["secretEnv"] = draw(st.dictionaries(ENV_NAMES, SECRET, max_size=2))
        if draw(st.booleans()):
            entry["innerEnv"] = {"EDITOR": "vim"} if entry.get("secretEnv", {}).get("EDITOR") is None else {}
    for key, values in (
        ("cpus", mostly(st.integers(1, 16), st.integers(-1, 300))),
        ("memory", mostly(st.sampled_from(["8Gi", "512Mi"]), QUANTITY)),
        ("disk", mostly(st.sampled_from(["50Gi", "1Ti"]), QUANTITY)),
    ):
        if draw(st.integers(0, 3)) == 0:
            entry[key] = draw(values)
    if runtime == "envbox" and draw(st.integers(0, 5)) == 0:
        entry["gpus"] = draw(st.integers(-1, 2))
    return entry


def _first_workspace(config: dict[str, Any]) -> dict[str, Any]:
    workspaces = config["supervisor"]["workspaces"] = config["supervisor"].get("workspaces") or [{"name": "w"}]
    return workspaces[0]  # type: ignore[no-any-return]


# A secret where it does not belong, as a careless `pulumi config set --secret --path` puts it: the cases
# (a token as a workspace entry or under a key of its own, a kubeconfig as a node or context name, or set whole
# as the section), and a password in Coder's URL. A value at a plain key (a namespace, say) is not a secret to
# the program: a refusal shows it, as it shows any typo. Each case: what it misplaces (a token or a kubeconfig) and
# where it puts it.
_MISPLACED: list[tuple[st.SearchStrategy[str], Callable[[dict[str, Any], str], object]]] = [
    (SECRET, lambda config, secret: config["supervisor"]["workspaces"].append(secret)),
    (SECRET, lambda config, secret: config["supervisor"].__setitem__("agentToken", secret)),
    (SECRET, lambda config, secret: _first_workspace(config).__setitem__("token", secret)),
    (SECRET, lambda config, secret: _first_workspace(config).__setitem__("secretEnv", secret)),
    (SECRET, lambda config, secret: config["supervisor"].__setitem__("coderUrl", f"https://admin:{secret}@coder.example.com")),
    (SECRET_KUBECONFIG, lambda config, kubec: config.setdefault("baremetal", {}).__setitem__("nodes", [kubec])),
    (SECRET_KUBECONFIG, lambda config, kubec: config.setdefault("baremetal", {}).__setitem__("context", kubec)),
    (SECRET_KUBECONFIG, lambda config, kubeconfig: config.__setitem__("baremetal", kubeconfig)),
]  # fmt: skip
MISPLACED = st.sampled_from(_MISPLACED)


@st.composite
def stacks(draw: st.DrawFn) -> Stack:
    """A stack's config and its secret keys: mostly good, each part sometimes broken."""
    platform = draw(st.sampled_from(["baremetal", "gke", "aks", "eks"]))
    config: dict[str, Any] = json.loads(json.dumps(CLOUDS.get(platform, {"platform": "baremetal"})))
    if platform != "baremetal" and draw(st.integers(0, 5)) == 0:
        fuzzed: dict[str, Any] = draw(SECTIONS[platform])  # type: ignore[arg-type]
        config[platform] = {**config.get(platform, {}), **fuzzed}
    if platform == "baremetal":
        section: dict[str, Any] = {}
        if draw(st.booleans()):  # else the ambient kubeconfig
            section["kubeconfig"] = draw(SECRET_KUBECONFIG)
        if draw(st.booleans()):
            section["nodes"] = draw(st.lists(mostly(st.sampled_from(["cpu-1", "cpu-2"]), TEXT), max_size=2))
        config["baremetal"] = section
    coder_url = draw(st.one_of(st.none(), CODER_URLS))
    supervisor: dict[str, Any] = {"coderUrl": coder_url} if coder_url else {}
    names = ["alice", "bob", "carol"][: draw(st.integers(0, 3))]
    supervisor["workspaces"] = [draw(workspace(name, tokens=coder_url is not None)) for name in names]
    if draw(st.integers(0, 4)) == 0:
        supervisor["canary"] = False
    config["supervisor"] = supervisor
    if draw(st.integers(0, 5)) == 0:
        config["kubernetesVersion"] = draw(st.sampled_from(["1.32", "1.33", "1.34", "1.35", "1.36", "1.3"]))
    if draw(st.integers(0, 5)) == 0:
        value, place = draw(MISPLACED)
        place(config, draw(value))
    # the secret sections set with --secret, as the docs say, or a section stored in plain text by mistake
    secret_keys = draw(mostly(st.just(SECRET_KEYS), st.sampled_from([("baremetal",), ("supervisor",)])))
    return config, secret_keys


def plain_leaks(run: Run) -> list[str]:
    """Where a marked secret is in plain text: a resource's inputs, or an output not marked secret."""
    return [where for where, text in run.plain_texts() if MARK in text]


_VALIDATED: set[tuple[str, str]] = set()  # (minor, object) already validated: most objects recur across stacks


def assert_objects_accepted(objects: list[Registered], minor: str) -> None:
    for resource in objects:
        manifest = resource.manifest
        text = json.dumps(manifest, sort_keys=True)
        if (minor, text) not in _VALIDATED:
            assert_object_accepted(manifest, minor)
            _VALIDATED.add((minor, text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stack=stacks())
def test_any_stack_runs_or_is_refused_cleanly_keeping_its_secrets(stack: Stack) -> None:
    config, secret_keys = stack
    run = Run()
    try:
        run_program(config, secret_keys, into=run)
    except pulumi.RunError as error:  # a config error, or a guard's: the one clean way to stop
        event("refused")
        message = str(error)
        assert MARK not in message, message
        assert len(message) < 20_000, "a refusal a person can read"
        assert not run.kubernetes_objects, "a refusal sends nothing to the cluster"
        return
    event("accepted")
    assert not [w for w in run.warnings if MARK in w], run.warnings
    assert not plain_leaks(run)
    accepted = load_settings(stored_config(config), "dev", [f"cvm:{k}" for k in secret_keys])
    assert_kubernetes_accepts(accepted)
    assert_objects_accepted(run.kubernetes_objects, run.outputs["kubernetesVersion"])


def test_a_marked_secret_in_plain_text_is_found() -> None:
    """The search above can fail: a marker in a plain input (a value or a key) or a plain output is reported; one
    inside a secret input or a secret output is not."""
    resource = Registered(
        "t",
        "n",
        custom=True,
        parent="",
        provider=None,
        protect=False,
        retain=False,
        dependencies=[],
        object=struct_pb2.Struct(),
    )
    resource.__dict__["inputs"] = {"a": [{"b": f"x{MARK}2"}], f"{MARK}3": 1, "c": rpc.wrap_rpc_secret(f"{MARK}1")}
    outputs = {"plain": {"k": f"{MARK}4"}, "hidden": f"{MARK}5"}
    run = Run(resources=[resource], outputs=outputs, secret_outputs={"hidden"})
    assert plain_leaks(run) == ["t n .a[0].b", f"t n .{MARK}3", "output plain.k"]
