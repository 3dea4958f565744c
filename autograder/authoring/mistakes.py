"""The known student mistakes as mutants of the reference solutions, found in each exercise's
course file (`mutants(reference)` in `autograder/course/<exercise>.py`).

`python -m autograder.authoring.fixtures` runs every mutant on the public inputs and stores what
it returns, so a student's wrong answer that matches one gets that mistake named in its
feedback; the kit's tests check that every mutant fails a public check with a message that
names it. Mistake ids are the keys of `autograder.registry.MISTAKES`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from autograder import course
from autograder.registry import MISTAKES
from autograder.registry import exercise as lookup

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


@cache
def reference(exercise: str, solutions: Path = SOLUTIONS) -> ModuleType:
    """The reference solution of an exercise (`solutions/<exercise>.py` of the kit)."""
    from autograder.student.loop import load_module

    return load_module(solutions / lookup(exercise).module)


def overrides(mistake: str, exercise: str) -> dict[str, Callable[..., Any]]:
    """The functions that `mistake` replaces in `exercise` (none: it does not touch it)."""
    return course.mutants(exercise, reference(exercise)).get(mistake, {})


def mutants(exercise: str) -> dict[str, SimpleNamespace]:
    """`{mistake: module-like mutant}` for every known mistake that touches `exercise`."""
    module = reference(exercise)
    public = {name: getattr(module, name) for name in dir(module) if not name.startswith("__")}
    replaced = course.mutants(exercise, module)
    unknown = set(replaced) - set(MISTAKES)
    if unknown:
        raise KeyError(f"autograder/course/{exercise}.py: mutants of mistakes the registry does "
                       f"not name: {sorted(unknown)}")
    return {mistake: SimpleNamespace(**{**public, **replaced[mistake]})
            for mistake in MISTAKES if replaced.get(mistake)}
