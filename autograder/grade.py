"""`autograder grade`: one submission, sandboxed, every check; the verdict made here.

    submission -> collect (only the exercise modules) -> per exercise: static policy, then one
    sandboxed worker runs the cases -> judge each outcome here -> hidden checks guard their
    public check -> SubmissionResult

The MNIST check runs in two sandboxed steps: the student's code describes its model and
preprocesses the images; a second worker with no student code trains a fresh model from that
description and predicts; the test labels never leave this process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import autograder
from autograder import policy, wire
from autograder.calls import Outcome
from autograder.checks import Check, public_checks
from autograder.collect import Collected, SubmissionError, collect
from autograder.judge import Status, Verdict
from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup
from autograder.results import CheckResult, ExerciseResult, SubmissionResult
from autograder.sandbox import Limits, Sandbox, default_sandbox

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
DEFAULT_SEED = 20261126
# The worker imports this very copy of the kit, found by path: `-m autograder.worker` would
# go through site-packages, which may point at another copy (an editable install elsewhere,
# or one under a folder the sandbox hides).
_BOOT = ("import sys; sys.path.insert(0, {root!r}); from autograder.worker import main; "
         "sys.exit(main(sys.argv))")


def worker_command(job: Path) -> list[str]:
    """The sandboxed worker's command line for one job folder."""
    package_parent = str(Path(autograder.__file__).resolve().parents[1])
    return [sys.executable, "-I", "-c", _BOOT.format(root=package_parent), str(job)]


def default_seed() -> int:
    """The instructor's seed: `AUTOGRADER_SEED`, else a fixed default (reruns reproduce)."""
    return int(os.environ.get("AUTOGRADER_SEED", DEFAULT_SEED))


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] = ()  # exercise names; empty: all
    profile: str | None = None  # MNIST data profile; None: the default here
    seed: int = field(default_factory=default_seed)
    timeout_s: float = 120.0  # wall clock of one exercise's worker
    case_timeout_s: float = 20.0  # one call
    train_timeout_s: float = 600.0  # the grader's MNIST training
    hidden: bool = True
    solutions: Path = KIT_ROOT / "solutions"
    hide: tuple[Path, ...] = ()  # more paths the student's code must not see (e.g. --out)

    @property
    def exercises(self) -> tuple[str, ...]:
        return self.only or tuple(e.name for e in EXERCISES)

    def resolved_profile(self) -> str:
        """The MNIST profile this grading uses ("" when the CNN exercise is not graded)."""
        if "cnn" not in self.exercises:
            return ""
        from autograder import data

        return self.profile or data.default_profile_name()


def grade(path: Path, options: Options = Options(), *, sandbox: Sandbox | None = None,
          label: str | None = None) -> SubmissionResult:
    """Grade one submission (a folder, a .zip or a notebook); `label` names it in the result
    (default: the path)."""
    for name in options.exercises:
        lookup(name)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    sandboxes = _Sandboxes(sandbox, [KIT_ROOT, options.solutions, *options.hide])
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        work = Path(tmp)
        try:
            collected = collect(path, work / "submission", exercises=options.exercises)
        except SubmissionError as error:
            exercises = tuple(_all_failed(n, options, "error", str(error)) for n in options.exercises)
            return SubmissionResult(label or str(path), exercises, autograder.__version__,
                                    options.resolved_profile(), sandboxes.isolation, started,
                                    time.perf_counter() - clock, errors=(str(error),))
        exercises = tuple(_grade_exercise(name, collected, work, options, sandboxes)
                          for name in options.exercises)
    return SubmissionResult(label or str(path), exercises, autograder.__version__,
                            options.resolved_profile(), sandboxes.isolation, started,
                            time.perf_counter() - clock, notes=tuple(collected.notes))


class _Sandboxes:
    """One sandbox per exercise: the kit's own folder (solutions, .git, tests) is always
    hidden, and so are the packages the exercise forbids, so that no trick of the student's
    code can import them. A sandbox passed in (a test double) serves every exercise."""

    def __init__(self, given: Sandbox | None, hide: Sequence[Path]) -> None:
        self._given, self._hide = given, list(hide)
        self.isolation = (given or default_sandbox(hide=self._hide)).isolation

    def __call__(self, forbidden: Sequence[str] = ()) -> Sandbox:
        return self._given or default_sandbox(hide=[*self._hide, *_package_dirs(forbidden)])


