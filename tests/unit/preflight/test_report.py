"""What the preflight says of its findings: a verdict per node, the message that stops a run, the table."""

from __future__ import annotations

from packaging.version import Version

from components.facts import pins
from components.preflight import report, rules
from components.preflight.rules import NodeReport, Role
from localcluster.good_node import node_status

CVM = Role(Version("1.35"), pins.SYSBOX_RELEASES["0.7.1"], containerd_fix=True)


def report_of(name: str, **info: str) -> NodeReport:
    """What a node reports, a good Ubuntu 24.04 node unless `info` says else."""
    return NodeReport.of({"metadata": {"name": name}, "status": node_status(**info)})


def test_one_refusal_names_every_refused_node_and_leaves_warnings_out() -> None:
    reports = {
        "good": report_of("good"),
        "warned": report_of("warned", containerRuntimeVersion="containerd://1.7.27"),
        "al2": report_of("al2", osImage="Amazon Linux 2", kernelVersion="5.10.234-225.910.amzn2.x86_64"),
        "old": report_of("old", kernelVersion="5.2.0-1"),
    }
    found = rules.check_nodes(reports, dict.fromkeys(reports, CVM))
    message = report.refusal(found)
    assert message is not None and "refused 2 node(s)" in message
    assert "node al2: distribution 'Amazon Linux 2'" in message and "node old: kernel '5.2.0-1' is below 6.8" in message
    assert "warned" not in message and "node good" not in message
    assert report.refusal([f for f in found if f.node in ("good", "warned")]) is None


def test_a_node_without_status_is_refused_rather_than_passed() -> None:
    verdict = report.verdict(rules.check_node(NodeReport.of({"metadata": {"name": "bare"}}), CVM))
    assert verdict == "refused"


def test_the_table_lists_every_node_with_its_verdict() -> None:
    reports = [report_of("good"), report_of("al2", osImage="Amazon Linux 2")]
    found = rules.check_nodes({r.name: r for r in reports}, dict.fromkeys(["good", "al2"], CVM))
    lines = report.table(reports, found).splitlines()
    assert lines[0].split() == ["NODE", "OS", "KERNEL", "RUNTIME", "KUBELET", "ARCH", "CPU", "MEMORY", "VERDICT"]
    assert lines[1].startswith("good ") and lines[1].endswith(" ok")
    assert lines[2].startswith("al2 ") and lines[2].endswith(" refused")
    assert any(line.startswith("refused: node al2: distribution 'Amazon Linux 2' ") for line in lines)
