"""The architecture as the import graph shows it: workflows -> screening -> structures, no arrow back; nothing in
`screening` imports jobflow; only the two store modules (the results store, a run's job store) talk to maggma;
every third-party package the code imports is declared in pyproject.toml (jobflow-remote in the `hpc` extra)."""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[1]
PACKAGES = ("structures", "screening", "workflows")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (absolute imports only; the project uses no
    relative ones)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def top_level(module: str) -> str:
    return module.split(".")[0]


IMPORTS = {
    path.relative_to(ROOT).as_posix(): imported_modules(path)
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


def files_of(package: str) -> dict[str, set[str]]:
    return {path: modules for path, modules in IMPORTS.items() if path.startswith(f"{package}/")}


@pytest.mark.parametrize(("package", "forbidden"), [("structures", {"screening", "workflows", "jobflow"}),
                                                    ("screening", {"workflows", "jobflow"})])  # fmt: skip
def test_no_import_points_back_up_the_layers(package, forbidden):
    offenders = {path: sorted(m for m in modules if top_level(m) in forbidden)
                 for path, modules in files_of(package).items()}  # fmt: skip
    assert {path: found for path, found in offenders.items() if found} == {}


def test_only_the_store_modules_import_maggma():
    importers = sorted(path for path, modules in IMPORTS.items() if any(top_level(m) == "maggma" for m in modules))
    assert importers == ["screening/store.py", "workflows/stores.py"]


def test_every_imported_third_party_package_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["hpc"]]  # hpc: imported lazily
    declared = {Requirement(r).name.lower().replace("_", "-") for r in requirements}
    distributions = packages_distributions()
    undeclared = {}
    for path, modules in IMPORTS.items():
        for name in {top_level(m) for m in modules} - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}:
            providers = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
            if not providers & declared:
                undeclared.setdefault(name, path)
    assert undeclared == {}