def _package_dirs(names: Sequence[str]) -> list[Path]:
    """Where the installed packages `names` live (found without importing them)."""
    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None:
            found += [Path(p) for p in spec.submodule_search_locations or [spec.origin or ""] if p]
    return found


def _checks(name: str, options: Options) -> list[Check]:
    checks = public_checks(name, profile=options.profile, seed=options.seed)
    if options.hidden:
        from autograder.hidden import hidden_checks

        checks += hidden_checks(name, seed=options.seed, solutions=options.solutions)
    return checks


def _all_failed(name: str, options: Options, status: Status, message: str) -> ExerciseResult:
    verdict = Verdict(status, message)
    checks = _checks(name, replace(options, hidden=False))
    return ExerciseResult(name, tuple(CheckResult.of(c, verdict) for c in checks), message)


def _grade_exercise(name: str, collected: Collected, work: Path, options: Options,
                    sandboxes: _Sandboxes) -> ExerciseResult:
    exercise = lookup(name)
    if name in collected.missing:
        return _all_failed(name, options, "error", collected.missing[name])
    checks = _checks(name, options)
    source = collected.modules[name].read_text(errors="replace")
    violations = policy.scan(source, exercise)
    blocked: dict[str, str] = {}
    for violation in violations:
        for function in violation.functions or exercise.functions:
            blocked.setdefault(function, violation.message)
    runnable = [c for c in checks if c.call.function not in blocked]
    outcomes, note = _run_cases(name, runnable, collected, work, options,
                                sandboxes(exercise.forbidden_imports))
    verdicts: dict[str, Verdict] = {}
    for check in checks:
        if check.call.function in blocked:
            verdicts[check.id] = Verdict("policy", f"Not run: {blocked[check.call.function]}")
            continue
        outcome = outcomes[check.id]
        if isinstance(outcome, Verdict):
            verdicts[check.id] = outcome
            continue
        if check.call.mode == "mnist":
            outcome = _train(check, outcome, work, options, sandboxes())
            if isinstance(outcome, Verdict):
                verdicts[check.id] = outcome
                continue
        verdicts[check.id] = _judge(check, outcome)
    return ExerciseResult(name, _gate(checks, verdicts), note)


def _judge(check: Check, outcome: Outcome) -> Verdict:
    """The verdict; data the child forged into a shape no judge expects is a failed check."""
    try:
        return check.judge(outcome)
    except Exception as error:
        return Verdict("error", f"The result of this call could not be judged "
                       f"({type(error).__name__}): it was not in the form the worker writes.")


def _gate(checks: Sequence[Check], verdicts: dict[str, Verdict]) -> tuple[CheckResult, ...]:
    """Hidden checks guard their function: a failed hidden case withholds the points of that
    function's public checks."""
    failed_hidden: dict[str, int] = {}
    for check in checks:
        if check.gates and not verdicts[check.id].passed:
            failed_hidden[check.gates] = failed_hidden.get(check.gates, 0) + 1
    results = []
    for check in checks:
        verdict = verdicts[check.id]
        failed = failed_hidden.get(check.call.function, 0)
        if verdict.passed and check.visibility == "public" and failed:
            verdict = Verdict("fail", f"This published case passes, but {failed} hidden random "
                              f"case(s) of {check.call.function}() failed, so the points of its "
                              "public checks are withheld: make it work for any valid input.")
        results.append(CheckResult.of(check, verdict))
    return tuple(results)


