"""Step 5: hidden checks guard the public points of their function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autograder.core.checks import Check
from autograder.core.judge import Reason, Verdict
from autograder.core.results import CheckResult


def gate(checks: Sequence[Check], verdicts: dict[str, Verdict]) -> tuple[CheckResult, ...]:
    """Hidden checks guard their function (see autograder.grading.hidden): a failed case of the rule
    withholds the points of all its public checks; a failed case of bad arguments, those of
    the checks `argument_guarded` names."""
    from autograder.grading.hidden import argument_guarded, checks_arguments

    rule: dict[str, int] = {}
    arguments: dict[str, int] = {}
    for check in checks:
        if check.gates and not verdicts[check.id].passed:
            failed = arguments if checks_arguments(check) else rule
            failed[check.gates] = failed.get(check.gates, 0) + 1
    guarded = {check.id for function in arguments for check in argument_guarded(
        [c for c in checks if c.visibility == "public" and c.call.function == function])}
    results = []
    for check in checks:
        verdict = verdicts[check.id]
        function = check.call.function
        if check.visibility == "hidden" and verdict.arrays is not None:
            verdict = replace(verdict, arrays=None)  # hidden cases never show their values
        if verdict.passed and check.visibility == "public":
            if rule.get(function):
                verdict = Verdict("fail", f"This published case passes, but {rule[function]} "
                                  f"hidden random case(s) of {function}() failed, so the points "
                                  "of its public checks are withheld: make it work for any valid "
                                  "input.", reason=Reason.WITHHELD)
            elif check.id in guarded:
                verdict = Verdict("fail", f"This published case passes, but {function}() did "
                                  f"not raise ValueError on {arguments[function]} hidden case(s) "
                                  "of bad arguments, so this check's points are withheld: check "
                                  "its arguments as the contract asks.", reason=Reason.WITHHELD)
        results.append(CheckResult.of(check, verdict))
    return tuple(results)
