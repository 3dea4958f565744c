"""`autograder grade`: one submission, sandboxed, every check; the verdict made here.

    submission -> collect (only the exercise modules) -> per exercise: static policy, then one
    sandboxed worker runs the cases -> judge each outcome here -> hidden checks guard their
    public check -> SubmissionResult

The MNIST check runs in two sandboxed steps: the student's code describes its model and
preprocesses the images; a second worker with no student code trains a fresh model from that
description and predicts; the test labels never leave this process.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import autograder
from autograder.core import policy
from autograder.core.calls import Outcome
from autograder.core.checks import Check, public_checks
from autograder.core.collect import Collected, SubmissionError, collect
from autograder.core.judge import Reason, Status, Verdict
from autograder.core.results import CheckResult, ExerciseResult, SubmissionResult
from autograder.grading import jobs, kit, warm, wire
from autograder.grading.sandbox import Sandbox, SubprocessSandbox, default_sandbox
from autograder.registry import EXERCISE_TIMEOUT_S, EXERCISES, Exercise
from autograder.registry import exercise as lookup

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
DEFAULT_SEED = 20261126


def default_seed() -> int:
    """The instructor's seed: `AUTOGRADER_SEED`, else a fixed default (reruns reproduce)."""
    return int(os.environ.get("AUTOGRADER_SEED", DEFAULT_SEED))


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] = ()  # exercise names; empty: all
    profile: str | None = None  # MNIST data profile; None: the default here
    seed: int = field(default_factory=default_seed)
    timeout_s: float = EXERCISE_TIMEOUT_S  # wall clock of one exercise, all its workers together
    case_timeout_s: float | None = None  # one call; None: the exercise's own (the registry)
    train_timeout_s: float = 600.0  # the grader's MNIST training
    hidden: bool = True
    solutions: Path = KIT_ROOT / "solutions"
    hide: tuple[Path, ...] = ()  # more paths the student's code must not see (e.g. --out)

    @property
    def exercises(self) -> tuple[str, ...]:
        return self.only or tuple(e.name for e in EXERCISES)

    def to_dict(self) -> dict[str, Any]:
        """The options that travel to a batch worker, as plain values (they pickle anywhere)."""
        return {"exercises": list(self.exercises), "seed": self.seed, "profile": self.profile,
                "timeout_s": self.timeout_s, "hide": [str(p) for p in self.hide]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Options:
        return cls(only=tuple(data["exercises"]), seed=int(data["seed"]),
                   profile=data.get("profile") or None, timeout_s=float(data["timeout_s"]),
                   hide=tuple(Path(p) for p in data.get("hide", ())))

    def resolved_profile(self) -> str:
        """The MNIST profile this grading uses ("" when the CNN exercise is not graded)."""
        if "cnn" not in self.exercises:
            return ""
        from autograder.core import data

        return self.profile or data.default_profile_name()


def grade(path: Path, options: Options = Options(), *, sandbox: Sandbox | None = None,
          label: str | None = None) -> SubmissionResult:
    """Grade one submission (a folder, a .zip or a notebook); `label` names it in the result
    (default: the path)."""
    for name in options.exercises:
        lookup(name)
    with warm.session():
        return _grade(path, options, sandbox, label)


def _grade(path: Path, options: Options, sandbox: Sandbox | None,
           label: str | None) -> SubmissionResult:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    sandboxes = _Sandboxes(sandbox, [KIT_ROOT, kit.PACKAGE_DIR, options.solutions, *options.hide,
                                     *_hidden_by_environment()])
    sandboxes.prestart(options.exercises)
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        work = Path(tmp)
        try:
            collected = collect(path, work / "submission", exercises=options.exercises)
        except SubmissionError as error:
            exercises = tuple(_all_failed(n, options, "error", str(error)) for n in options.exercises)
            return SubmissionResult(label or str(path), exercises, autograder.__version__,
                                    options.resolved_profile(), sandboxes.isolation, started,
                                    time.perf_counter() - clock, errors=(str(error),))
        exercises = tuple(_grade_exercise(name, collected, options, sandboxes)
                          for name in options.exercises)
    return SubmissionResult(label or str(path), exercises, autograder.__version__,
                            options.resolved_profile(), sandboxes.isolation, started,
                            time.perf_counter() - clock, notes=tuple(collected.notes))


class _Sandboxes:
    """One sandbox per exercise: the kit's own folder (solutions, .git, tests) is always
    hidden, and so are the packages the exercise forbids, so that no trick of the student's
    code can import them. A sandbox passed in (a test double) serves every exercise. `rules`
    gives the same paths to the worker's audit hook, the second layer."""

    def __init__(self, given: Sandbox | None, hide: Sequence[Path]) -> None:
        self._given, self._hide = given, [Path(p) for p in hide]
        strict = _strict_hide()
        probe = given or default_sandbox(hide=self._hide, strict_hide=strict)
        self.isolation = probe.isolation
        # Whether two runs at once are kept apart from each other (not the plain subprocess).
        self.separates = isinstance(probe, SubprocessSandbox) and (
            probe.uses_bwrap or probe.unprivileged)
        if given is None:
            self.isolation += ("; an audit hook in the worker (imports, processes, signals, "
                               "sockets, ctypes, files)")
            if warm.enabled():
                self.isolation += ("; warm workers: each job a fresh process forked from a "
                                   "pre-started template in this sandbox that holds no student "
                                   "code, its processes and files swept after each job")

    def __call__(self, forbidden: Sequence[str] = ()) -> Sandbox:
        # (The strict check was made above, on the instructor's paths: the forbidden packages
        # stay readable to a sandbox user, for the exercises that may use them.)
        return self._given or default_sandbox(hide=[*self._hide, *jobs.package_dirs(forbidden)])

    def launcher(self, exercise: Exercise | None = None) -> warm.Launcher:
        """Where the jobs of `exercise` run (None: the grader's training, no student code)."""
        forbidden = exercise.forbidden_imports if exercise else ()
        tensorflow = exercise is None or exercise.uses_tensorflow
        return warm.launcher(self(forbidden), "tensorflow" if tensorflow else "numpy",
                             "worker" if exercise else "trainer")

    def prestart(self, names: Sequence[str]) -> None:
        """Start the warm templates these exercises will use: their imports overlap the rest."""
        if self._given is not None:
            return
        for name in names:
            exercise = lookup(name)
            warm.prestart(self(exercise.forbidden_imports),
                          "tensorflow" if exercise.uses_tensorflow else "numpy")
            if exercise.uses_tensorflow:
                warm.prestart(self(), "tensorflow", "trainer")

    def rules(self, forbidden: Sequence[str]) -> wire.AuditRules:
        """The audit hook's paths: hidden ones, and the interpreter's folders kept inside them."""
        from autograder.grading.sandbox.bwrap import interpreter_paths

        hidden = [*self._hide, *jobs.package_dirs(forbidden)]
        return wire.AuditRules(
            hidden=tuple(str(p.resolve()) for p in hidden if p.exists()),
            keep=tuple(sorted(str(p) for p in interpreter_paths(Path(sys.executable)))))


def _hidden_by_environment() -> list[Path]:
    """`AUTOGRADER_HIDE`: more folders to hide, separated by ':' (Gradescope's run_autograder
    names /autograder/source, which holds the seed, and /autograder/results)."""
    return [Path(p).resolve() for p in os.environ.get("AUTOGRADER_HIDE", "").split(":") if p]


def _strict_hide() -> bool:
    """`AUTOGRADER_STRICT_HIDE=1`: refuse to grade while the sandbox user can read a hidden
    path (an image whose setup made them root-only, such as the Gradescope bundle's)."""
    return os.environ.get("AUTOGRADER_STRICT_HIDE", "") == "1"


def _checks(name: str, options: Options) -> list[Check]:
    checks = public_checks(name, profile=options.profile, seed=options.seed)
    if options.hidden:
        from autograder.grading.hidden import hidden_checks

        checks += hidden_checks(name, seed=options.seed, solutions=options.solutions)
    return checks


def _all_failed(name: str, options: Options, status: Status, message: str) -> ExerciseResult:
    verdict = Verdict(status, message, reason=Reason.LOAD_ERROR)
    checks = _checks(name, replace(options, hidden=False))
    return ExerciseResult(name, tuple(CheckResult.of(c, verdict) for c in checks), message)


def _grade_exercise(name: str, collected: Collected, options: Options,
                    sandboxes: _Sandboxes) -> ExerciseResult:
    exercise = lookup(name)
    if name in collected.missing:
        return _all_failed(name, options, "error", collected.missing[name])
    checks = _checks(name, options)
    source = collected.modules[name].read_text(errors="replace")
    blocked = policy.blocked(source, exercise)  # the student loop applies the same
    # Every module of the submission is importable from every other (`from padding import ...`
    # in cnn.py graded alone, a helper utils.py); only `name` is graded.
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
    later = _background if sandboxes.separates else _now
    training = {c.id: later(_train, c, outcome, options, sandboxes.launcher())
                for c in checks if c.call.mode == "mnist"
                and isinstance(outcome := outcomes.get(c.id), Outcome) and not outcome.refused}
    # A function that hung on a published case would hang on the hidden ones too.
    hung = {c.call.function for c in runnable if _timed_out(outcomes.get(c.id))}
    hidden = [c for c in runnable if c.visibility == "hidden"]
    outcomes |= runner.run([c for c in hidden if c.call.function not in hung], hidden=True)
    outcomes |= {check_id: future.result() for check_id, future in training.items()}
    verdicts: dict[str, Verdict] = {}
    for check in checks:
        if check.call.function in blocked:
            verdicts[check.id] = Verdict("policy", policy.not_run(blocked[check.call.function]),
                                         reason=Reason.POLICY)
            continue
        outcome = outcomes.get(check.id)
        if outcome is None:
            verdicts[check.id] = jobs.not_run(f"{check.call.function} timed out on a "
                                              "published case")
            continue
        verdicts[check.id] = outcome if isinstance(outcome, Verdict) else _judge(check, outcome)
    return ExerciseResult(name, _gate(checks, verdicts), "\n".join(runner.notes))


def _timed_out(outcome: Outcome | Verdict | None) -> bool:
    if isinstance(outcome, Verdict):
        return outcome.status == "timeout"
    return outcome is not None and bool({"Timeout", "NotRun"} & set(outcome.error_types))


def _judge(check: Check, outcome: Outcome) -> Verdict:
    """The verdict; data the child forged into a shape no judge expects is a failed check."""
    if outcome.refused:
        return (Verdict("policy", f"A hidden random case of {check.call.function}() failed: "
                        "it tried something the sandbox refuses.", reason=Reason.POLICY)
                if check.visibility == "hidden" else jobs.refusal_verdict(outcome))
    if "NotRun" in outcome.error_types:
        return jobs.not_run(f"{check.call.function} timed out on an earlier case")
    try:
        return check.judge(outcome)
    except Exception as error:
        return Verdict("error", f"The result of this call could not be judged "
                       f"({type(error).__name__}): it was not in the form the worker writes.",
                       reason=Reason.CRASHED)


def _gate(checks: Sequence[Check], verdicts: dict[str, Verdict]) -> tuple[CheckResult, ...]:
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


def _now(function: Callable[..., Outcome | Verdict], *args: Any) -> Future[Outcome | Verdict]:
    future: Future[Outcome | Verdict] = Future()
    future.set_result(function(*args))
    return future


def _background(function: Callable[..., Outcome | Verdict],
                *args: Any) -> Future[Outcome | Verdict]:
    """`function(*args)` in a thread of its own (it waits on a sandboxed process)."""
    future: Future[Outcome | Verdict] = Future()

    def work() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=work, daemon=True, name="grader-training").start()
    return future


