"""The layout is the architecture: which part of `autograder` may import which (docs/architecture.md).

    core        what students and the grader share (ships to students)
    student     the student loop, on core (ships)
    course      each exercise's oracle, hidden-case plans, mutants and introduction, on core
    grading     one grade, on core and course (and the student loop's module loader);
                child/ runs sandboxed
    instructor  batch, Gradescope, nbgrader, release, demo, doctor, on grading
    authoring   the oracle and mistake engines, fixture regeneration, `dev`, on course

Read from the source (every import, the lazy ones inside functions too), so a new import that
breaks a rule fails here before it breaks a student bundle or a job folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.grading.child.worker import CHILD_MODULES
from autograder.instructor.release import STUDENT_FILES, STUDENT_PACKAGES, student_modules
from tests.conftest import ROOT

PACKAGE = ROOT / "autograder"

# part -> the parts it may import ("" is `autograder/__init__.py`). cli.py is the top: it may
# import anything, lazily (checked below).
ALLOWED = {
    "": set(),
    "registry": {""},
    "core": {"", "registry"},
    "student": {"", "registry", "core"},
    "course": {"", "registry", "core"},
    "grading": {"", "registry", "core", "course", "student"},
    "instructor": {"", "registry", "core", "course", "student", "grading"},
    "authoring": {"", "registry", "core", "course", "student", "grading"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Every `autograder...` name the module imports (for `from X import y`: X.y, which
    `_real` resolves to the module y or, when y is a name in X, to X)."""
    tree = ast.parse(path.read_text())
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "autograder"}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _real(name: str) -> str | None:
    """The module `name` is, or is in (`autograder.core.calls.invoke` -> ...calls)."""
    parts = name.split(".")
    while parts:
        candidate = ROOT.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return None


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def test_every_module_belongs_to_a_part_of_the_layout() -> None:
    assert {_part(m) for m in MODULES} == set(ALLOWED) | {"cli"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m) != "cli"))
def test_each_part_imports_only_what_lies_below_it(module: str) -> None:
    own = _part(module)
    wrong = sorted(name for name in _imports(MODULES[module])
                   if (real := _real(name)) and _part(real) not in ALLOWED[own] | {own})
    assert wrong == [], f"{module} ({own}) may import only {sorted(ALLOWED[own])}"


def test_the_cli_imports_the_verbs_only_when_they_run() -> None:
    """So `autograder check` starts fast, and a student bundle without the instructor's
    modules still has a working cli."""
    top = {_real(name) for name in _imports(MODULES["autograder.cli"], top_level_only=True)}
    assert top <= {"autograder.registry"}


def test_the_sandboxed_child_imports_only_what_its_job_folder_holds() -> None:
    """The grader copies CHILD_MODULES into each job; an import outside them would fail there
    (or, worse, find the kit)."""
    shipped = {_module(PACKAGE / name) for name in CHILD_MODULES}
    assert "autograder.grading.child.worker" in shipped
    for module in sorted(shipped):
        needed = {real for name in _imports(MODULES[module]) if (real := _real(name))}
        parents = {".".join(m.split(".")[:i]) for m in needed for i in range(1, m.count(".") + 1)}
        assert needed | parents <= shipped, f"{module} needs {sorted(needed - shipped)}"
    assert not {m for m in shipped if _part(m) in {"instructor", "authoring", "student", "course"}}


def test_the_student_bundle_is_closed_under_its_imports() -> None:
    shipped = {_module(PACKAGE / name) for name in student_modules(PACKAGE) if name.endswith(".py")}
    assert {_part(m) for m in shipped} == {"", "cli", "registry", *STUDENT_PACKAGES}
    assert set(STUDENT_FILES) <= set(student_modules(PACKAGE))
    for module in sorted(shipped - {"autograder.cli"}):
        needed = {real for name in _imports(MODULES[module]) if (real := _real(name))}
        assert needed <= shipped, f"{module} needs {sorted(needed - shipped)}"


def test_no_import_cycles_even_through_lazy_imports() -> None:
    """A cycle works or fails by import order (and a lazy import only hides one); the layout
    has none, counting the imports inside functions and under TYPE_CHECKING too."""
    graph = {m: {r for name in _imports(p) if (r := _real(name)) and r != m}
             for m, p in MODULES.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(node):], node]))
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])
