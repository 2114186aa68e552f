"""The package's stages import downwards only, and no module imports itself round a circle.

The stages, lowest first (docs/architecture.md): records, front, analysis,
checks, report, decide, run, then the command line. Every import counts, also
those inside a function (a lazy import still ties the two modules together).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "signlint"
STAGES = ["records", "front", "analysis", "checks", "report", "decide", "run", "cli"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str) -> set[str]:
    """The package's modules that module `name` imports, anywhere in its text."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import compdb` imports a module
                full = f"{target}.{alias.name}"
                found.add(full if full in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


def stage(name: str) -> str | None:
    """The stage a module belongs to; None for the package itself (its version) and __main__."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_module_belongs_to_a_stage():
    assert {m for m in MODULES if stage(m) is None} == {"signlint", "signlint.__main__"}


def test_stages_import_only_the_stages_below_them():
    upward = sorted((m, d) for m in MODULES for d in imported(m)
                    if stage(m) and stage(d) and STAGES.index(stage(d)) > STAGES.index(stage(m)))
    assert upward == []


def test_front_imports_only_the_records_and_analysis_only_front():
    allowed = {"front": {"records", "front"}, "analysis": {"records", "front", "analysis"}}
    for name in MODULES:
        if stage(name) in allowed:
            assert {stage(d) for d in imported(name)} <= allowed[stage(name)], name


def test_no_module_imports_itself_round_a_circle():
    graph = {m: imported(m) for m in MODULES}
    circles = []
    for start in graph:
        seen, work = set(), list(graph[start])
        while work:
            m = work.pop()
            if m == start:
                circles.append(start)
                break
            if m not in seen:
                seen.add(m)
                work.extend(graph[m])
    assert circles == []


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m != "signlint.__main__"))
def test_each_module_imports_on_its_own(name):
    """In a fresh interpreter: an import order that only works after another module was loaded fails here."""
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
