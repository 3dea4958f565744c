"""Checks: the single source of truth for what is checked.

A check is an id, points, a title, a `Call` on the module under test and an expectation that
judges the outcome. A case carries a weight; an exercise's weights are scaled to its points in
the registry (`registry.scale`), so adding an exercise never means rebalancing another.
The public checks of an exercise are its `CASES` (inputs written out in
`autograder/core/checks/<exercise>.py`) with their expected values read from the stored fixtures
(generated from TensorFlow/Keras, see `autograder.authoring.fixtures`), plus, for the CNN exercise, the
checks of the student's Keras model. Hidden checks are built the same way by the grader.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from autograder.core.calls import Call, Outcome
from autograder.core.judge import ArrayExpect, ExactExpect, RaisesExpect, Verdict
from autograder.registry import POINTS, scale
from autograder.registry import exercise as lookup_exercise


class Expect(Protocol):
    def judge(self, call: Call, outcome: Outcome) -> Verdict: ...


@dataclass(frozen=True)
class Case:
    """A public check before its expected value is attached (what the fixtures are made of)."""

    id: str
    weight: int  # relative to the exercise's other checks (`registry.scale`)
    title: str
    call: Call
    raises: bool = False  # bad arguments: the check expects a ValueError
    dtype: str | None = None  # an exact result dtype the contract asks for


@dataclass(frozen=True)
class Check:
    id: str
    exercise: str
    points: int
    title: str
    call: Call
    expect: Expect
    visibility: Literal["public", "hidden"] = "public"
    gates: str | None = None  # hidden checks: the function whose public checks they guard

    def judge(self, outcome: Outcome) -> Verdict:
        return self.expect.judge(self.call, outcome)


def cases(exercise: str) -> tuple[Case, ...]:
    """The fixture-backed public cases of an exercise, in order."""
    lookup_exercise(exercise)
    return importlib.import_module(f"autograder.core.checks.{exercise}").CASES


def public_checks(exercise: str, *, profile: str | None = None, seed: int = 0) -> list[Check]:
    """Every public check of an exercise, expected values attached, in order.

    `profile` picks the MNIST data profile for the CNN exercise (None: the default) and `seed`
    its split and training seed.
    """
    from autograder.core import fixtures  # light: JSON only

    stored = fixtures.load(exercise)
    checks: list[Check] = []
    for case in cases(exercise):
        expect: Expect
        if case.raises:
            expect = RaisesExpect(why=case.title)
        else:
            fixture = stored.get(case.id)
            if fixture is None:
                raise LookupError(f"no stored expected value for check {case.id!r}: "
                                  "run `python -m autograder.authoring.fixtures` to regenerate fixtures")
            expected, mistakes = fixture
            expect = (ExactExpect(expected, mistakes) if not hasattr(expected, "shape")
                      else ArrayExpect(expected, mistakes, dtype=case.dtype))
        checks.append(Check(case.id, exercise, case.weight, case.title, case.call, expect))
    module = importlib.import_module(f"autograder.core.checks.{exercise}")
    if hasattr(module, "model_checks"):
        checks += module.model_checks(profile=profile, seed=seed)
    points = scale([check.points for check in checks], POINTS[exercise])
    return [replace(check, points=p) for check, p in zip(checks, points, strict=True)]
