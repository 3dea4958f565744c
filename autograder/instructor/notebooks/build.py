"""One exercise's source notebook, assembled from the kit: its stub, its reference solution,
its public checks and the hidden checks the instructor's seed draws."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import course
from autograder.core.checks import Check, public_checks
from autograder.instructor.notebooks import cells, prose
from autograder.instructor.notebooks.assertions import function_cells
from autograder.instructor.notebooks.config import COURSE_ID
from autograder.instructor.notebooks.model_setup import MODEL_SETUP_CODE
from autograder.instructor.notebooks.setup_cell import SETUP_CODE
from autograder.instructor.notebooks.solution import solution_source
from autograder.instructor.notebooks.source import ModuleSource
from autograder.registry import exercise as lookup

KIT_ROOT = Path(__file__).resolve().parents[3]
SOLUTIONS = KIT_ROOT / "solutions"
STUBS = KIT_ROOT / "exercises"


def build_notebook(exercise: str, *, seed: int, solutions: Path = SOLUTIONS,
                   stubs: Path = STUBS) -> NotebookNode:
    """The source notebook of one exercise, the instructor's seed drawing its hidden cases."""
    from autograder.grading.hidden import hidden_checks

    info = lookup(exercise)
    reference = ModuleSource(solutions / info.module)
    stub = ModuleSource(stubs / info.module)
    checks = public_checks(exercise, seed=seed)
    hidden = hidden_checks(exercise, seed=seed, solutions=solutions)
    notebook_cells: list[NotebookNode] = [
        cells.markdown("intro", prose.intro(info, stub, checks)),
        cells.locked("setup", SETUP_CODE + (MODEL_SETUP_CODE if info.uses_tensorflow else "")),
        cells.plain("imports", "\n".join(stub.import_lines())),
    ]
    for given, about in course.given(exercise).items():  # read-only, part of the statement
        notebook_cells.append(cells.markdown(f"{given.replace('_', '-')}-md", about))
        notebook_cells.append(cells.locked(given, reference.source_of(given)))
    by_function: dict[str, list[Check]] = {}
    for check in checks:
        by_function.setdefault(check.call.function, []).append(check)
    for function in info.functions:
        mine = by_function.pop(function, [])
        notebook_cells.append(cells.markdown(f"{function}-md", prose.function_intro(function, stub, mine)))
        notebook_cells.append(cells.solution(f"{function}-solution",
                                             solution_source(function, reference, stub)))
        notebook_cells += function_cells(function, mine, [h for h in hidden if h.gates == function],
                                         seed)
    for function, leftover in by_function.items():  # checks of a function outside the registry's list
        notebook_cells += function_cells(function, leftover,
                                         [h for h in hidden if h.gates == function], seed)
    notebook = nbformat.v4.new_notebook(cells=notebook_cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
        "autograder": {"exercise": exercise, "course_id": COURSE_ID},
    })
    cells.validate(notebook, exercise)
    return notebook
