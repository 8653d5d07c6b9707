"""Every pin has an update rule in renovate.json: each version variable at the top of scripts/toolchain.sh and
in the Makefile is matched by a custom manager (as Renovate would match it), each requirements file by the pip
manager, and each workflow action is pinned in the form the github-actions manager updates. A new pin without a
rule fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.harness import ROOT

CONFIG: dict[str, Any] = json.loads((ROOT / "renovate.json").read_text())
TOOLCHAIN = "scripts/toolchain.sh"
# a pin: NAME=${NAME:-<literal version>}; not a path, a command or a value read from another file
_PIN = re.compile(r"^(?P<name>[A-Z0-9_]+)=\$\{(?P=name):-(?P<value>v?[0-9][^}$]*)\}$", re.MULTILINE)


def _file_patterns(manager: dict[str, Any]) -> list[re.Pattern[str]]:
    """managerFilePatterns, regex form only (`/.../`): a glob would be matched differently than read here."""
    patterns = manager["managerFilePatterns"]
    assert all(p.startswith("/") and p.endswith("/") for p in patterns), patterns
    return [re.compile(p[1:-1]) for p in patterns]


def _python_regex(renovate: str) -> re.Pattern[str]:
    """Renovate's matchStrings are ECMAScript regex (run by RE2): named groups are `(?<name>`."""
    return re.compile(renovate.replace("(?<", "(?P<"))


def _managers_of(path: str) -> list[dict[str, Any]]:
    return [m for m in CONFIG["customManagers"] if any(p.search(path) for p in _file_patterns(m))]


def pins(text: str) -> dict[str, str]:
    return {m["name"]: m["value"] for m in _PIN.finditer(text)}


def test_the_pin_reader_finds_versions_and_skips_other_variables() -> None:
    text = "GO=${GO:-go}\nA_VERSION=${A_VERSION:-v1.2.3}\nB=${B:-$(sed x)}\nC_PSEUDO=${C_PSEUDO:-v4.0.0-2026-ab}\n"
    assert pins(text) == {"A_VERSION": "v1.2.3", "C_PSEUDO": "v4.0.0-2026-ab"}


def test_every_toolchain_pin_has_an_update_rule() -> None:
    text = (ROOT / TOOLCHAIN).read_text()
    found = pins(text)
    assert {"ETCD_VERSION", "K8S_VERSION", "PULUMI_VERSION", "CONTAINERD_VERSION"} <= set(found)
    covered: dict[str, str] = {}  # variable -> the version the rule reads (empty: matched, set by hand)
    for manager in _managers_of(TOOLCHAIN):
        assert manager["customType"] == "regex"
        assert manager["datasourceTemplate"] in ("go", "github-releases"), manager
        assert manager["depNameTemplate"], manager
        for match_string in manager["matchStrings"]:
            matches = list(_python_regex(match_string).finditer(text))
            assert len(matches) == 1, f"{match_string} matches {len(matches)} places in {TOOLCHAIN}"
            match = matches[0]
            for pin in _PIN.finditer(text):
                if match.start() <= pin.start() and pin.end() <= match.end():
                    reads = pin.start("value") == match.start("currentValue") and pin.end("value") == match.end(
                        "currentValue"
                    )
                    covered[pin["name"]] = match["currentValue"] if reads else ""
    missing = sorted(set(found) - set(covered))
    assert not missing, f"{TOOLCHAIN} pins without an update rule in renovate.json (customManagers): {missing}"
    read = {name for name, value in covered.items() if value}
    # only the provider's pseudo-version is matched without being read (its rule's pull request says to set it)
    assert set(covered) - read == {"K8S_PROVIDER_PSEUDO"}


def test_every_makefile_pin_has_an_update_rule() -> None:
    text = (ROOT / "Makefile").read_text()
    found = dict(re.findall(r"^([A-Z0-9_]+_VERSION) := (\S+)$", text, re.MULTILINE))
    assert "UV_VERSION" in found
    read = {
        match["currentValue"]
        for manager in _managers_of("Makefile")
        if manager["datasourceTemplate"] == "pypi"
        for match_string in manager["matchStrings"]
        for match in _python_regex(match_string).finditer(text)
    }
    assert set(found.values()) <= read, f"Makefile pins without an update rule in renovate.json: {found}"


def _requirements_files() -> list[Path]:
    skipped = {"venv", "node_modules", ".git"}
    return sorted(
        path
        for path in ROOT.rglob("*.txt")
        if not skipped & set(path.relative_to(ROOT).parts)
        and ("requirements" in path.name or path.parent.name == "requirements")
    )


@pytest.mark.parametrize("path", _requirements_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_requirements_file_has_an_update_rule(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    assert any(p.search(relative) for p in _file_patterns(CONFIG["pip_requirements"])), relative


def test_the_requirements_files_are_all_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in _requirements_files()}
    assert {"requirements.txt", "requirements-dev.txt", "policy/requirements.txt", "requirements/core.txt"} <= found


def test_every_workflow_action_is_pinned_as_the_actions_manager_updates_it() -> None:
    """A commit with its tag beside it (`owner/repo@<sha> # vX.Y.Z`): Renovate moves both together."""
    uses = [
        line.split("uses:", 1)[1].strip()
        for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml"))
        for line in workflow.read_text().splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]
    remote = [u for u in uses if not u.startswith("./")]
    assert remote
    unpinned = [u for u in remote if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", u)]
    assert not unpinned
    assert CONFIG.get("github-actions", {}).get("enabled", True)
