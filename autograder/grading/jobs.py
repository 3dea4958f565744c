"""Running checks' calls in sandboxed workers: one job folder per worker, deadlines enforced
from outside, and what to do when a worker dies.

    for the public cases, then (in other workers) the hidden ones:
      job folder: the child's copy of the kit, the student's modules, request.json, inputs.npz
      -> sandbox.run(worker): the worker reports progress after its import and every case;
         a case past its limit (+ grace) gets the worker killed, whatever it does with signals
      -> read each case's outcome; the case the worker died in fails alone, the later cases of
         the same function after a timeout are "not run", a fresh worker takes the rest

An exercise's workers share one budget (`Options.timeout_s`). Hidden cases never share a
worker, a job folder or a process's memory with the public ones, and nothing the student's
code controls (stderr, exception text, class names) is quoted from a hidden worker.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from autograder.core import callguard
from autograder.core.calls import Outcome
from autograder.core.checks import Check
from autograder.core.judge import Reason, Status, Verdict
from autograder.grading import trained, warm, wire
from autograder.grading.sandbox import Limits, RunReport, Sandbox
from autograder.registry import WALL_FACTOR, Exercise

CASE_GRACE_S = 0.5  # past a case's own limit, how long before the grader kills the worker
# A case's own limit is CPU time (the worker's timer), which load does not change; the parent's
# wall clock stops a case that waits instead, at WALL_FACTOR times it. A case stopped by the
# wall clock is retried once on its own before its verdict counts.
STARTUP_S = 10.0  # starting the worker (Python, NumPy) before the student's module is imported
IMPORT_TIMEOUT_S = 10.0  # importing the student's module (a notebook's top-level code included)
TENSORFLOW_STARTUP_S = 60.0  # ... and TensorFlow, for the CNN exercise
def package_dirs(names: Sequence[str]) -> list[Path]:
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


def _swallowed(outcome: Outcome | Verdict | None) -> bool:
    return isinstance(outcome, Outcome) and "Timeout" in outcome.error_types


def _timed_out(verdict: Outcome | Verdict | None) -> bool:
    return isinstance(verdict, Verdict) and verdict.status == "timeout"


def _same_kind(check: Check, lost: Check) -> bool:
    """Whether `check` is a case of the same function as `lost`, and for hidden cases of the
    same kind (the rule, or bad arguments: each gates its own points)."""
    from autograder.grading.hidden import checks_arguments

    return check.call.function == lost.call.function and (
        check.visibility == "public" or checks_arguments(check) == checks_arguments(lost))


def not_run(why: str) -> Verdict:
    return Verdict("timeout", f"Not run: {why}.", reason=Reason.TIMEOUT)


@dataclass
class CaseRunner:
    """Runs the cases of one exercise of one submission, within the exercise's budget."""

    exercise: Exercise
    modules: Mapping[str, Path]  # the submission's collected modules, siblings included
    sandbox: Sandbox
    audit: wire.AuditRules  # the audit hook's rules (see autograder.grading.child.audit)
    budget_s: float
    case_timeout_s: float
    launcher: warm.Launcher | None = None  # default: a cold worker per job, in `sandbox`
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)
    import_failed: Verdict | None = None  # the module did not import: no worker will do better
    retried: set[str] = field(default_factory=set)  # stopped by the wall clock once, retried
    import_retried: bool = False

    def left(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def run(self, checks: Sequence[Check], *, hidden: bool) -> dict[str, Outcome | Verdict]:
        results: dict[str, Outcome | Verdict] = {}
        pending = list(checks)
        if self.import_failed is not None:
            self._fail_all(pending, results, self.import_failed, hidden)
            return results
        while pending:
            if self.left() <= 0.5:
                for check in pending:
                    results[check.id] = not_run(f"the {self.exercise.name} exercise used up "
                                                f"its {self.budget_s:g} s")
                break
            if pending[0].id in self.retried and pending[0].id not in results:
                # A retry runs alone, so that no other case's load or hang can stop it.
                self.notes.append(f"{pending[0].id} ran past the wall clock once (the machine "
                                  "may have been busy); it was graded on a retry on its own.")
                retried, rest = pending[0], pending[1:]
                pending = self._one_worker([retried], results, hidden=hidden) + rest
                if _timed_out(results.get(retried.id)):  # it hung twice: so would the others
                    pending = self._skip_kind(retried, pending, results, "timed out")
            else:
                pending = self._one_worker(pending, results, hidden=hidden)
        return results

    def _limits(self) -> Limits:
        startup = TENSORFLOW_STARTUP_S if self.exercise.uses_tensorflow else STARTUP_S
        return Limits(wall_s=max(self.left(), 0.1), idle_s=self.case_timeout_s * WALL_FACTOR + CASE_GRACE_S,
                      start_s=startup + IMPORT_TIMEOUT_S * WALL_FACTOR + CASE_GRACE_S)

    def _one_worker(self, pending: list[Check], results: dict[str, Outcome | Verdict], *,
                    hidden: bool) -> list[Check]:
        """Run `pending` in one worker; return the cases still to run in a fresh one."""
        name = self.exercise.name
        launch = self.launcher or warm.Cold(self.sandbox)
        with launch.job() as job:
            self.write_job(job, pending)
            limits = self._limits()
            report = launch.run(job, limits)
            outcomes = wire.read_outcomes(job / "out")
            try:
                imported = outcomes.get("import")
            except wire.BadResult:
                if report.stalled and not self.import_retried and self.left() > 1:
                    self.import_retried = True  # a loaded machine, perhaps: once more
                    self.notes.append(f"Starting the worker and importing {name}.py ran past "
                                      "the wall clock once; it was retried.")
                    return pending
                if report.timed_out:
                    took = limits.start_s if report.stalled else self.budget_s
                    why = f"importing {name}.py took longer than {took:g} s"
                else:
                    why = f"the process ended while importing {name}.py ({_ended(report)})"
                status: Status = "timeout" if report.timed_out else "error"
                self._fail_all(pending, results, Verdict(status, why, reason=Reason.LOAD_ERROR),
                               hidden)
                self._note(why + _tail(report.stderr), hidden)
                return []
            if imported.refused:
                why = f"importing {name}.py tried {_refusals(imported.refused)}"
                self._fail_all(pending, results, Verdict("policy", f"Not graded: {why}, which "
                               "the sandbox refused.", reason=Reason.LOAD_ERROR), hidden)
                self._note(why, hidden)
                return []
            if imported.raised:
                status = "timeout" if "Timeout" in imported.error_types else "error"
                why = f"importing {name}.py raised {imported.error}"
                if "SyntaxError" in imported.error_types:
                    why = f"{name}.py has a syntax error: {imported.error}"
                self._fail_all(pending, results, Verdict(status, why, reason=Reason.LOAD_ERROR),
                               hidden)
                self._note(why, hidden)
                return []
            for index, check in enumerate(pending):
                try:
                    results[check.id] = outcomes.get(str(index))
                except wire.BadResult as error:
                    if error.args and error.args[0] != "no result was written":
                        results[check.id] = Verdict("error", "The result could not be read: "
                                                    f"{'it was malformed' if hidden else error}",
                                                    reason=Reason.CRASHED)
                        continue
                    if (report.exit_code == wire.ABANDONED_EXIT and index
                            and _swallowed(results.get(pending[index - 1].id))):
                        # The previous case swallowed its timeout and the worker gave up on
                        # it: nothing was lost here; its function's other cases would hang.
                        return self._skip_kind(pending[index - 1], pending[index:], results,
                                               "timed out")
                    rest = pending[index + 1:]
                    if report.stalled and check.id not in self.retried:
                        self.retried.add(check.id)
                        return [check, *rest]
                    results[check.id] = self._lost(check, report, hidden)
                    if not (report.timed_out or hidden):
                        return rest
                    # It hung, so its function's other cases would hang too; or a hidden case
                    # was lost, and the verdict of its kind is already decided (a fresh worker
                    # per case would cost seconds each).
                    how = "timed out" if report.timed_out else "ended the process"
                    return self._skip_kind(check, rest, results, how)
            return []

    @staticmethod
    def _skip_kind(lost: Check, rest: list[Check], results: dict[str, Outcome | Verdict],
                   how: str) -> list[Check]:
        """`rest` without the cases of `lost`'s kind, which are marked not run."""
        skipped = [c for c in rest if _same_kind(c, lost)]
        for later in skipped:
            results[later.id] = not_run(f"{lost.call.function} {how} on an earlier case")
        return [c for c in rest if c not in skipped]

    def _note(self, text: str, hidden: bool) -> None:
        """An exercise note; from a hidden worker only that something failed, never its text."""
        self.notes.append("the module failed to import in the hidden cases' worker" if hidden
                          else text)

    def _lost(self, check: Check, report: RunReport, hidden: bool) -> Verdict:
        """The verdict of the case a worker died in."""
        if report.stalled:
            lost = (f"It was still running after {self.case_timeout_s * WALL_FACTOR:g} s of wall "
                    "clock, twice (the second time on its own), and the grader stopped it")
        elif report.timed_out:
            lost = (f"The {self.exercise.name} exercise used up its {self.budget_s:g} s "
                    "during this call")
        else:
            lost = f"The process ended during this call ({_ended(report)})"
        status: Status = "timeout" if report.timed_out else "error"
        reason = Reason.TIMEOUT if report.timed_out else Reason.CRASHED
        if hidden:
            return Verdict(status, f"A hidden random case of {check.call.function}() failed: "
                           f"{'it took too long' if report.timed_out else 'the process ended'}.",
                           reason=reason)
        return Verdict(status, f"{check.call.function}: {lost}.{_tail(report.stderr)}",
                       reason=reason)

    def _fail_all(self, pending: Sequence[Check], results: dict[str, Outcome | Verdict],
                  verdict: Verdict, hidden: bool) -> None:
        self.import_failed = verdict
        for check in pending:
            results[check.id] = (Verdict(verdict.status, f"A hidden random case of "
                                         f"{check.call.function}() failed: the module did not "
                                         "import in its worker.", reason=verdict.reason)
                                 if hidden else verdict)

    def write_job(self, job: Path, checks: Sequence[Check]) -> None:
        """The job's files; the kit's copy is the launcher's (a warm job needs none)."""
        (job / "submission").mkdir()
        for module in self.modules.values():  # siblings too: a module may import another
            (job / "submission" / module.name).write_bytes(module.read_bytes())
        wire.write_job(job, wire.CheckJob(
            module=self.exercise.name, cases=tuple(check.call for check in checks),
            case_timeout_s=self.case_timeout_s, import_timeout_s=IMPORT_TIMEOUT_S,
            forbidden_imports=tuple(self.exercise.forbidden_imports),
            forbidden_calls=dict(self.exercise.forbidden_calls),
            audit=replace(self.audit, preload_tensorflow=self.exercise.uses_tensorflow)))


def train(spec: str, *, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
          epochs: int, seed: int, launcher: warm.Launcher, timeout_s: float,
          cache: Path | None = None) -> Outcome | Verdict:
    """The grader's side of the MNIST check, in a worker that runs no student code; with a
    `cache` (a batch's), once per distinct training (`autograder.grading.trained`)."""
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test}
    with trained.claimed(cache, spec, arrays, epochs, seed) as entry:
        stored = trained.load(entry)
        if stored is not None:
            return stored
        return _train(wire.TrainJob(spec, epochs, seed), arrays, launcher, timeout_s, entry)


