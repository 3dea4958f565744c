"""What each exercise brings beyond its stub, its reference and its public cases, one file per
exercise (`autograder/course/<exercise>.py`), read by the engines that look it up by name:

    ABOUT                 its notebook introduction (instructor.notebooks)
    GIVEN                 {function: line above its cell}: functions the stub gives whole
                          (optional)
    tf_<function>         TensorFlow/Keras computing each function: the oracle that the stored
                          fixtures and the kit's tests take their truth from (authoring)
    DRAWS                 {function: Plan}: its hidden cases, drawn from a seed (grading.hidden)
    mutants(reference)    {mistake: {function: mutant}}: the known mistakes, as the reference
                          with one mistake each (authoring.fixtures, tests)

The course files do not ship to students (release leaves this package out) and import
TensorFlow only when an oracle runs. `draws`, `mutate` and `tfops` are what they share.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from autograder.course.draws import Plan
from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup


def module(exercise: str) -> ModuleType:
    """The course file of an exercise."""
    return importlib.import_module(f"autograder.course.{lookup(exercise).name}")


def owner(function: str) -> str:
    """The exercise a function belongs to."""
    for info in EXERCISES:
        if function in info.functions:
            return info.name
    raise KeyError(f"no exercise has a function {function!r}")


def about(exercise: str) -> str:
    return str(module(exercise).ABOUT)


def given(exercise: str) -> Mapping[str, str]:
    return getattr(module(exercise), "GIVEN", {})


def plans(exercise: str) -> Mapping[str, Plan]:
    """The hidden-case plan of each function that has one."""
    return module(exercise).DRAWS


def oracle(function: str) -> Callable[..., Any]:
    """TensorFlow/Keras computing `function` (imports TensorFlow when called)."""
    found = getattr(module(owner(function)), f"tf_{function}", None)
    if found is None:
        raise LookupError(f"autograder/course/{owner(function)}.py has no oracle "
                          f"tf_{function}()")
    return found


def mutants(exercise: str, reference: ModuleType) -> dict[str, dict[str, Callable[..., Any]]]:
    """`{mistake: {function: mutant}}` for the known mistakes touching `exercise`."""
    return module(exercise).mutants(reference)
