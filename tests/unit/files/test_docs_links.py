"""The README and docs stay inside the repository: every relative link resolves, to a file and to a heading,
no page, code comment or script names a path that only the machine it was written on has, and the README stays short."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
# what a checkout of this repository does not have: the workspace the project was written in
OUTSIDE = ("../shared", "/work/")
# folders that are not the project's own pages: environments, caches, state, local clusters
SKIPPED = {"venv", "node_modules", "build", "__pycache__"}

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def links(page: Path) -> Iterator[str]:
    """The targets of the page's markdown links, outside code."""
    yield from _LINK.findall(_CODE.sub("", page.read_text()))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def own_files() -> Iterator[Path]:
    """The project's pages, code, scripts and settings (not environments, caches, dot-files, or this test)."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED and (not d.startswith(".") or d in {".github", ".ci"})]
        for name in files:
            file = Path(folder) / name
            if (
                file.suffix in {".md", ".py", ".sh", ".yml", ".yaml", ".toml", ".txt", ""}
                and not name.startswith(".")
                and file != Path(__file__)
            ):
                yield file


def test_the_pages_have_links() -> None:
    assert "docs/configuration.md" in set(links(ROOT / "README.md"))
    assert slug("From `pulumi up` to a Coder template push") == "from-pulumi-up-to-a-coder-template-push"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        inside = file.is_relative_to(ROOT) and file.exists()
        if not inside or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to what the repository does not have: {broken}"


def test_no_file_names_a_path_outside_the_repository() -> None:
    found = [
        f"{file.relative_to(ROOT)}: {needle}"
        for file in own_files()
        for needle in OUTSIDE
        if needle in file.read_text(errors="replace")
    ]
    assert not found


def test_the_readme_fits_in_ten_minutes() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 260
