"""From stored config to settings: secrets, the bare-metal section's kubeconfig and nodes, unknown keys, and
the keys problems are named by."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from components.config import Settings, SettingsError, key_of, load_settings
from tests.harness import KUBECONFIG


def test_credentials_must_be_secret_and_are_never_echoed(load: Callable[..., Settings]) -> None:
    config = {"platform": "baremetal", "baremetal": {"kubeconfig": "not yaml: ["}}
    with pytest.raises(SettingsError) as raised:
        load(config, secret_keys=())
    text = str(raised.value)
    assert "cvm:baremetal.kubeconfig = '(plaintext)': is a credential: set it with --secret" in text
    assert "not yaml" not in text
    assert "must be the text of a kubeconfig" in text


def test_kubeconfig_and_context(load: Callable[..., Settings], problems: Callable[..., dict[str, str]]) -> None:
    s = load({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG, "context": "lab", "nodes": ["n1"]}})
    assert s.baremetal is not None and s.baremetal.context == "lab"
    found = problems({"platform": "baremetal", "baremetal": {"kubeconfig": KUBECONFIG, "context": "prod"}})
    assert "['lab']" in found["cvm:baremetal.context"]


def test_nodes_are_node_names_listed_once(problems: Callable[..., dict[str, str]]) -> None:
    assert (
        "listed twice"
        in problems({"platform": "baremetal", "baremetal": {"nodes": ["n1", "n1"]}})["cvm:baremetal.nodes[1]"]
    )
    assert (
        "node name"
        in problems({"platform": "baremetal", "baremetal": {"gpuNodes": ["g1", "N_2"]}})["cvm:baremetal.gpuNodes[1]"]
    )


def test_unknown_keys_name_what_is_accepted(problems: Callable[..., dict[str, str]]) -> None:
    found = problems({"platform": "baremetal", "supervisor": {"workspace": []}, "kubernetesVerison": "1.34"})
    assert "accepted here: aks, baremetal, clusterName" in found["cvm:kubernetesVerison"]
    accepted = (
        "caCertificates, canary, coderUrl, dockerBridgeCidr, envboxImage, imagePullSecret, namespace, storageClass"
    )
    assert f"{accepted}, workspaces" in found["cvm:supervisor.workspace"]


def test_a_field_name_for_a_key_is_unknown_and_hides_nothing(problems: Callable[..., dict[str, str]]) -> None:
    """`kubernetes_version` is the field's name, not a key: it is named as written, and the real key's own problem
    is still reported beside it (the unknown key does not count as `kubernetesVersion` failing)."""
    found = problems({"platform": "baremetal", "kubernetesVersion": "1.20", "kubernetes_version": "x"})
    assert "is not a setting" in found["cvm:kubernetes_version"]
    assert "baremetal offers" in found["cvm:kubernetesVersion"]


def test_objects_must_be_objects() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"cvm:platform": "baremetal", "cvm:gpu": "yes"}, "dev")
    assert "cvm:gpu = 'yes': must be an object" in str(raised.value)


def test_a_section_that_is_not_an_object_is_its_one_problem() -> None:
    """Its fields are not judged again: a cloud's section refused as text is not also missing its location."""
    with pytest.raises(SettingsError) as raised:
        load_settings({"cvm:platform": "gke", "cvm:gke": "{bad"}, "dev")
    assert [p.key for p in raised.value.problems] == ["cvm:gke"]


def test_key_of() -> None:
    assert key_of(("supervisor", "workspaces", 0, "name")) == "cvm:supervisor.workspaces[0].name"
    assert key_of(("platform",)) == "cvm:platform"


@pytest.mark.parametrize("depth", [33, 5000])
def test_deeply_nested_objects_are_refused_without_a_traceback(depth: int) -> None:
    """Deep nesting is refused before parsing: the JSON decoder and pydantic recurse (issue 24)."""
    config = {"cvm:platform": "baremetal", "cvm:supervisor": '{"workspaces": ' + "[" * depth + "]" * depth + "}"}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "dev")
    assert "cvm:supervisor = " in str(raised.value) and "deeper than 32 levels" in str(raised.value)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    config = {"cvm:platform": "baremetal", "cvm:supervisor": json.dumps({"namespace": "[" * 100})}
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "dev")
    assert "deeper" not in str(raised.value) and "cvm:supervisor.namespace" in str(raised.value)


@pytest.mark.parametrize(
    ("config", "key", "reason"),
    [
        ({"kubeconfig": "contexts: [{name: a}]\ncurrent-context: a"}, "kubeconfig", "names no cluster and no user"),
        (
            {"kubeconfig": KUBECONFIG.replace("server:", "serverx:"), "context": "lab"},
            "context",
            "which has no server",
        ),
    ],
)
def test_a_kubeconfig_whose_context_reaches_no_cluster_is_refused(
    problems: Callable[..., dict[str, str]], config: dict[str, str], key: str, reason: str
) -> None:
    found = problems({"platform": "baremetal", "baremetal": config})
    assert reason in found[f"cvm:baremetal.{key}"] and "is unusable: context " in found[f"cvm:baremetal.{key}"]
