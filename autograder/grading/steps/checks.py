"""Step 2: an exercise's checks (the public ones, then the hidden ones drawn from the
instructor's seed), and the result of an exercise none of whose checks could run."""

from __future__ import annotations

from dataclasses import replace

from autograder.core.checks import Check, public_checks
from autograder.core.judge import Reason, Status, Verdict
from autograder.core.results import CheckResult, ExerciseResult
from autograder.grading.options import Options


def of(name: str, options: Options) -> list[Check]:
    checks = public_checks(name, profile=options.profile, seed=options.seed)
    if options.hidden:
        from autograder.grading.hidden import hidden_checks

        checks += hidden_checks(name, seed=options.seed, solutions=options.solutions)
    return checks


def all_failed(name: str, options: Options, status: Status, message: str) -> ExerciseResult:
    verdict = Verdict(status, message, reason=Reason.LOAD_ERROR)
    checks = of(name, replace(options, hidden=False))
    return ExerciseResult(name, tuple(CheckResult.of(c, verdict) for c in checks), message)
