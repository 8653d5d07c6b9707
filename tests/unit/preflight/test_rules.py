"""The bare-metal preflight rules, with what real nodes report in `status.nodeInfo`."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from components.facts import pins
from components.preflight import report, rules
from components.preflight.rules import NodeReport, Role
from localcluster.good_node import node_status

SYSBOX = pins.SYSBOX_RELEASES["0.7.1"]
# a node the Sysbox installer runs on, in a 1.35 stack that moves its containerd 2.x entry (cvm:sysbox.containerdFix)
CVM = Role(Version("1.35"), SYSBOX, containerd_fix=True)
UNFIXED = Role(Version("1.35"), SYSBOX)
GPU = Role(Version("1.35"), None, containerd_fix=True)  # a GPU node: envbox only, no installer


def node(name: str = "n1", **info: str) -> dict[str, Any]:
    """A Node manifest as the API server returns it, reporting a good Ubuntu 24.04 node unless `info` says else."""
    return {"metadata": {"name": name}, "status": node_status(**info)}


def findings(role: Role = CVM, **info: str) -> list[tuple[str, str]]:
    return [(f.severity, f.rule) for f in rules.check_node(NodeReport.of(node(**info)), role)]


def test_a_good_ubuntu_24_04_node_has_no_findings() -> None:
    assert findings() == []
    assert report.verdict(rules.check_node(NodeReport.of(node()), CVM)) == "ok"


@pytest.mark.parametrize(
    ("os_image", "kernel", "expected"),
    [
        # each Ubuntu release's own kernel floor (distro-compat.md)
        ("Ubuntu 24.04.1 LTS", "6.8.0-1015-gke", []),
        ("Ubuntu 24.04.1 LTS", "6.5.0-1025-azure", [("refused", "kernel")]),
        ("Ubuntu 22.04.5 LTS", "6.8.0-1021-aws", []),
        # 5.15 has no ID-mapped overlayfs yet: works, with shiftfs built on the node
        ("Ubuntu 22.04.5 LTS", "5.15.0-1079-azure", [("warned", "kernel")]),
        ("Ubuntu 20.04.6 LTS", "5.4.0-1103-aws", [("warned", "kernel")]),
        ("Ubuntu 20.04.6 LTS", "5.3.0-76-generic", [("refused", "kernel")]),
        ("Ubuntu 18.04.6 LTS", "4.15.0-213-generic", [("refused", "kernel")]),
        ("Ubuntu 18.04.6 LTS", "5.4.0-150-generic", [("warned", "kernel")]),
        # the installer only warns on Ubuntu releases it does not list; so do we
        ("Ubuntu 26.04 LTS", "6.18.0-9-generic", [("warned", "distribution"), ("warned", "kernel")]),
        ("Debian GNU/Linux 12 (bookworm)", "6.1.0-27-cloud-amd64", [("warned", "distribution")]),
        # no apt on the host: the installer's helper cannot run
        (
            "Amazon Linux 2",
            "5.10.234-225.910.amzn2.x86_64",
            [("refused", "distribution"), ("warned", "kernel")],
        ),
        ("Amazon Linux 2", "4.14.355-275.582.amzn2.x86_64", [("refused", "distribution"), ("refused", "kernel")]),
        (
            "Red Hat Enterprise Linux 9.4 (Plow)",
            "5.14.0-427.13.1.el9_4.x86_64",
            [("refused", "distribution"), ("warned", "kernel")],
        ),
        ("Flatcar Container Linux by Kinvolk 4152.2.0 (Oklo)", "6.6.60-flatcar", [("refused", "distribution")]),
        ("Ubuntu 24.04.1 LTS", "", [("refused", "kernel")]),
    ],
)
def test_distribution_and_kernel(os_image: str, kernel: str, expected: list[tuple[str, str]]) -> None:
    assert findings(osImage=os_image, kernelVersion=kernel) == expected


def test_a_kernel_sysbox_0_7_1_fails_on_is_warned_with_its_issue() -> None:
    [finding] = rules.check_node(NodeReport.of(node(kernelVersion="6.17.0-5-generic")), CVM)
    assert (finding.severity, finding.rule) == ("warned", "kernel")
    assert "#1035" in finding.source
    # said of 0.7.1's installer only: not of GPU nodes (envbox's own Sysbox) nor of 0.7.0
    assert findings(GPU, kernelVersion="6.17.0-5-generic") == []
    assert (
        findings(
            Role(Version("1.35"), pins.SYSBOX_RELEASES["0.7.0"], containerd_fix=True), kernelVersion="6.17.0-5-generic"
        )
        == []
    )


@pytest.mark.parametrize(
    ("architecture", "expected"), [("amd64", []), ("arm64", []), ("s390x", [("refused", "architecture")])]
)
def test_architecture(architecture: str, expected: list[tuple[str, str]]) -> None:
    # an AWS Graviton node: Ubuntu 24.04 arm64
    assert findings(architecture=architecture, kernelVersion="6.8.0-1021-aws") == expected


def test_a_1_36_kubelet_is_refused_twice_in_a_1_35_stack() -> None:
    report = NodeReport.of(node(kubeletVersion="v1.36.0"))
    refused = rules.check_node(report, CVM)
    assert [(f.severity, f.rule) for f in refused] == [("refused", "kubelet")] * 2
    assert "cvm:kubernetesVersion = '1.35'" in refused[0].reason
    assert "1.32-1.35" in refused[1].reason and "#1036" in refused[1].source


def test_a_kubelet_outside_the_sysbox_window_is_refused_even_when_the_stack_declares_it() -> None:
    assert findings(Role(Version("1.36"), SYSBOX, containerd_fix=True), kubeletVersion="v1.36.0") == [
        ("refused", "kubelet")
    ]
    # a GPU node runs envbox, whose own Sysbox does not care about the kubelet's minor
    assert findings(Role(Version("1.36"), None), kubeletVersion="v1.36.0") == []


@pytest.mark.parametrize("kubelet", ["v1.35.4", "v1.35.1-gke.1396000", "v1.35.2-eks-113cf36", "v1.35.3+rke2r1"])
def test_kubelet_versions_of_every_flavour_are_read(kubelet: str) -> None:
    assert findings(kubeletVersion=kubelet) == []


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        ("containerd://2.1.4", []),
        ("containerd://2.0.5", []),
        ("containerd://2.0.4", [("warned", "container runtime")]),
        ("containerd://2.1", []),
        ("containerd://2.0.5+unknown", []),
        ("containerd://2.0.5-rc.1", [("warned", "container runtime")]),
        ("containerd://1.7.27-1", [("warned", "container runtime")]),
        ("cri-o://1.33.3", [("warned", "container runtime")]),
    ],
)
def test_containerd_older_than_2_0_5_means_a_switch_to_cri_o(runtime: str, expected: list[tuple[str, str]]) -> None:
    assert findings(containerRuntimeVersion=runtime) == expected
    # GPU nodes get no installer, so nothing touches their runtime
    assert findings(GPU, containerRuntimeVersion=runtime) == []


@pytest.mark.parametrize("runtime", ["containerd://2.2.9", "containerd://2.0.5", "containerd://3.0.0"])
def test_containerd_2_without_the_fix_is_warned_of_997(runtime: str) -> None:
    [finding] = rules.check_node(NodeReport.of(node(containerRuntimeVersion=runtime)), UNFIXED)
    assert (finding.severity, finding.rule, finding.reports) == ("warned", "container runtime", runtime)
    assert "nestybox/sysbox#997" in finding.reason and "cvm:sysbox.containerdFix: true" in finding.reason
    assert finding.source == "https://github.com/nestybox/sysbox/issues/997"
    # a release whose installer does not write to containerd is not warned of it (0.6.7 warns of CRI-O instead)
    old = Role(Version("1.32"), pins.SYSBOX_RELEASES["0.6.7"])
    [cri_o] = rules.check_node(NodeReport.of(node(containerRuntimeVersion=runtime, kubeletVersion="v1.32.6")), old)
    assert "always switches nodes to CRI-O" in cri_o.reason


def test_the_stacks_fix_setting_reaches_every_cvm_node_role() -> None:
    wanted = rules.roles(Version("1.35"), SYSBOX, ["a"], ["g"], containerd_fix=True)
    assert wanted == {"a": CVM, "g": GPU}
    assert rules.roles(Version("1.35"), SYSBOX, ["a"], [])["a"] == UNFIXED


def test_sysbox_0_6_7_always_switches_to_cri_o() -> None:
    old = Role(Version("1.32"), pins.SYSBOX_RELEASES["0.6.7"])
    [finding] = rules.check_node(NodeReport.of(node(kubeletVersion="v1.32.6")), old)
    assert finding.rule == "container runtime" and "always switches nodes to CRI-O" in finding.reason


def test_small_nodes_are_warned_by_what_they_have_not_what_kubelet_leaves() -> None:
    assert findings(cpu="2", memory="4025652Ki") == [("warned", "CPUs")]
    assert findings(cpu="4", memory="3Gi") == [("warned", "memory")]
    assert findings(cpu="4", memory="16Gi") == []  # a 4-CPU node whose allocatable is 3910m passes


def test_every_finding_names_the_node_what_it_reports_and_a_source() -> None:
    bad = NodeReport.of(
        node(
            "rack-7",
            osImage="Amazon Linux 2",
            kernelVersion="5.2.0",
            architecture="ppc64le",
            kubeletVersion="v1.30.4",
            containerRuntimeVersion="containerd://1.6.33",
            cpu="2",
            memory="2Gi",
        )
    )
    found = rules.check_node(bad, CVM)
    assert {f.rule for f in found} == {
        "distribution",
        "kernel",
        "architecture",
        "kubelet",
        "container runtime",
        "CPUs",
        "memory",
    }
    for finding in found:
        assert finding.node == "rack-7" and finding.reports and finding.source
        assert str(finding).startswith(f"node rack-7: {finding.rule} '{finding.reports}' ")


def test_listed_nodes_are_checked_once_each_and_absent_ones_are_refused() -> None:
    roles = rules.roles(Version("1.35"), SYSBOX, ["n1", "gpu-1"], ["gpu-1", "gpu-2"], containerd_fix=True)
    assert roles == {"n1": CVM, "gpu-1": CVM, "gpu-2": GPU}
    reports = {"n1": NodeReport.of(node("n1")), "gpu-1": NodeReport.of(node("gpu-1")), "gpu-2": None}
    [absent] = rules.check_nodes(reports, roles)
    assert (absent.node, absent.severity, absent.rule) == ("gpu-2", "refused", "presence")
