"""`autograder grade`: one submission, sandboxed, every check; the verdict made here.

The pipeline, one module per step (autograder.grading.steps):

    submission -> sandboxes (1; their warm templates start now) -> collect (only the exercise
    modules) -> per exercise: checks (2), the static policy, the sandboxed runs (3: public
    cases, the grader's training, hidden cases) -> judging (4) -> gating (5) -> SubmissionResult
    -> outputs (6: its files)

The MNIST check runs in two sandboxed steps: the student's code describes its model and
preprocesses the images; a second worker with no student code trains a fresh model from that
description and predicts; the test labels never leave this process.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import autograder
from autograder.core import policy
from autograder.core.collect import Collected, SubmissionError, collect
from autograder.core.results import ExerciseResult, SubmissionResult
from autograder.grading import kit, warm
from autograder.grading.options import DEFAULT_SEED, KIT_ROOT, Options, default_seed
from autograder.grading.sandbox import Sandbox
from autograder.grading.steps import checks, gating, judging
from autograder.grading.steps.outputs import views, write_outputs
from autograder.grading.steps.running import run
from autograder.grading.steps.sandboxes import Sandboxes, hidden_by_environment
from autograder.registry import exercise as lookup

__all__ = ["DEFAULT_SEED", "KIT_ROOT", "Options", "default_seed", "grade", "views",
           "write_outputs"]


def grade(path: Path, options: Options | None = None, *, sandbox: Sandbox | None = None,
          label: str | None = None) -> SubmissionResult:
    """Grade one submission (a folder, a .zip or a notebook); `label` names it in the result
    (default: the path); `options` default to `Options()`, read when called."""
    options = options or Options()
    for name in options.exercises:
        lookup(name)
    with warm.session():
        return _grade(path, options, sandbox, label)


def _grade(path: Path, options: Options, sandbox: Sandbox | None,
           label: str | None) -> SubmissionResult:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    sandboxes = Sandboxes(sandbox, [KIT_ROOT, kit.PACKAGE_DIR, options.solutions, *options.hide,
                                    *hidden_by_environment()])
    sandboxes.prestart(options.exercises)
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        work = Path(tmp)
        try:
            collected = collect(path, work / "submission", exercises=options.exercises)
        except SubmissionError as error:
            exercises = tuple(checks.all_failed(n, options, "error", str(error))
                              for n in options.exercises)
            return SubmissionResult(label or str(path), exercises, autograder.__version__,
                                    options.resolved_profile(), sandboxes.isolation, started,
                                    time.perf_counter() - clock, errors=(str(error),))
        exercises = tuple(_grade_exercise(name, collected, options, sandboxes)
                          for name in options.exercises)
    return SubmissionResult(label or str(path), exercises, autograder.__version__,
                            options.resolved_profile(), sandboxes.isolation, started,
                            time.perf_counter() - clock, notes=tuple(collected.notes))


def _grade_exercise(name: str, collected: Collected, options: Options,
                    sandboxes: Sandboxes) -> ExerciseResult:
    exercise = lookup(name)
    if name in collected.missing:
        return checks.all_failed(name, options, "error", collected.missing[name])
    chosen = checks.of(name, options)
    # The student loop applies the same static policy.
    blocked = policy.blocked(collected.modules[name].read_text(errors="replace"), exercise)
    outcomes, notes = run(exercise, chosen, blocked, collected, options, sandboxes)
    verdicts = judging.verdicts(chosen, outcomes, blocked)
    return ExerciseResult(name, gating.gate(chosen, verdicts), notes)
