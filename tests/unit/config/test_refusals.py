"""The refused configs from the issue, and how a refusal reads: every problem at once, each naming its key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import Settings, SettingsError, load_settings, stored_config


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
        (
            {"platform": "gke", "gke": {"location": "europe-west4"}, "gpu": {"enabled": True}},
            "cvm:gpu.enabled",
            "bare metal only",
        ),
        (
            {"platform": "aks", "aks": {"location": "westeurope"}, "gpu": {"enabled": True}},
            "cvm:gpu.enabled",
            "bare metal only",
        ),
        ({"platform": "eks", "gpu": {"enabled": True}}, "cvm:gpu.enabled", "bare metal only"),
        ({"platform": "baremetal", "gpu": {"vendor": "amd"}}, "cvm:gpu.vendor", "only 'nvidia'"),
        ({"platform": "baremetal", "supervisor": {"storageClass": "nfs-client"}}, "cvm:supervisor.storageClass", "NFS"),
        (
            {
                "platform": "baremetal",
                "supervisor": {"workspaces": [{"name": "Bob_1", "image": "ghcr.io/acme/workspace:1.0"}]},
            },
            "cvm:supervisor.workspaces[0].name",
            "DNS label",
        ),
        (
            {
                "platform": "baremetal",
                "supervisor": {
                    "workspaces": [
                        {"name": "alice", "image": "ghcr.io/acme/workspace:1.0"},
                        {"name": "alice", "image": "ubuntu:24.04"},
                    ]
                },
            },
            "cvm:supervisor.workspaces[1].name",
            "unique",
        ),
    ],
)
def test_refused(config: dict[str, Any], key: str, words: str, problems: Callable[..., dict[str, str]]) -> None:
    found = problems(config)
    assert key in found, found
    assert words in found[key]


@pytest.mark.parametrize(
    ("namespace", "words"),
    [
        ("w" * 57, "must be a DNS label of at most 56 characters"),
        ("w" * 57, "so that '<namespace>-envbox', envbox workspaces' namespace, is one too"),
        *(
            (name, "is a namespace of Kubernetes, the cloud or a common add-on")
            for name in ("kube-system", "default", "kube-workspaces", "istio-system", "gke-managed-x", "gmp-system")
        ),
    ],
)
def test_namespace_refused(namespace: str, words: str, problems: Callable[..., dict[str, str]]) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"namespace": namespace}})
    assert set(found) == {"cvm:supervisor.namespace"}, found
    assert f"cvm:supervisor.namespace = '{namespace}': " in found["cvm:supervisor.namespace"]
    assert words in found["cvm:supervisor.namespace"]


def test_a_namespace_of_56_characters_is_accepted(load: Callable[..., Settings]) -> None:
    assert load({"platform": "baremetal", "supervisor": {"namespace": "w" * 56}}).supervisor.namespace == "w" * 56


def test_message_names_key_value_and_what_is_accepted(load: Callable[..., Settings]) -> None:
    with pytest.raises(SettingsError) as raised:
        load({"platform": "baremetal", "gpu": {"vendor": "amd"}})
    assert str(raised.value) == (
        "the cvm configuration has 1 problem:\n"
        "  - cvm:gpu.vendor = 'amd': only 'nvidia' is accepted: CVMs do not support AMD or other GPUs (Coder CVM docs)"
    )


def test_all_problems_are_reported_together(
    problems: Callable[..., dict[str, str]], workspace: Callable[..., dict[str, Any]]
) -> None:
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


def test_rules_across_workspaces_still_report_beside_a_malformed_entry() -> None:
    """One entry failing its own checks does not hide a duplicate name or a missing token in the others."""
    workspaces = [
        {"name": "alice", "image": "ghcr.io/acme/ws:1", "agentToken": "alice-token"},
        {"name": "alice", "image": "ubuntu"},
        {"name": "Bad", "image": "ghcr.io/acme/ws:1", "agentToken": "bad-token"},
    ]
    config = {"platform": "baremetal", "supervisor": {"coderUrl": "https://c.example.com", "workspaces": workspaces}}
    with pytest.raises(SettingsError) as raised:
        load_settings(stored_config(config), "dev", ("cvm:supervisor",))
    problems = {(p.key, p.value if isinstance(p.value, str) else None) for p in raised.value.problems}
    assert problems == {
        ("cvm:supervisor.workspaces[1].image", "ubuntu"),
        ("cvm:supervisor.workspaces[2].name", "Bad"),
        ("cvm:supervisor.workspaces[1].name", "alice"),
        ("cvm:supervisor.workspaces[1].agentToken", None),
    }
    assert len(raised.value.problems) == 4  # each once


@pytest.mark.parametrize(
    ("workspace", "key"),
    [
        ({"runtime": "sysbox-runc", "fuse": True}, "cvm:supervisor.workspaces[0].fuse"),
        ({"runtime": "sysbox-runc", "tun": True}, "cvm:supervisor.workspaces[0].tun"),
        ({"runtime": "sysbox-runc", "innerEnv": {"A": "b"}}, "cvm:supervisor.workspaces[0].innerEnv"),
        ({"innerEnv": {"CODER_AGENT_TOKEN": "x"}}, "cvm:supervisor.workspaces[0].innerEnv.CODER_AGENT_TOKEN"),
        ({"innerEnv": {"1BAD": "x"}}, "cvm:supervisor.workspaces[0].innerEnv.1BAD"),
    ],
)
def test_envbox_options_are_refused_where_they_cannot_apply(workspace: dict[str, Any], key: str) -> None:
    config = {"platform": "baremetal", "supervisor": {"workspaces": [{"name": "a", "image": "x:1", **workspace}]}}
    with pytest.raises(SettingsError) as raised:
        load_settings(stored_config(config), "dev")
    assert [p.key for p in raised.value.problems] == [key]


@pytest.mark.parametrize("cidr", ["172.30.0.0", "fd00::1/64", "300.1.1.1/24", "172.30.0.1/24\n", "\uff11.1.1.1/24"])
def test_a_bridge_is_an_ipv4_address_with_a_prefix(cidr: str) -> None:
    config = {"platform": "baremetal", "supervisor": {"dockerBridgeCidr": cidr}}
    with pytest.raises(SettingsError) as raised:
        load_settings(stored_config(config), "dev")
    assert [p.key for p in raised.value.problems] == ["cvm:supervisor.dockerBridgeCidr"]
