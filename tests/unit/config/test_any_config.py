"""Property: any config at all either validates or raises our own error, naming `cvm:` keys."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import Settings, SettingsError, load_settings
from tests.harness import KUBECONFIG

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70), st.floats(allow_nan=False), st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_WORKSPACE = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["alice", "bob", "cvm-canary", "Bad_Name", ""]),
        "image": st.sampled_from(["ubuntu:24.04", "ubuntu", "x:latest", "ghcr.io/a/b@sha256:" + "c" * 64]),
        "runtime": st.sampled_from(["envbox", "sysbox-runc", "kata"]),
        "gpus": st.integers(-1, 2),
        "cpus": st.integers(-1, 8),
        "memory": st.sampled_from(["4Gi", "0", "lots"]),
        "agentToken": st.sampled_from(["t", ""]),
    },
)
_SECTIONS = {
    "platform": st.sampled_from(["gke", "aks", "eks", "baremetal", "vsphere", ""]),
    "kubernetesVersion": st.sampled_from(["1.28", "1.29", "1.32", "1.35", "1.36", "2.0", "x", "1.3"]),
    "clusterName": st.text(max_size=45),
    "skipAwait": st.sampled_from(["true", "false", "maybe"]),
    "sysbox": st.fixed_dictionaries(
        {}, optional={"enabled": st.booleans(), "version": st.sampled_from(["0.7.1", "0.7.0", "0.6.7", "9"])}
    ),
    "gpu": st.fixed_dictionaries({}, optional={"enabled": st.booleans(), "vendor": st.sampled_from(["nvidia", "amd"])}),
    "gke": st.fixed_dictionaries(
        {},
        optional={"location": st.text(max_size=5), "machineType": st.sampled_from(["n2-standard-4", "e2-small", "zz"])},
    ),
    "aks": st.fixed_dictionaries(
        {}, optional={"location": st.text(max_size=5), "vmSize": st.sampled_from(["Standard_D4s_v5", "Standard_B2s"])}
    ),
    "eks": st.fixed_dictionaries(
        {},
        optional={
            "instanceType": st.sampled_from(["m6i.xlarge", "t3.micro"]),
            "ubuntuVersion": st.sampled_from(["20.04", "24.04"]),
            "minSize": st.integers(0, 5),
        },
    ),
    "baremetal": st.fixed_dictionaries(
        {},
        optional={
            "nodes": st.lists(st.sampled_from(["n1", "n2", "N 3"]), max_size=3),
            "gpuNodes": st.lists(st.just("g1"), max_size=1),
            "kubeconfig": st.sampled_from([KUBECONFIG, "x"]),
            "context": st.sampled_from(["lab", "nope"]),
        },
    ),
    "supervisor": st.fixed_dictionaries(
        {},
        optional={
            "workspaces": st.lists(_WORKSPACE, max_size=3),
            "storageClass": st.sampled_from(["gp3", "nfs-csi"]),
            "coderUrl": st.sampled_from(["https://c.example", "nope"]),
            "canary": st.booleans(),
        },
    ),
}


@st.composite
def configs(draw: st.DrawFn) -> dict[str, str]:
    config: dict[str, str] = {}
    for key, strategy in _SECTIONS.items():
        if draw(st.booleans()):
            value = draw(st.one_of(strategy, _values))  # well-shaped values, and anything at all
            config[f"cvm:{key}"] = value if isinstance(value, str) else json.dumps(value)
    for key, value in draw(st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=2)).items():
        config[f"cvm:{key}"] = value
    return config


@settings(max_examples=400, deadline=None)
@given(configs(), st.sets(st.sampled_from(["cvm:baremetal", "cvm:supervisor"])))
def test_any_config_validates_or_raises_settings_error(config: dict[str, str], secret_keys: set[str]) -> None:
    try:
        result = load_settings(config, "dev", secret_keys)
    except SettingsError as error:
        assert error.problems
        assert all(p.key.startswith("cvm:") for p in error.problems)
    else:
        assert isinstance(result, Settings)
        assert result.platform in ("gke", "aks", "eks", "baremetal")