def _train(check: Check, submitted: Outcome, options: Options,
           launcher: warm.Launcher) -> Outcome | Verdict:
    """The grader's side of the MNIST check, in a worker that runs no student code."""
    from autograder.core.probes import preprocess_problem

    facts = dict(submitted.data or {})
    if submitted.raised or not facts.get("is_model") or "trace_error" in facts:
        return submitted
    kwargs = dict(check.call.kwargs)
    images = np.concatenate([kwargs["x_train"], kwargs["x_test"]])
    problem = preprocess_problem(submitted.array, images)
    if problem or not isinstance(facts.get("spec"), str):
        return Outcome(type_name=submitted.type_name,
                       data={**facts, "preprocess_problem": problem or "no model description"})
    return jobs.train(facts["spec"], x_train=kwargs["x_train"], y_train=kwargs["y_train"],
                      x_test=kwargs["x_test"], epochs=int(kwargs["epochs"]),
                      seed=int(kwargs["seed"]), launcher=launcher,
                      timeout_s=options.train_timeout_s)


def write_outputs(result: SubmissionResult, out: Path) -> list[Path]:
    """result.json, feedback.md, feedback.html and Gradescope's results.json in `out`."""
    from autograder.grading import render

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "result.json": result.to_json(),
        "feedback.md": render.markdown(result),
        "feedback.html": render.html(result),
        "results.json": json.dumps(render.gradescope(result), indent=2),
    }
    written = []
    for filename, text in files.items():
        temporary = out / f".{filename}.tmp"
        temporary.write_text(text)
        temporary.replace(out / filename)  # atomic: a reader never sees half a file
        written.append(out / filename)
    return written

