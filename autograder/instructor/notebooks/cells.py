"""Notebook cells and their nbgrader metadata (schema version 3), and the checks that a built
notebook is one nbgrader accepts: unique, well-formed grade ids, markers only on their own lines
inside nbgrader cells."""

from __future__ import annotations

import re
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.instructor.notebooks.errors import NotebookError

GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")

_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def cell_id(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_\-]", "-", name)[:64]


def markdown(name: str, text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(text, id=cell_id(name))


def plain(name: str, source: str) -> NotebookNode:
    """A code cell nbgrader leaves alone (students may edit it)."""
    return nbformat.v4.new_code_cell(source, id=cell_id(name))


def nbgrader_cell(name: str, source: str, *, grade: bool, solution: bool, locked: bool,
                  points: int | None = None) -> NotebookNode:
    """A code cell with nbgrader metadata; `name` is its grade id."""
    meta: dict[str, Any] = {"schema_version": 3, "grade": grade, "solution": solution,
                            "locked": locked, "grade_id": name}
    if points is not None:
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, id=cell_id(name), metadata={"nbgrader": meta})


def locked(name: str, source: str) -> NotebookNode:
    return nbgrader_cell(name, source, grade=False, solution=False, locked=True)


def solution(name: str, source: str) -> NotebookNode:
    return nbgrader_cell(name, source, grade=False, solution=True, locked=False)


def graded(name: str, source: str, points: int) -> NotebookNode:
    """A locked test cell worth `points`."""
    return nbgrader_cell(name, source, grade=True, solution=False, locked=True, points=points)


def validate(notebook: NotebookNode, exercise: str) -> None:
    """Raise NotebookError where nbgrader would reject the notebook or misread its markers."""
    seen: set[str] = set()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            grade_id = meta["grade_id"]
            if not GRADE_ID.match(grade_id) or grade_id in seen:
                raise NotebookError(f"{exercise}: bad or repeated grade_id {grade_id!r}")
            seen.add(grade_id)
        lines = cell.source.split("\n")
        for marker in _MARKERS:
            text = [line for line in lines if marker in line]
            if text and (meta is None or any(line.strip() != f"### {marker}" for line in text)):
                raise NotebookError(f"{exercise}: {marker!r} appears outside a marker line in "
                                    f"cell {cell.id}")
    nbformat.validate(notebook)
