"""Each fact is defined once: the windows and defaults follow from the compatibility table, every known issue is
one record that the settings, the preflight and the Sysbox warnings read, and no other module re-states a fact."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from packaging.version import Version

from components.cvm import sysbox
from components.facts import compatibility, issues, pins
from components.facts.platforms import CLOUDS, PLATFORMS
from components.preflight.rules import NodeReport, Role, check_node

COMPONENTS = Path(__file__).resolve().parents[3] / "components"
FACTS = COMPONENTS / "facts"


def _constants(path: Path) -> set[str]:
    """The upper-case names a module assigns at its top level."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def test_no_module_outside_the_facts_restates_one_of_their_names() -> None:
    facts = {name: path.name for path in FACTS.glob("*.py") for name in _constants(path)}
    for path in COMPONENTS.rglob("*.py"):
        if path.parent != FACTS:
            again = _constants(path) & set(facts)
            assert not again, f"{path.relative_to(COMPONENTS)} defines {sorted(again)} again (see facts/)"


def test_the_platform_list_is_spelled_once() -> None:
    spelled = re.compile(r"""["'](gke|aks|eks|baremetal)["'],\s*["'](gke|aks|eks|baremetal)["']""")
    found = [
        str(path.relative_to(COMPONENTS))
        for path in COMPONENTS.rglob("*.py")
        if spelled.search(path.read_text()) and path.name != "platforms.py"
    ]
    assert found == []


def test_each_window_is_what_the_platform_offers_and_a_node_image_runs() -> None:
    for platform in PLATFORMS:
        window = compatibility.WINDOWS[platform]
        assert window and set(window) <= set(compatibility.OFFERS[platform].kubernetes), platform
        if platform in CLOUDS:
            assert all(compatibility.families_for(platform, m) for m in window), platform
    # EKS offers 1.36, but no Ubuntu EKS AMI of the table runs it: the window cannot offer it
    assert Version("1.36") not in compatibility.WINDOWS["eks"]


def test_one_default_minor_per_platform_inside_its_window() -> None:
    assert set(compatibility.DEFAULT_MINOR) == set(PLATFORMS)
    for platform, minor in compatibility.DEFAULT_MINOR.items():
        assert minor in compatibility.WINDOWS[platform], platform
        assert minor in pins.SYSBOX_RELEASES[pins.DEFAULT_SYSBOX].kubernetes, platform


def test_every_issue_a_node_image_carries_is_one_known_record() -> None:
    for families in compatibility.NODE_IMAGES.values():
        for rows in families.values():
            for image in rows.values():
                assert all(issues.ISSUES[issue.id] is issue for issue in image.issues)


def _kernel_findings(kernel: str, role: Role) -> list[str]:
    info = {"osImage": "Ubuntu 24.04.1 LTS", "kernelVersion": kernel, "architecture": "amd64"}
    report = NodeReport.of({"metadata": {"name": "n"}, "status": {"nodeInfo": info}})
    return [f.source for f in check_node(report, role) if f.rule == "kernel"]


def test_the_preflight_reads_the_kernel_of_the_issue_record() -> None:
    for issue in issues.KNOWN_ISSUES:
        if issue.kernel_from is None:
            continue
        major, minor = issue.kernel_from
        release = pins.SYSBOX_RELEASES[issue.sysbox[0]]
        role = Role(release.kubernetes[-1], release)
        assert _kernel_findings(f"{major}.{minor}.0-1-generic", role) == [issue.id]
        assert _kernel_findings(f"{major}.{minor - 1}.0-1-generic", role) == []


def test_the_sysbox_warnings_tell_the_issue_records() -> None:
    for issue in issues.KNOWN_ISSUES:
        for platform in issue.warned_on:
            for version in issue.sysbox:
                assert f"{issue.what} ({issue.id})" in sysbox.known_problems(platform, pins.SYSBOX_RELEASES[version])
