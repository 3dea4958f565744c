"""Step 3: an exercise's sandboxed runs: the public cases, then the hidden ones in workers of
their own, with the grader's MNIST training on its own worker meanwhile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from autograder.core.calls import Outcome
from autograder.core.checks import Check
from autograder.core.collect import Collected
from autograder.core.judge import Verdict
from autograder.grading import jobs
from autograder.grading.options import Options
from autograder.grading.steps import training
from autograder.grading.steps.judging import timed_out
from autograder.grading.steps.sandboxes import Sandboxes
from autograder.registry import Exercise


def run(exercise: Exercise, checks: Sequence[Check], blocked: Mapping[str, str],
        collected: Collected, options: Options,
        sandboxes: Sandboxes) -> tuple[dict[str, Outcome | Verdict], str]:
    """The outcome of every check that ran (those of `blocked` functions never run), and the
    notes of the runs (retries, lost workers)."""
    # Every module of the submission is importable from every other (`from padding import ...`
    # in cnn.py graded alone, a helper utils.py); only the exercise's module is graded.
    modules = {**collected.siblings, **collected.modules}
    runner = jobs.CaseRunner(
        exercise, modules, sandboxes(exercise.forbidden_imports),
        sandboxes.rules(exercise.forbidden_imports), budget_s=options.timeout_s,
        case_timeout_s=options.case_timeout_s or exercise.case_timeout_s,
        launcher=sandboxes.launcher(exercise))
    runnable = [c for c in checks if c.call.function not in blocked]
    outcomes = runner.run([c for c in runnable if c.visibility == "public"], hidden=False)
    # The grader's training (no student code) runs while the hidden cases do, where their
    # sandboxes keep them apart (bwrap, or a uid each); else after them.
    later = training.background if sandboxes.separates else training.now
    trainings = {c.id: later(training.train, c, outcome, options, sandboxes.launcher())
                 for c in checks if c.call.mode == "mnist"
                 and isinstance(outcome := outcomes.get(c.id), Outcome) and not outcome.refused}
    # A function that hung on a published case would hang on the hidden ones too.
    hung = {c.call.function for c in runnable if timed_out(outcomes.get(c.id))}
    hidden = [c for c in runnable if c.visibility == "hidden"]
    outcomes |= runner.run([c for c in hidden if c.call.function not in hung], hidden=True)
    outcomes |= {check_id: future.result() for check_id, future in trainings.items()}
    return outcomes, "\n".join(runner.notes)
