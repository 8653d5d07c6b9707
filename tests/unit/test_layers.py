"""The import rules, read from the source (ast): no circle among our packages, and no import from a lower layer
to a higher one.

Layers, low to high: `policy` (self-contained: `pulumi policy publish` uploads it alone) and `components`
(the program's code; within it `components/facts` imports nothing else of ours, and no module imports a
`__main__`, the commands' shell); `localcluster` (may import components); `bench` and `tests` (may import
both, and the tests' support modules, never a `test_*.py` module or a conftest); the program `__main__.py`
imports components only. Every import counts, lazy ones in functions too; type-only ones (`if TYPE_CHECKING:`)
only for the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PACKAGES = ("components", "localcluster", "bench", "tests", "policy")
# what each top-level package may import of ours (itself always)
MAY_IMPORT = {
    "policy": set(),
    "components": set(),
    "localcluster": {"components"},
    "bench": {"components", "localcluster", "tests"},
    "tests": {"components", "localcluster", "bench", "policy"},
    "__main__": {"components"},
}


# Circles known today, each to go with the change that removes it; an entry that no longer exists fails.
@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module of ours
    type_only: bool
    line: int


def modules() -> dict[str, Path]:
    """Our modules by dotted name: every .py file of the packages (their virtualenvs left out), and the program."""
    found = {"__main__": ROOT / "__main__.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "venv" in parts:
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST, *, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(tree):
        yield child, type_only
        yield from _nodes(child, type_only=type_only or (isinstance(child, ast.If) and _type_checking(child)))


def imports(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """What module `name` imports of ours: the module each import names (a submodule when `from package import
    submodule`), wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node, type_only in _nodes(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a module we have as `a.b`
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append(Import(name, target, type_only, getattr(node, "lineno", 0)))
    return found


def every_import() -> list[Import]:
    known = modules()
    return [each for name, path in known.items() for each in imports(name, path, known)]


def top(module: str) -> str:
    return module.split(".")[0]


def package_of(module: str, known: dict[str, Path]) -> str:
    """The package (folder) a module lives in: itself for a package's __init__."""
    return module if known[module].name == "__init__.py" or module == "__main__" else module.rpartition(".")[0]


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.add(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(members)
    return found


def test_the_reader_sees_lazy_relative_and_type_only_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "a.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nfrom . import b\nimport pkg.c.d\nif TYPE_CHECKING:\n    import pkg.c\n"
        "def f():\n    from pkg.c import x\n"
    )
    known = {"pkg": tmp_path / "pkg" / "__init__.py", "pkg.a": source, "pkg.b": source, "pkg.c": source}
    assert {(i.target, i.type_only, i.line) for i in imports("pkg.a", source, known)} == {
        ("pkg.b", False, 2),
        ("pkg.c", False, 3),
        ("pkg.c", True, 5),
        ("pkg.c", False, 7),
    }
    assert circles({"a": {"b"}, "b": {"a", "c"}, "c": set(), "d": {"d"}}) == [{"a", "b"}]


def test_no_circle_among_our_modules_or_packages() -> None:
    known = modules()
    runtime = [i for i in every_import() if not i.type_only]
    by_module: dict[str, set[str]] = {name: set() for name in known}
    by_package: dict[str, set[str]] = {}
    for each in runtime:
        by_module[each.source].add(each.target)
        source, target = package_of(each.source, known), package_of(each.target, known)
        by_package.setdefault(source, set())
        if source != target and not target.startswith(f"{source}.") and not source.startswith(f"{target}."):
            by_package[source].add(target)  # a package and its own subpackages are one house
    assert circles(by_module) == [], "modules that import each other"
    assert circles(by_package) == [], "packages that import each other"


def test_no_import_reaches_a_higher_layer() -> None:
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in every_import()
        if top(i.target) != top(i.source) and top(i.target) not in MAY_IMPORT[top(i.source)]
    ]
    assert wrong == []


def test_nothing_imports_a_test_module_or_a_conftest() -> None:
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in every_import()
        if i.target.rpartition(".")[2].startswith("test_") or i.target.endswith("conftest")
    ]
    assert wrong == []


def test_facts_import_nothing_else_of_ours_and_no_command_is_imported_by_our_code() -> None:
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in every_import()
        if (i.source.startswith("components.facts") and not i.target.startswith("components.facts"))
        or (i.target.endswith(".__main__") and top(i.source) != "tests")
    ]
    assert wrong == []


def test_the_fast_lanes_need_no_go_toolchain() -> None:
    """The pure and program tests import nothing that builds or runs the local cluster's Go binaries."""
    runs_go = ("localcluster.toolchain", "localcluster.cluster", "localcluster.engine")
    wrong = [
        f"{i.source} imports {i.target} (line {i.line})"
        for i in every_import()
        if i.source.startswith(("tests.unit.", "tests.program.")) and i.target in runs_go
    ]
    assert wrong == []
