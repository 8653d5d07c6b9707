"""The Kubernetes minor: in the Sysbox release's window, on the platform's list, written MAJOR.MINOR."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.config import Settings
from components.facts import compatibility, pins


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
def test_sysbox_window(
    sysbox: str, minor: str, *, accepted: bool, load: Callable[..., Settings], problems: Callable[..., dict[str, str]]
) -> None:
    config = {"platform": "baremetal", "kubernetesVersion": minor, "sysbox": {"version": sysbox}}
    if accepted:
        assert load(config).kubernetes_minor == minor
    else:
        assert "cvm:kubernetesVersion" in problems(config)


def test_window_comes_from_the_release_table(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]]
) -> None:
    for release in pins.SYSBOX_RELEASES.values():
        for minor in compatibility.WINDOWS["baremetal"]:
            config = {"platform": "baremetal", "kubernetesVersion": str(minor), "sysbox": {"version": release.version}}
            if minor in release.kubernetes:
                load(config)
            else:
                assert "refuses any other" in problems(config)["cvm:kubernetesVersion"]


def test_unknown_sysbox_release_is_refused(problems: Callable[..., dict[str, str]]) -> None:
    assert (
        "'0.7.1', '0.7.0', '0.6.7'"
        in problems({"platform": "baremetal", "sysbox": {"version": "0.8.0"}})["cvm:sysbox.version"]
    )


def test_without_sysbox_the_platform_window_holds(
    load: Callable[..., Settings], problems: Callable[..., dict[str, str]]
) -> None:
    assert (
        load(
            {
                "platform": "aks",
                "aks": {"location": "westeurope"},
                "kubernetesVersion": "1.36",
                "sysbox": {"enabled": False},
            }
        ).kubernetes_minor
        == "1.36"
    )
    assert (
        "eks offers 1.32-1.36"
        in problems({"platform": "eks", "kubernetesVersion": "1.16", "sysbox": {"enabled": False}})[
            "cvm:kubernetesVersion"
        ]
    )
    gke = {"platform": "gke", "gke": {"location": "europe-west4"}, "sysbox": {"enabled": False}}
    assert "gke offers" in problems({**gke, "kubernetesVersion": "1.17"})["cvm:kubernetesVersion"]


@pytest.mark.parametrize("value", ["1", "v1.35", "1.35.2", "latest", ""])
def test_kubernetes_version_format(value: str, problems: Callable[..., dict[str, str]]) -> None:
    assert "'MAJOR.MINOR'" in problems({"platform": "baremetal", "kubernetesVersion": value})["cvm:kubernetesVersion"]


def test_yaml_float_versions_get_a_hint(problems: Callable[..., dict[str, str]]) -> None:
    # `cvm:kubernetesVersion: 1.30` unquoted in a stack file reaches the program as '1.3'
    found = problems({"platform": "baremetal", "kubernetesVersion": "1.3"})
    assert "did you mean '1.30'" in found["cvm:kubernetesVersion"]
