"""The import rules. The layers, the independent packages, the forbidden imports and the absence of circles are
import-linter's contracts in pyproject.toml ([tool.importlinter]; docs/architecture.md, "Layers"): the first test
runs them as a contributor does (`lint-imports`), the second shows each contract refusing the import it exists
to refuse. The rest is what a contract cannot say: the program's `__main__.py` is a module, not a package; the
policy pack's other imports are not ours (pulumi_policy and the standard library only); a test module's name is a
pattern (`test_*`); and the Python that scripts run (the Makefile, scripts/, .ci/run, the workflows) is no module
until it is one: no script embeds Python, and each `python -m` names a module that is there, runs, and may be run
from where it is.
"""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import api
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parents[2]
# as import-linter reads pyproject.toml's [tool.importlinter]
CONFIG: dict[str, Any] = api.read_configuration(str(ROOT / "pyproject.toml"))
PACKAGES: list[str] = CONFIG["session_options"]["root_packages"]
CONTRACTS: list[dict[str, Any]] = CONFIG["contracts_options"]
CONTRACT_TYPES = {
    kind.type_name: kind for kind in (LayersContract, IndependenceContract, ForbiddenContract, AcyclicSiblingsContract)
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import of our packages, the standard library's and others' as one node per top-level name."""
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def broken(graph: grimp.ImportGraph) -> set[str]:
    """The ids of the contracts this graph breaks."""
    found = set()
    for options in CONTRACTS:
        contract = CONTRACT_TYPES[options["type"]](
            name=options["name"], session_options=CONFIG["session_options"], contract_options=options
        )
        if not contract.check(copy.deepcopy(graph), verbose=False).kept:
            found.add(options["id"])
    return found


def test_the_contracts_hold() -> None:
    done = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("importer", "imported", "contracts"),
    [
        ("policy.rules", "components.facts.pins", {"top"}),  # the pack is published alone
        ("components.config.loading", "localcluster", {"top"}),
        ("components.facts.pins", "components.kube.names", {"components"}),  # the facts import nothing of ours
        # config is below clusters; and as the platforms import config, a circle, and each platform reaches the others
        ("components.config.settings", "components.clusters.create", {"components", "acyclic", "platforms"}),
        ("components.kube.names", "components.config", {"components", "acyclic"}),
        ("components.cvm.workspaces.plan", "components.clusters.baremetal", {"components"}),  # same layer
        ("components.clusters.eks", "components.clusters.gke", {"platforms"}),
        ("components.cvm.workspaces.pods", "components.cvm.sysbox", {"cvm"}),
        ("localcluster.engine", "components.fleet.__main__", {"commands"}),
        ("policy.rules", "policy.__main__", {"commands"}),
        ("tests.unit.test_cli", "localcluster.engine", {"fast-lanes"}),
        ("components.config.checks", "components.config.loading", {"acyclic"}),  # loading imports checks
    ],
)
def test_each_contract_refuses_what_it_is_for(
    graph: grimp.ImportGraph, importer: str, imported: str, contracts: set[str]
) -> None:
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported)
    assert broken(changed) == contracts


def circles_through_a_package(graph: grimp.ImportGraph) -> list[str]:
    """The circles `acyclic` cannot see: it compares a package's children, so a module that reaches its own
    package's `__init__`, which reaches it back, is one it misses."""
    return [
        f"{module} <-> {package}"
        for module in sorted(graph.modules)
        if module.split(".")[0] in PACKAGES
        for package in (module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1))
        if graph.chain_exists(importer=module, imported=package)
        and graph.chain_exists(importer=package, imported=module)
    ]


def test_no_circle_runs_through_a_packages_init(graph: grimp.ImportGraph) -> None:
    assert circles_through_a_package(graph) == []
    changed = copy.deepcopy(graph)  # config/__init__.py imports loading.py, which imports checks.py
    changed.add_import(importer="components.config.checks", imported="components.config")
    assert {"components.config.checks <-> components.config", "components.config.loading <-> components.config"} <= set(
        circles_through_a_package(changed)
    )


