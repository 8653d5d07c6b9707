"""Every rule of DESIGN.md's "Rules the settings enforce", with accepted and refused examples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from components import versions
from components.settings import Settings, SettingsError, key_of, load_settings, pinned_image, stored_config
from tests.stacks import KUBECONFIG


def load(config: dict[str, Any], secret_keys: tuple[str, ...] = ("cvm:baremetal", "cvm:supervisor")) -> Settings:
    return load_settings(stored_config(config), "dev", secret_keys)


def problems(config: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    """key -> reason of each problem the config has."""
    with pytest.raises(SettingsError) as raised:
        load(config, **kwargs)
    found: dict[str, str] = {}
    for p in raised.value.problems:
        found[p.key] = found.get(p.key, "") + str(p)
    return found


def workspace(**fields: Any) -> dict[str, Any]:
    return {"name": "alice", "image": "ghcr.io/acme/workspace:1.0", **fields}


# --- defaults and the contract ---------------------------------------------------------------------------


def test_defaults_follow_design() -> None:
    s = load({"platform": "baremetal"})
    assert (s.kubernetes_minor, s.name, s.sysbox.enabled, s.sysbox.version) == ("1.35", "cvm-dev", True, "0.7.1")
    assert (s.gpu.enabled, s.gpu.vendor, s.gpu.device_plugin_version) == (False, "nvidia", "v0.20.0")
    assert s.supervisor.namespace == "cvm-workspaces" and s.supervisor.canary
    assert s.supervisor.envbox_image == "ghcr.io/coder/envbox:0.6.7"
    assert s.baremetal is not None and s.baremetal.nodes == [] and not s.skip_await


def test_workspace_defaults() -> None:
    w = load({"platform": "baremetal", "supervisor": {"workspaces": [workspace()]}}).supervisor.workspaces[0]
    assert (w.username, w.runtime, w.cpus, w.memory, w.disk, w.gpus, w.agent_token) == (
        "coder",
        "envbox",
        2,
        "4Gi",
        "20Gi",
        0,
        None,
    )


def test_cloud_defaults() -> None:
    gke = load({"platform": "gke", "gke": {"location": "europe-west4"}, "gcp:project": "acme"}).gke
    assert gke is not None and (gke.project, gke.machine_type, gke.node_count, gke.deletion_protection) == (
        "acme",
        "n2-standard-4",
        2,
        True,
    )
    aks = load({"platform": "aks", "aks": {"location": "westeurope"}}).aks
    assert aks is not None and (aks.vm_size, aks.node_count, aks.resource_group_name) == ("Standard_D4s_v5", 2, None)
    eks = load({"platform": "eks", "eks": {}, "aws:region": "eu-west-1"}).eks
    assert eks is not None and (eks.region, eks.instance_type, eks.ubuntu_version) == (
        "eu-west-1",
        "m6i.xlarge",
        "24.04",
    )
    assert (eks.min_size, eks.desired_size, eks.max_size) == (1, 2, 4)


def test_plain_strings_from_pulumi_config_are_typed() -> None:
    s = load({"platform": "baremetal", "skipAwait": "true", "kubernetesVersion": "1.33"})
    assert s.skip_await is True and s.kubernetes_version == Version("1.33")


# --- refused configs from the issue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"platform": "vsphere"}, "cvm:platform", "'gke', 'aks', 'eks' or 'baremetal'"),
        (
            {"platform": "baremetal", "kubernetesVersion": "1.36", "sysbox": {"version": "0.7.1"}},
            "cvm:kubernetesVersion",
            "1.32-1.35",
        ),
        (
            {"platform": "baremetal", "kubernetesVersion": "1.35", "sysbox": {"version": "0.6.7"}},
            "cvm:kubernetesVersion",
            "1.29-1.32",
        ),
        ({"platform": "gke", "gke": {"location": "x"}, "gpu": {"enabled": True}}, "cvm:gpu.enabled", "bare metal only"),
        ({"platform": "aks", "aks": {"location": "x"}, "gpu": {"enabled": True}}, "cvm:gpu.enabled", "bare metal only"),
        ({"platform": "eks", "gpu": {"enabled": True}}, "cvm:gpu.enabled", "bare metal only"),
        ({"platform": "baremetal", "gpu": {"vendor": "amd"}}, "cvm:gpu.vendor", "only 'nvidia'"),
        ({"platform": "baremetal", "supervisor": {"storageClass": "nfs-client"}}, "cvm:supervisor.storageClass", "NFS"),
        (
            {"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="Bob_1")]}},
            "cvm:supervisor.workspaces[0].name",
            "DNS label",
        ),
        (
            {"platform": "baremetal", "supervisor": {"workspaces": [workspace(), workspace(image="ubuntu:24.04")]}},
            "cvm:supervisor.workspaces[1].name",
            "unique",
        ),
    ],
)
def test_refused(config: dict[str, Any], key: str, words: str) -> None:
    found = problems(config)
    assert key in found, found
    assert words in found[key]


def test_message_names_key_value_and_what_is_accepted() -> None:
    with pytest.raises(SettingsError) as raised:
        load({"platform": "baremetal", "gpu": {"vendor": "amd"}})
    assert str(raised.value) == (
        "the cvm configuration has 1 problem:\n"
        "  - cvm:gpu.vendor = 'amd': only 'nvidia' is accepted: CVMs do not support AMD or other GPUs (Coder CVM docs)"
    )


def test_all_problems_are_reported_together() -> None:
    found = problems(
        {
            "platform": "baremetal",
            "kubernetesVersion": "1.36",
            "gpu": {"vendor": "amd"},
            "supervisor": {"storageClass": "filestore-shared", "workspaces": [workspace(name="-x")]},
            "unknownKey": "1",
        }
    )
    assert set(found) == {
        "cvm:kubernetesVersion",
        "cvm:gpu.vendor",
        "cvm:supervisor.storageClass",
        "cvm:supervisor.workspaces[0].name",
        "cvm:unknownKey",
    }


# --- the Kubernetes window ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sysbox", "minor", "accepted"),
    [
        ("0.7.1", "1.32", True),
        ("0.7.1", "1.35", True),
        ("0.7.1", "1.31", False),
        ("0.7.0", "1.33", True),
        ("0.7.0", "1.36", False),
        ("0.6.7", "1.29", True),
        ("0.6.7", "1.32", True),
        ("0.6.7", "1.33", False),
    ],
)
def test_sysbox_window(sysbox: str, minor: str, accepted: bool) -> None:
    config = {"platform": "baremetal", "kubernetesVersion": minor, "sysbox": {"version": sysbox}}
    if accepted:
        assert load(config).kubernetes_minor == minor
    else:
        assert "cvm:kubernetesVersion" in problems(config)


def test_window_comes_from_the_release_table() -> None:
    for release in versions.SYSBOX_RELEASES.values():
        for minor in versions.PLATFORMS["baremetal"].kubernetes:
            config = {"platform": "baremetal", "kubernetesVersion": str(minor), "sysbox": {"version": release.version}}
            if minor in release.kubernetes:
                load(config)
            else:
                assert "refuses any other" in problems(config)["cvm:kubernetesVersion"]


def test_unknown_sysbox_release_is_refused() -> None:
    assert (
        "'0.7.1', '0.7.0', '0.6.7'"
        in problems({"platform": "baremetal", "sysbox": {"version": "0.8.0"}})["cvm:sysbox.version"]
    )


def test_without_sysbox_the_platform_set_and_floors_hold() -> None:
    assert (
        load({"platform": "eks", "kubernetesVersion": "1.36", "sysbox": {"enabled": False}}).kubernetes_minor == "1.36"
    )
    assert (
        "eks offers 1.34-1.36"
        in problems({"platform": "eks", "kubernetesVersion": "1.16", "sysbox": {"enabled": False}})[
            "cvm:kubernetesVersion"
        ]
    )
    gke = {"platform": "gke", "gke": {"location": "x"}, "sysbox": {"enabled": False}}
    assert "gke offers" in problems({**gke, "kubernetesVersion": "1.17"})["cvm:kubernetesVersion"]
    for platform, support in versions.PLATFORMS.items():
        assert all(m >= support.floor for m in support.kubernetes), platform


@pytest.mark.parametrize("value", ["1", "v1.35", "1.35.2", "latest", ""])
def test_kubernetes_version_format(value: str) -> None:
    assert "'MAJOR.MINOR'" in problems({"platform": "baremetal", "kubernetesVersion": value})["cvm:kubernetesVersion"]


# --- nodes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "section", "key", "value", "accepted"),
    [
        ("gke", {"location": "x"}, "machineType", "n2-standard-4", True),
        ("gke", {"location": "x"}, "machineType", "n2-standard-2", False),
        ("gke", {"location": "x"}, "machineType", "e2-medium", False),
        ("gke", {"location": "x"}, "machineType", "n2-custom-2-8192", False),
        ("gke", {"location": "x"}, "machineType", "a2-highgpu-1g", True),  # not readable: not refused
        ("aks", {"location": "x"}, "vmSize", "Standard_D4s_v5", True),
        ("aks", {"location": "x"}, "vmSize", "Standard_B2s", False),
        ("aks", {"location": "x"}, "vmSize", "Standard_E4-2s_v5", False),  # constrained: 2 active vCPUs
        ("aks", {"location": "x"}, "vmSize", "Standard_DS2_v2", False),
        ("eks", {}, "instanceType", "m6i.xlarge", True),
        ("eks", {}, "instanceType", "c7g.2xlarge", True),
        ("eks", {}, "instanceType", "t3.large", False),
        ("eks", {}, "instanceType", "m6g.medium", False),
    ],
)
def test_four_vcpus(platform: str, section: dict[str, Any], key: str, value: str, accepted: bool) -> None:
    config = {"platform": platform, platform: {**section, key: value}}
    if accepted:
        load(config)
    else:
        assert "at least 4" in problems(config)[f"cvm:{platform}.{key}"]


def test_eks_ubuntu_release_matches_the_kubernetes_minor() -> None:
    assert load({"platform": "eks", "eks": {"ubuntuVersion": "22.04"}}).eks is not None
    found = problems({"platform": "eks", "eks": {"ubuntuVersion": "20.04"}})
    assert "1.21-1.29" in found["cvm:eks.ubuntuVersion"]
    assert (
        "'22.04', '24.04'" in problems({"platform": "eks", "eks": {"ubuntuVersion": "26.04"}})["cvm:eks.ubuntuVersion"]
    )


def test_eks_sizes_are_ordered() -> None:
    assert "minSize (3) <= desiredSize (2)" in problems({"platform": "eks", "eks": {"minSize": 3}})["cvm:eks.maxSize"]


def test_cloud_sections_need_their_location_and_match_the_platform() -> None:
    assert "is required" in problems({"platform": "gke"})["cvm:gke.location"]
    assert "is required" in problems({"platform": "aks", "aks": {}})["cvm:aks.location"]
    assert "platform is 'baremetal'" in problems({"platform": "baremetal", "gke": {"location": "x"}})["cvm:gke"]


def test_cluster_names_follow_each_cloud() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"cvm:platform": "gke", "cvm:gke": '{"location": "x"}'}, "Prod_EU")
    assert "the default, from stack 'Prod_EU'" in str(raised.value)
    assert load({"platform": "aks", "aks": {"location": "x"}, "clusterName": "Team_A"}).name == "Team_A"
    assert "cvm:clusterName" in problems({"platform": "gke", "gke": {"location": "x"}, "clusterName": "Team_A"})


# --- GPUs --------------------------------------------------------------------------------------------------

GPU_STACK = {
    "platform": "baremetal",
    "gpu": {"enabled": True},
    "baremetal": {"nodes": ["cpu-1"], "gpuNodes": ["gpu-1"]},
}


def test_gpu_workspace_on_bare_metal_with_envbox() -> None:
    s = load({**GPU_STACK, "supervisor": {"workspaces": [workspace(gpus=1)]}})
    assert s.supervisor.workspaces[0].gpus == 1


def test_gpu_workspace_needs_envbox_and_gpu_enabled() -> None:
    found = problems({**GPU_STACK, "supervisor": {"workspaces": [workspace(gpus=1, runtime="sysbox-runc")]}})
    assert "Sysbox has no GPU support" in found["cvm:supervisor.workspaces[0].gpus"]
    found = problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(gpus=1)]}})
    assert "needs gpu.enabled" in found["cvm:supervisor.workspaces[0].gpus"]


def test_gpu_enabled_needs_gpu_nodes() -> None:
    assert "must list" in problems({"platform": "baremetal", "gpu": {"enabled": True}})["cvm:baremetal.gpuNodes"]


@pytest.mark.parametrize("tag", ["v0.20.0", "v0.17.1"])
def test_device_plugin_tag(tag: str) -> None:
    assert load({"platform": "baremetal", "gpu": {"devicePluginVersion": tag}}).gpu.device_plugin_version == tag


@pytest.mark.parametrize("tag", ["latest", "0.20.0", "v0.20"])
def test_device_plugin_tag_refused(tag: str) -> None:
    assert (
        "released"
        in problems({"platform": "baremetal", "gpu": {"devicePluginVersion": tag}})["cvm:gpu.devicePluginVersion"]
    )


# --- storage, images, workspaces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["nfs-csi", "nfs-client", "efs-sc", "standard-rwx", "premium-rwx", "filestore-sc", "azurefile-csi-nfs"]
)
def test_nfs_storage_classes_are_refused(name: str) -> None:
    assert (
        "NFS"
        in problems({"platform": "baremetal", "supervisor": {"storageClass": name}})["cvm:supervisor.storageClass"]
    )


@pytest.mark.parametrize("name", ["standard-rwo", "premium-rwo", "gp3", "managed-csi", "local-path", "ceph-rbd"])
def test_block_storage_classes_are_accepted(name: str) -> None:
    assert load({"platform": "baremetal", "supervisor": {"storageClass": name}}).supervisor.storage_class == name


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("ghcr.io/coder/envbox:0.6.7", True),
        ("ubuntu:24.04", True),
        ("localhost:5000/team/ws:2026.11", True),
        ("ghcr.io/acme/ws@sha256:" + "a" * 64, True),
        ("ghcr.io/acme/ws:1.0@sha256:" + "b" * 64, True),
        ("ghcr.io/coder/envbox", False),
        ("ghcr.io/coder/envbox:latest", False),
        ("localhost:5000/team/ws", False),
        ("Ghcr.io/Acme/WS:1", False),
        ("", False),
    ],
)
def test_pinned_images(reference: str, pinned: bool) -> None:
    assert pinned_image(reference) is pinned


def test_images_must_be_pinned() -> None:
    found = problems(
        {
            "platform": "baremetal",
            "supervisor": {"envboxImage": "ghcr.io/coder/envbox:latest", "workspaces": [workspace(image="ubuntu")]},
        }
    )
    assert {"cvm:supervisor.envboxImage", "cvm:supervisor.workspaces[0].image"} <= set(found)


def test_workspace_values() -> None:
    found = problems(
        {
            "platform": "baremetal",
            "supervisor": {
                "workspaces": [workspace(cpus=0, memory="4 GB", disk="-1Gi", username="Root", runtime="runc")]
            },
        }
    )
    prefix = "cvm:supervisor.workspaces[0]."
    assert {f"{prefix}{k}" for k in ("cpus", "memory", "disk", "username", "runtime")} <= set(found)
    assert "'envbox' or 'sysbox-runc'" in found[f"{prefix}runtime"]


def test_workspace_names_leave_room_for_their_volume() -> None:
    assert load({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="a" * 58)]}})
    assert (
        "58"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="a" * 59)]}})[
            "cvm:supervisor.workspaces[0].name"
        ]
    )


def test_canary_name_is_reserved() -> None:
    assert (
        "canary"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(name="cvm-canary")]}})[
            "cvm:supervisor.workspaces[0].name"
        ]
    )
    assert load(
        {"platform": "baremetal", "supervisor": {"canary": False, "workspaces": [workspace(name="cvm-canary")]}}
    )


def test_sysbox_runc_workspaces_need_sysbox() -> None:
    config = {
        "platform": "baremetal",
        "sysbox": {"enabled": False},
        "supervisor": {"workspaces": [workspace(runtime="sysbox-runc")]},
    }
    assert "needs sysbox.enabled" in problems(config)["cvm:supervisor.workspaces[0].runtime"]


def test_agent_tokens_go_with_a_coder_url() -> None:
    coder = {"coderUrl": "https://coder.example.com"}
    s = load({"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace(agentToken="t0k3n")]}})
    assert s.supervisor.workspaces[0].agent_token is not None
    assert s.supervisor.workspaces[0].agent_token.get_secret_value() == "t0k3n"
    assert (
        "is required"
        in problems({"platform": "baremetal", "supervisor": {**coder, "workspaces": [workspace()]}})[
            "cvm:supervisor.workspaces[0].agentToken"
        ]
    )
    assert (
        "needs supervisor.coderUrl"
        in problems({"platform": "baremetal", "supervisor": {"workspaces": [workspace(agentToken="t")]}})[
            "cvm:supervisor.workspaces[0].agentToken"
        ]
    )
    assert (
        "URL"
        in problems({"platform": "baremetal", "supervisor": {"coderUrl": "coder.example.com"}})[
            "cvm:supervisor.coderUrl"
        ]
    )


# --- secrets and keys ------------------------------------------------------------------------------------


def test_credentials_must_be_secret_and_are_never_echoed() -> None:
    config = {"platform": "baremetal", "baremetal": {"kubeconfig": "not yaml: ["}}
    with pytest.raises(SettingsError) as raised:
        load(config, secret_keys=())
    text = str(raised.value)
    assert "cvm:baremetal.kubeconfig = '(plaintext)': is a credential: set it with --secret" in text
    assert "not yaml" not in text
    assert "must be the text of a kubeconfig" in text


def test_kubeconfig_and_context() -> None:
    s = load({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG, "context": "lab", "nodes": ["n1"]}})
    assert s.baremetal is not None and s.baremetal.context == "lab"
    found = problems({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG, "context": "prod"}})
    assert "['lab']" in found["cvm:baremetal.context"]


def test_nodes_are_node_names_listed_once() -> None:
    assert (
        "listed twice"
        in problems({"platform": "baremetal", "baremetal": {"nodes": ["n1", "n1"]}})["cvm:baremetal.nodes[1]"]
    )
    assert (
        "node name"
        in problems({"platform": "baremetal", "baremetal": {"gpuNodes": ["g1", "N_2"]}})["cvm:baremetal.gpuNodes[1]"]
    )


def test_unknown_keys_name_what_is_accepted() -> None:
    found = problems({"platform": "baremetal", "supervisor": {"workspace": []}, "kubernetesVerison": "1.34"})
    assert "accepted here: aks, baremetal, clusterName" in found["cvm:kubernetesVerison"]
    assert "canary, coderUrl, envboxImage, namespace, storageClass, workspaces" in found["cvm:supervisor.workspace"]


def test_objects_must_be_objects() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"cvm:platform": "baremetal", "cvm:gpu": "yes"}, "dev")
    assert "cvm:gpu = 'yes': must be an object" in str(raised.value)


def test_yaml_float_versions_get_a_hint() -> None:
    # `cvm:kubernetesVersion: 1.30` unquoted in a stack file reaches the program as '1.3'
    found = problems({"platform": "baremetal", "kubernetesVersion": "1.3"})
    assert "did you mean '1.30'" in found["cvm:kubernetesVersion"]


def test_key_of() -> None:
    assert key_of(("supervisor", "workspaces", 0, "name")) == "cvm:supervisor.workspaces[0].name"
    assert key_of(("platform",)) == "cvm:platform"


# --- property: any config either validates or raises our own error -----------------------------------------

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
