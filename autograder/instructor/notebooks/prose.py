"""The notebooks' markdown: what each exercise teaches (its course file's `ABOUT`), how the
notebook is graded, and the line above each solution cell."""

from __future__ import annotations

from collections.abc import Sequence

from autograder import course
from autograder.core.checks import Check
from autograder.instructor.notebooks.source import ModuleSource
from autograder.registry import Exercise


def intro(info: Exercise, stub: ModuleSource, checks: Sequence[Check]) -> str:
    doc = stub.docstring()
    conventions = ""
    if "Conventions for this exercise:" in doc:
        conventions = doc.split("Conventions for this exercise:", 1)[1]
        conventions = conventions.split("\nRun the checks", 1)[0].strip()
    rows = "\n".join(f"| `{c.id}` | {c.title} | {c.points} |" for c in checks)
    total = sum(c.points for c in checks)
    slides = ", ".join(f'"{s}"' for s in info.slides)
    return f"""# {info.title}

{course.about(info.name)}

This notebook follows the slides {slides} of the unit "Convolutional Neural Networks".

## Conventions

{conventions}

## How this notebook is graded

Fill in the body of every function where it says `# YOUR CODE HERE` (remove the
`raise NotImplementedError()`), then run all cells from the top. Each locked test cell below a
function calls it on fixed inputs and compares the result with the kit's expected value. When
your notebook is graded, the test cells also run hidden random cases of the same function: if
one of them fails, that function's test cells earn nothing, so make each function work for any
valid input, not only for the cases shown. Hidden cases of bad arguments, which must raise
`ValueError`, cost only the function's test cells of bad arguments (or, where it has none, its
cheapest test cell). Total: {total} points.

| test | what it checks | points |
|---|---|---|
{rows}

*Hint:* {info.hint}
"""



def function_intro(function: str, stub: ModuleSource, checks: Sequence[Check]) -> str:
    """The markdown above a function's solution cell: its signature, summary and test cells."""
    points = sum(c.points for c in checks)
    return (f"### `{stub.signature(function)}`\n\n"
            f"{stub.summary(function)}\n\nWrite the body in the next cell. "
            f"{len(checks)} test cell(s) follow it, {points} point(s) in all.")
