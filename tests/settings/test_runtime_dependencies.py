"""Every module `src/qyzmet` imports at run time comes from a declared runtime dependency.

Why: a package installed without extras (`pip install qyzmet`, as operators install it) once
failed on `qyzmet migrate` because httpx was declared only among the dev extras. The dev
virtualenv has everything installed, so only a check against `[project] dependencies` shows it.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "qyzmet"


def _normalise(name: str) -> str:
    """PEP 503 name normalisation: `PyYAML`, `pyyaml` and `py_yaml` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_names(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Top-level module names imported anywhere in the package (absolute imports only), each
    with the files that import it. Imports inside functions count: they run too."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], set()).add(
                    str(path.relative_to(package))
                )
    return found


def third_party(names: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: files
        for name, files in names.items()
        if name not in sys.stdlib_module_names and name != "qyzmet"
    }


def declared_requirements() -> list[Requirement]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    return [Requirement(line) for line in project["dependencies"]]


def runtime_closure(requirements: list[Requirement]) -> set[str]:
    """The declared distributions and everything they require (with the extras asked for),
    as installed here: what `pip install qyzmet` brings along."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [
        (r.name, frozenset(r.extras)) for r in requirements
        if r.marker is None or r.marker.evaluate()
    ]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (_normalise(name), extras) in done:
            continue
        done.add((_normalise(name), extras))
        seen.add(_normalise(name))
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue  # not installed here: the import check below names what is missing
        for line in requires:
            req = Requirement(line)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in environments):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def test_httpx_is_a_runtime_dependency():
    """The case of the security report: the exchange gateway's HTTP client."""
    names = {_normalise(r.name) for r in declared_requirements()}
    assert "httpx" in names


def test_every_imported_module_comes_from_a_runtime_dependency():
    imported = third_party(imported_top_level_names())
    assert "httpx" in imported  # the walk sees the exchange's client (guards the walk itself)
    distributions = md.packages_distributions()
    allowed = runtime_closure(declared_requirements())
    missing: list[str] = []
    for module, files in sorted(imported.items()):
        owners = {_normalise(d) for d in distributions.get(module, [])}
        if not owners:
            missing.append(f"{module} (not installed at all; imported by {sorted(files)[0]})")
        elif not owners & allowed:
            missing.append(
                f"{module} from {'/'.join(sorted(owners))} (imported by {sorted(files)[0]})"
            )
    assert not missing, (
        "add these to [project] dependencies in pyproject.toml (and refresh the lock, "
        "docs/operations.md): " + "; ".join(missing)
    )


def test_the_dependency_walk_catches_a_dev_only_import(tmp_path):
    """The check can fail: a module importing a dev-only library (pytest) is reported."""
    module = tmp_path / "qyzmet_probe.py"
    module.write_text("import pytest\nfrom httpx import Client\n", encoding="utf-8")
    imported = third_party(imported_top_level_names(tmp_path))
    distributions = md.packages_distributions()
    allowed = runtime_closure(declared_requirements())
    outside = {
        m for m in imported
        if not {_normalise(d) for d in distributions.get(m, [])} & allowed
    }
    assert outside == {"pytest"}
