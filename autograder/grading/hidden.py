"""Hidden checks: cases drawn from the instructor's seed, never shown to students.

Each exercise function gets cases that cover its rule, not just sample it: the conditions that
tell a right rule from a near miss are enumerated deterministically (both paddings, sizes
divisible and not divisible by the stride, odd and even windows, strides 1, 2, 3 and unequal
(height, width) pairs, non-square inputs, C != F, every input kind of the contract), with the
sizes and values drawn from the seed; random cases come on top, and bad arguments that the
contract says must raise ValueError come last. Cheap functions get many cases, the costly ones
few. Expected values come from the reference solutions (held to TensorFlow/Keras by the kit's
tests). A hidden check has no points of its own: it guards the public checks of its function.
A failed case of the rule withholds the points of all of them (a function that only gets the
published cases right has learned the answers, not the rule); a failed case of bad arguments
withholds only the points of the function's checks of bad arguments, or of its cheapest check
where it has none (a missing ValueError costs a point, not the function). In nbgrader, these
hidden tests sit in the same test cells.
Feedback names a hidden check and the kind of its failure, never its inputs. Each exercise's
plans live in its course file (`autograder/course/<exercise>.py`, `DRAWS`); this is the engine.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder import course
from autograder.core.calls import Call, Outcome
from autograder.core.checks import Check
from autograder.core.judge import ArrayExpect, ExactExpect, RaisesExpect, Reason, Verdict
from autograder.registry import exercise as lookup


@dataclass(frozen=True)
class HiddenExpect:
    """Judges like the public expectation, but reports only the kind of failure: no inputs, no
    expected values, and nothing the student's code controls (no exception text or class name,
    no shapes or values), so a hidden case cannot be read back through its feedback."""

    inner: ArrayExpect | ExactExpect | RaisesExpect

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        verdict = self.inner.judge(call, outcome)
        if verdict.passed:
            return verdict
        kind = _kind(verdict, outcome, array=isinstance(self.inner, ArrayExpect))
        return Verdict(verdict.status, f"A hidden random case of {call.function}() failed: {kind}.",
                       reason=verdict.reason)


_KINDS = {
    Reason.TIMEOUT: "it took too long",
    Reason.NOT_IMPLEMENTED: "it is not implemented yet",
    Reason.WRONG_EXCEPTION: "bad arguments raised the wrong kind of exception",
    Reason.RAISED: "it raised an exception",
    Reason.ACCEPTED_BAD_ARGUMENTS: "it accepted bad arguments, which the contract asks it to reject",
    Reason.MODIFIED_INPUT: "it changed its input in place",
    Reason.WRONG_DTYPE: "it returned the wrong dtype",
    Reason.WRONG_SHAPE: "it returned the wrong shape",
}


def _kind(verdict: Verdict, outcome: Outcome, *, array: bool) -> str:
    """What went wrong, in words of the kit's own: decided on the verdict's reason and the
    outcome's structure, never on its message nor quoting what came back. `array`: the case
    expects an ndarray (the type of an int or tuple result that is not one reads as its values,
    unless nothing came back)."""
    if verdict.reason in _KINDS:
        return _KINDS[verdict.reason]
    if (verdict.reason is Reason.WRONG_TYPE and array) or (
            outcome.array is None and outcome.value is None):
        return "it returned the wrong type"
    return "it returned wrong values"


def _reference(exercise: str, solutions: Path) -> Callable[[Call], Any]:
    """Expected values from the reference module (kept off TensorFlow: the grader stays light;
    the kit's tests hold these values to TensorFlow/Keras)."""
    from autograder.student.loop import load_module

    module = load_module(solutions / lookup(exercise).module)
    return lambda call: getattr(module, call.function)(*call.args, **call.kwargs)


def hidden_calls(function: str, seed: int) -> list[tuple[Call, bool]]:
    """`(call, bad)` for every hidden case of one function: the covering cases, the random ones,
    then the bad arguments. Each function draws from its own generator, so the same seed gives
    the same cases whatever the other functions draw."""
    plan = course.plans(course.owner(function))[function]
    rng = np.random.default_rng([seed, zlib.crc32(function.encode())])
    good = plan.cover(rng) + [plan.draw(rng) for _ in range(plan.random)]
    return [(call, False) for call in good] + [(call, True) for call in plan.bad(rng)]


def _expect(reference: Callable[[Call], Any], call: Call,
            bad: bool) -> ArrayExpect | ExactExpect | RaisesExpect:
    """What the reference does on the call; bad arguments must make it raise ValueError."""
    if bad:
        try:
            reference(call)
        except ValueError:
            return RaisesExpect(why="bad arguments")
        raise RuntimeError(f"the reference accepts the bad arguments of {call.describe()}")
    expected = reference(call)
    return (ArrayExpect(np.asarray(expected)) if isinstance(expected, np.ndarray)
            else ExactExpect(expected))


def checks_arguments(check: Check) -> bool:
    """Whether the check's call has bad arguments, where the contract asks for ValueError."""
    expect = check.expect.inner if isinstance(check.expect, HiddenExpect) else check.expect
    return isinstance(expect, RaisesExpect)


def argument_guarded(public: Sequence[Check]) -> list[Check]:
    """The public checks of one function that its bad-argument hidden cases guard: its checks of
    bad arguments, or, where it has none, its check worth the fewest points (the last of them)."""
    own = [check for check in public if checks_arguments(check)]
    if own or not public:
        return own
    cheapest = min(check.points for check in public)
    return [[check for check in public if check.points == cheapest][-1]]


def hidden_checks(exercise: str, *, seed: int, solutions: Path) -> list[Check]:
    """The hidden checks of one exercise for the instructor's `seed` (the same seed, the same
    cases), expected values from `solutions` (the reference modules' folder)."""
    info = lookup(exercise)
    reference = _reference(exercise, solutions)
    plans = course.plans(exercise)
    checks = []
    for function in info.functions:
        if function not in plans:
            continue  # judged by training (the MNIST check), not by cases
        for number, (call, bad) in enumerate(hidden_calls(function, seed), start=1):
            checks.append(Check(f"{function}-hidden-{number}", exercise, 0,
                                f"hidden random case {number} of {function}", call,
                                HiddenExpect(_expect(reference, call, bad)), "hidden",
                                gates=function))
    return checks