def test_the_program_imports_only_components() -> None:
    tree = ast.parse((ROOT / "__main__.py").read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    ours = {name.split(".")[0] for name in names} & set(PACKAGES)
    assert ours == {"components"}


def test_the_policy_pack_imports_pulumi_policy_and_the_standard_library_only(graph: grimp.ImportGraph) -> None:
    """As policy/requirements.txt says: the pack is installed alone, in policy/venv (its imports of ours: `top`)."""
    imported = {
        name
        for module in graph.find_descendants("policy") | {"policy"}
        for name in graph.find_modules_directly_imported_by(module)
    }
    assert {name for name in imported if name.split(".")[0] not in PACKAGES} - sys.stdlib_module_names == {
        "pulumi_policy"
    }


def test_nothing_imports_a_test_module_or_a_conftest(graph: grimp.ImportGraph) -> None:
    wrong = [
        f"{importer} imports {imported}"
        for importer in sorted(graph.modules)
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.rpartition(".")[2].startswith("test_") or imported.rpartition(".")[2] == "conftest"
    ]
    assert wrong == []


# --- scripts -----------------------------------------------------------------------------------------------------
# What runs Python outside our modules: every shell script of ours, the Makefile, CI's script and the workflows.
SCRIPT_GLOBS = ("**/*.sh", "Makefile", ".ci/run", ".github/workflows/*.yml")
PYTHON = r"(?P<python>[\w./${}()]*python(?:3(?:\.\d+)?)?|\$\(PYTHON\))"  # python, python3, venv/bin/python, $(BIN)/..
OPTIONS = r"(?:[ \t]+-(?![cm]\b)[A-Za-z]+)*"  # its own options before the code, or the module, it runs (-u, -I)
# code given on the command line (-c), or on stdin (`-`, or a here-document)
EMBEDDED = re.compile(rf"{PYTHON}{OPTIONS}(?:[ \t]+(?:-c|-)(?=\s|$)|[ \t]*<<)")
RUNS = re.compile(rf"{PYTHON}{OPTIONS}[ \t]+-m[ \t]+(?P<module>[\w.]+)")
# A script runs the program's commands, the local cluster's and the bench's: the tests run under pytest, the
# policy pack under Pulumi.
MAY_RUN = {"components", "localcluster", "bench"}
# The venv's interpreter; any other is the machine's, which has the standard library only (`make engine` runs
# scripts/toolchain.sh before the venv exists).
VENV_PYTHON = re.compile(r"(?:^|/)venv/bin/python|\$\(BIN\)/python|\$\{?BIN\}?/python")


def scripts() -> Iterator[Path]:
    for pattern in SCRIPT_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            if "venv" not in path.relative_to(ROOT).parts:
                yield path


def _runnable(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    if (path / "__main__.py").is_file():
        return True
    file = path.with_suffix(".py")
    return file.is_file() and '__name__ == "__main__"' in file.read_text()


def _loaded(graph: grimp.ImportGraph, module: str) -> set[str]:
    """What `python -m module` loads: the module, its packages, what they import, and those modules' packages."""
    loaded: set[str] = set()
    todo = {module}
    while todo:
        parts = todo.pop().split(".")
        for each in {".".join(parts[:n]) for n in range(1, len(parts) + 1)} - loaded:
            loaded.add(each)
            if each.split(".")[0] in PACKAGES:
                todo |= graph.find_upstream_modules(each) - loaded
    return loaded


def script_problems(text: str, graph: grimp.ImportGraph) -> list[str]:
    """Each line of a script that embeds Python, or runs with `python -m` a module of ours that it may not."""
    found = [f"{_line(text, match.start())}: Python embedded: {match[0].strip()}" for match in EMBEDDED.finditer(text)]
    for match in RUNS.finditer(text):
        python, module = match["python"], match["module"]
        where = f"{_line(text, match.start())}: {module}"
        if module.split(".")[0] not in PACKAGES:
            continue  # another's (venv, pip, pytest)
        if module.split(".")[0] not in MAY_RUN:
            found.append(f"{where}: not a module a script runs (only those of {', '.join(sorted(MAY_RUN))})")
        elif not _runnable(module):
            found.append(f"{where}: no such module, or it does not run (no __main__)")
        elif not VENV_PYTHON.search(python):
            outside = sorted(
                name
                for name in _loaded(graph, module)
                if name.split(".")[0] not in PACKAGES and name not in sys.stdlib_module_names
            )
            if outside:
                found.append(f"{where}: run by the machine's {python}, it needs {', '.join(outside)} (not stdlib)")
    return found


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_a_script_that_embeds_python_or_runs_what_it_may_not_is_named(graph: grimp.ImportGraph) -> None:
    text = """\
venv/bin/python - "$A" "$B" <<'PY' || exit 2
VERSION=1 python3 -c 'import json'
$(PYTHON) -u -c 'print(1)'
python3 <<EOF
$(BIN)/python -m tests.harness
venv/bin/python -m localcluster.nowhere
venv/bin/python -m components.config
python3 -m localcluster.engine up
"""
    assert [problem.split(": ")[:2] for problem in script_problems(text, graph)] == [
        ["1", "Python embedded"],
        ["2", "Python embedded"],
        ["3", "Python embedded"],
        ["4", "Python embedded"],
        ["5", "tests.harness"],
        ["6", "localcluster.nowhere"],
        ["7", "components.config"],
        ["8", "localcluster.engine"],
    ]
    fine = """\
python -m venv venv && tar -c -f x.tar venv
PYTHONPATH="$ROOT" python3 -I -m localcluster.provider_source nearest -
$(BIN)/python -m localcluster.engine up
"""
    assert script_problems(fine, graph) == []


def test_what_a_module_loads_is_followed_through_its_packages_and_imports(graph: grimp.ImportGraph) -> None:
    source = _loaded(graph, "localcluster.provider_source")
    assert {"localcluster", "localcluster.provider_source", "json", "os"} <= source  # os: the package's
    assert not {name for name in source if name.startswith("components")}
    engine = _loaded(graph, "localcluster.engine")  # through components.config, pydantic
    assert {"components.config.loading", "pydantic", "yaml"} <= engine


def test_no_script_embeds_python_or_runs_a_module_it_may_not(graph: grimp.ImportGraph) -> None:
    scanned = {path.relative_to(ROOT).as_posix(): path.read_text() for path in scripts()}
    assert {"Makefile", ".ci/run", "scripts/up.sh", "scripts/toolchain.sh"} <= set(scanned)
    wrong = [f"{name}:{problem}" for name, text in scanned.items() for problem in script_problems(text, graph)]
    assert wrong == [], "Python in a script belongs in a module run with `python -m` (tests/unit/test_layers.py)"
