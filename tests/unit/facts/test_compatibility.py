"""The compatibility table per cloud: every row has a source, the defaults are rows without a known issue, and
each broken combination is refused at validation with its issue, the way out and the key that accepts it."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from components.config import Settings, SettingsError, load_settings, stored_config
from components.facts import compatibility, issues, pins
from components.facts.platforms import Platform, minor_step


def load(config: dict[str, Any]) -> Settings:
    return load_settings(stored_config(config), "dev")


def refusals(config: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SettingsError) as raised:
        load(config)
    return {p.key: str(p) for p in raised.value.problems}


REQUIRED: dict[str, dict[str, Any]] = {
    "gke": {"platform": "gke", "gke": {"location": "europe-west4"}},
    "aks": {"platform": "aks", "aks": {"location": "westeurope"}},
    "eks": {"platform": "eks"},
}


def test_every_row_names_its_source_and_its_issues_link_upstream() -> None:
    for platform, families in compatibility.NODE_IMAGES.items():
        for family, rows in families.items():
            for minor, image in rows.items():
                assert image.source and image.os and image.kernel and image.runtime, (platform, family, minor)
                for issue in image.issues:
                    assert issue.id in issues.ISSUES
                    assert issue.url.startswith("https://github.com/nestybox/sysbox/issues/")
                    assert set(issue.sysbox) <= set(pins.SYSBOX_RELEASES)


@pytest.mark.parametrize("platform", list(REQUIRED))
def test_each_clouds_default_is_a_combination_without_a_known_issue(platform: Platform) -> None:
    settings = load(REQUIRED[platform])
    minor = compatibility.DEFAULT_MINOR[platform]
    assert settings.kubernetes_version == minor
    family = {"gke": "UBUNTU_CONTAINERD", "aks": "Ubuntu", "eks": compatibility.DEFAULT_EKS_UBUNTU}[platform]
    assert compatibility.node_image(platform, family, minor) is not None
    assert compatibility.blocking_issues(platform, family, minor, pins.DEFAULT_SYSBOX) == []
    assert minor in pins.SYSBOX_RELEASES[pins.DEFAULT_SYSBOX].kubernetes
    assert minor in compatibility.WINDOWS[platform]


def test_aks_on_containerd_2_is_refused_with_997_and_the_way_out() -> None:
    found = refusals({**REQUIRED["aks"], "kubernetesVersion": "1.35"})
    reason = found["cvm:kubernetesVersion"]
    assert "https://github.com/nestybox/sysbox/issues/997" in reason
    assert 'cvm:kubernetesVersion "1.34"' in reason and "cvm:sysbox.enabled false" in reason
    assert "cvm:sysbox.acceptKnownIssues" in reason and "Ubuntu 24.04" in reason
    assert "set cvm:sysbox.containerdFix: true" in reason


def test_the_containerd_fix_lets_aks_on_containerd_2_through_and_only_for_997() -> None:
    config = {**REQUIRED["aks"], "kubernetesVersion": "1.35", "sysbox": {"containerdFix": True}}
    assert load(config).kubernetes_minor == "1.35"
    eks = {"platform": "eks", "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "24.04"}}
    assert "#1035" in refusals({**eks, "sysbox": {"containerdFix": True}})["cvm:kubernetesVersion"]


def test_eks_ubuntu_2404_is_refused_with_1035_and_the_way_out() -> None:
    found = refusals({"platform": "eks", "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "24.04"}})
    reason = found["cvm:kubernetesVersion"]
    assert "https://github.com/nestybox/sysbox/issues/1035" in reason and "6.17" in reason
    assert 'cvm:eks.ubuntuVersion "22.04" with cvm:kubernetesVersion "1.34"' in reason
    # the same image family on an older minor has the same kernel
    assert "#1035" in refusals({"platform": "eks", "eks": {"ubuntuVersion": "24.04"}})["cvm:kubernetesVersion"]


def test_sysbox_070_on_eks_2404_names_both_issues() -> None:
    config = {"platform": "eks", "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "24.04"}}
    found = refusals({**config, "sysbox": {"version": "0.7.0"}})["cvm:kubernetesVersion"]
    assert "#1025" in found and "#1035" not in found  # 1035 is reported against 0.7.1


def test_eks_2204_is_not_published_for_135() -> None:
    found = refusals({"platform": "eks", "kubernetesVersion": "1.35", "eks": {"ubuntuVersion": "22.04"}})
    assert "1.31-1.34, not 1.35" in found["cvm:eks.ubuntuVersion"] and "use 24.04" in found["cvm:eks.ubuntuVersion"]


def test_an_accepted_issue_lets_the_stack_through() -> None:
    config = {**REQUIRED["aks"], "kubernetesVersion": "1.35", "sysbox": {"acceptKnownIssues": ["nestybox/sysbox#997"]}}
    assert load(config).kubernetes_minor == "1.35"


def test_only_the_issue_accepted_is_let_through() -> None:
    config = {
        "platform": "eks",
        "kubernetesVersion": "1.35",
        "eks": {"ubuntuVersion": "24.04"},
        "sysbox": {"acceptKnownIssues": ["nestybox/sysbox#997"]},
    }
    assert "#1035" in refusals(config)["cvm:kubernetesVersion"]


def test_unknown_issue_ids_are_refused() -> None:
    found = refusals({**REQUIRED["gke"], "sysbox": {"acceptKnownIssues": ["nestybox/sysbox#1"]}})
    assert "is not a known Sysbox issue" in found["cvm:sysbox.acceptKnownIssues[0]"]


def test_without_sysbox_nothing_is_refused() -> None:
    assert (
        load({**REQUIRED["aks"], "kubernetesVersion": "1.35", "sysbox": {"enabled": False}}).kubernetes_minor == "1.35"
    )


def test_refusals_come_with_the_other_problems_at_once() -> None:
    found = refusals(
        {**REQUIRED["aks"], "kubernetesVersion": "1.35", "aks": {"location": "westeurope", "nodeCount": 0}}
    )
    # pydantic runs the cross-section rule only once every field is valid: the field's problem comes first
    assert "cvm:aks.nodeCount" in found


def test_a_set_kubernetes_version_is_kept() -> None:
    assert load({**REQUIRED["gke"], "kubernetesVersion": "1.34"}).kubernetes_minor == "1.34"
    assert load({"platform": "baremetal"}).kubernetes_minor == str(compatibility.DEFAULT_MINOR["baremetal"])


@pytest.mark.parametrize(
    ("previous", "wanted", "found"),
    [
        (None, "1.35", None),
        ("", "1.35", None),
        ("not a version", "1.35", None),
        ("1.34", "1.34", None),
        ("1.34", "1.35", None),
        ("1.35", "1.34", "back a minor"),
        ("1.33", "1.35", 'one minor at a time: set cvm:kubernetesVersion "1.34"'),
    ],
)
def test_minor_step(previous: str | None, wanted: str, found: str | None) -> None:
    reason = minor_step(previous, Version(wanted))
    assert (reason is None) if found is None else (reason is not None and found in reason)


def test_ways_out_name_a_working_minor_and_envbox() -> None:
    outs = compatibility.ways_out("aks", "Ubuntu", "0.7.1", frozenset({Version("1.34"), Version("1.35")}))
    assert outs[0] == 'cvm:kubernetesVersion "1.34"' and "envbox" in outs[-1]


@pytest.mark.parametrize("minor", ["1.32", "1.33"])
def test_eks_extended_support_minors_inside_sysbox_07s_window_are_accepted(minor: str) -> None:
    # EKS 1.32 and 1.33 are in extended support (awsdocs kubernetes-versions.adoc) and Sysbox 0.7's window
    settings = load({**REQUIRED["eks"], "kubernetesVersion": minor})
    assert settings.kubernetes_minor == minor
    assert Version(minor) in compatibility.WINDOWS["eks"]
    assert Version("1.31") not in compatibility.WINDOWS["eks"]


def test_every_row_says_how_far_it_is_proven() -> None:
    for families in compatibility.NODE_IMAGES.values():
        for rows in families.values():
            for image in rows.values():
                assert image.evidence.startswith("unproven") or "#" in image.evidence
    for image in compatibility.NODE_IMAGES["gke"][compatibility.GKE_IMAGE_TYPE].values():
        assert image.evidence.startswith("unproven") and "#987" in image.evidence and "#1013" in image.evidence


@pytest.mark.parametrize(
    ("minor", "annotated"),
    [("1.29", True), ("1.32", True), ("1.33", False), ("1.35", False), ("1.36", False)],
)
def test_sysbox_runc_pods_ask_cri_o_for_a_user_namespace_only_below_1_33(minor: str, *, annotated: bool) -> None:
    """Below 1.33 the API server drops `hostUsers` and a CRI-O node needs the annotation; from 1.33 the annotation
    beside `hostUsers: false` breaks CRI-O's pods (nestybox/sysbox#999)."""
    expected = {"io.kubernetes.cri-o.userns-mode": "auto:size=65536"} if annotated else {}
    assert compatibility.sysbox_pod_annotations(Version(minor)) == expected