def _run_cases(name: str, checks: Sequence[Check], collected: Collected, work: Path,
               options: Options, sandbox: Sandbox) -> tuple[dict[str, Outcome | Verdict], str]:
    """Run the checks' calls in sandboxed workers; a case that crashes or hangs fails alone
    and a fresh worker carries on with the rest."""
    results: dict[str, Outcome | Verdict] = {}
    pending = list(checks)
    notes = []
    attempt = 0
    while pending:
        attempt += 1
        job = work / "jobs" / f"{name}-{attempt}"
        _write_job(job, name, pending, collected, options)
        report = sandbox.run(worker_command(job), job_dir=job,
                             limits=Limits(wall_s=options.timeout_s))
        out = job / "out"
        try:
            imported = wire.read_outcome(out, "import")
        except wire.BadResult:
            why = (f"importing {name}.py took longer than {options.timeout_s:g} s"
                   if report.timed_out else
                   f"the process ended while importing {name}.py ({_ended(report)})")
            for check in pending:
                results[check.id] = Verdict("timeout" if report.timed_out else "error", why)
            notes.append(why + _tail(report.stderr))
            break
        if imported.raised:
            status: Status = "timeout" if "Timeout" in imported.error_types else "error"
            why = f"importing {name}.py raised {imported.error}"
            if "SyntaxError" in imported.error_types:
                why = f"{name}.py has a syntax error: {imported.error}"
            for check in pending:
                results[check.id] = Verdict(status, why)
            notes.append(why)
            break
        done = 0
        for index, check in enumerate(pending):
            try:
                results[check.id] = wire.read_outcome(out, str(index))
                done = index + 1
            except wire.BadResult as error:
                if error.args and error.args[0] != "no result was written":
                    results[check.id] = Verdict("error", f"The result could not be read: {error}")
                    done = index + 1
                    continue
                lost = (f"The worker was stopped after {options.timeout_s:g} s during this call"
                        if report.timed_out else
                        f"The process ended during this call ({_ended(report)})")
                results[check.id] = Verdict("timeout" if report.timed_out else "error",
                                            f"{check.call.function}: {lost}.{_tail(report.stderr)}")
                done = index + 1
                break
        pending = pending[done:]
    return results, "\n".join(notes)


def _ended(report: object) -> str:
    code, signal = getattr(report, "exit_code", None), getattr(report, "signal", None)
    return f"signal {signal}" if signal else f"exit code {code}"


def _tail(stderr: str, limit: int = 600) -> str:
    text = stderr.strip()
    return f"\nLast output: {text[-limit:]}" if text else ""


def _write_job(job: Path, name: str, checks: Sequence[Check], collected: Collected,
               options: Options) -> None:
    (job / "submission").mkdir(parents=True)
    for module in collected.modules.values():  # siblings too: a module may import another
        (job / "submission" / module.name).write_bytes(module.read_bytes())
    arrays: dict[str, np.ndarray] = {}
    cases = [{"index": i, **wire.call_to_json(c.call, arrays)} for i, c in enumerate(checks)]
    np.savez(job / "inputs.npz", **arrays)  # type: ignore[arg-type]
    request = {"format": wire.FORMAT, "task": "check", "exercise": name, "module": name,
               "forbidden_imports": list(lookup(name).forbidden_imports),
               "case_timeout_s": options.case_timeout_s, "cases": cases}
    (job / "request.json").write_text(json.dumps(request))


def _train(check: Check, submitted: Outcome, work: Path, options: Options,
           sandbox: Sandbox) -> Outcome | Verdict:
    """The grader's side of the MNIST check, in a worker that runs no student code."""
    from autograder.probes import preprocess_problem

    facts = dict(submitted.data or {})
    if submitted.raised or not facts.get("is_model"):
        return submitted
    kwargs = dict(check.call.kwargs)
    images = np.concatenate([kwargs["x_train"], kwargs["x_test"]])
    problem = preprocess_problem(submitted.array, images)
    if problem or not isinstance(facts.get("config"), str):
        return Outcome(type_name=submitted.type_name,
                       data={**facts, "preprocess_problem": problem or "no model description"})
    job = work / "jobs" / "train"
    job.mkdir(parents=True)
    np.savez(job / "inputs.npz", x_train=kwargs["x_train"], y_train=kwargs["y_train"],
             x_test=kwargs["x_test"])
    (job / "request.json").write_text(json.dumps({
        "format": wire.FORMAT, "task": "train", "config": facts["config"],
        "epochs": kwargs["epochs"], "seed": kwargs["seed"]}))
    report = sandbox.run(worker_command(job), job_dir=job,
                         limits=Limits(wall_s=options.train_timeout_s, cpu_s=4 * 3600))
    try:
        return wire.read_outcome(job / "out", "train")
    except wire.BadResult:
        status: Status = "timeout" if report.timed_out else "error"
        return Verdict(status, f"The grader's training run failed ({_ended(report)})."
                       f"{_tail(report.stderr)}")


def write_outputs(result: SubmissionResult, out: Path) -> list[Path]:
    """result.json, feedback.md, feedback.html and Gradescope's results.json in `out`."""
    from autograder import render

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