def _train(request: wire.TrainJob, arrays: dict[str, np.ndarray], launcher: warm.Launcher,
           timeout_s: float, keep: Path | None = None) -> Outcome | Verdict:
    with launcher.job() as job:
        wire.write_job(job, request, arrays)
        report = launcher.run(job, Limits(wall_s=timeout_s, cpu_s=4 * 3600))
        try:
            outcome = wire.read_outcomes(job / "out").get("train")
        except wire.BadResult:
            status: Status = "timeout" if report.timed_out else "error"
            return Verdict(status, f"The grader's training run failed ({_ended(report)})."
                           f"{_tail(report.stderr)}",
                           reason=Reason.TIMEOUT if report.timed_out else Reason.CRASHED)
        if not outcome.raised:  # an error may be the machine's: not kept
            trained.store(keep, job / "out")
        return outcome


def _refusals(refused: Sequence[str]) -> str:
    shown = "; ".join(refused[:3])
    return shown + (f" (and {len(refused) - 3} more)" if len(refused) > 3 else "")


def refusal_verdict(outcome: Outcome) -> Verdict:
    """A call during which the audit hook refused something, or that reached a forbidden
    routine (`autograder.core.callguard`): a policy result naming it."""
    used = [r for r in outcome.refused if r.startswith(callguard.PREFIX)]
    if used:
        return Verdict("policy", f"Not graded: while this call ran, the code was {_refusals(used)}"
                       ". This exercise is about computing it yourself: use loops or array "
                       "arithmetic (slicing, sums, products).", reason=Reason.POLICY)
    return Verdict("policy", f"Not graded: during this call the code tried "
                   f"{_refusals(outcome.refused)}, which the sandbox refused while grading.",
                   reason=Reason.POLICY)


def _ended(report: RunReport) -> str:
    return f"signal {report.signal}" if report.signal else f"exit code {report.exit_code}"


def _tail(stderr: str, limit: int = 600) -> str:
    text = stderr.strip()
    return f"\nLast output: {text[-limit:]}" if text else ""
