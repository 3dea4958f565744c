"""The sandboxed worker: `python -I -c BOOT JOB_DIR`, on its own copy of the child's modules
(see `CHILD_MODULES`; the grader copies them into the job, so the kit itself stays hidden).

It reads `JOB_DIR/request.json` and `inputs.npz`, and writes one outcome per case into
`JOB_DIR/out/`. Task "check" installs the audit hook (`autograder.grading.child.audit`), imports the student's
module and runs the cases; task "train" runs no student code: it trains a model rebuilt from an
architecture the student's code described (see `autograder.core.probes`). The worker never decides
pass or fail.

After the import and after every case it writes a byte to the sandbox's progress pipe: the
grader kills a worker whose current case runs past its deadline, whatever the case does with
signals. A function that timed out once is not called again: its later cases are "not run".
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from types import FrameType

import numpy as np

from autograder.core import callguard
from autograder.core.calls import Outcome, error_outcome
from autograder.core.execute import run_call
from autograder.grading import wire

IMPORT_KEY = "import"
TRAIN_KEY = "train"
# What the child needs of the kit: the grader copies these into each job (and nothing else).
# The kit's files the job folder's copy holds, relative to the package: the worker reaches
# nothing else of the kit (tests/test_import_contract.py holds it to that).
CHILD_MODULES = ("__init__.py", "registry.py", "core/__init__.py", "core/calls.py", "core/execute.py",
                 "core/callguard.py", "core/probes.py", "core/modelspec.py", "core/tfquiet.py",
                 "grading/__init__.py", "grading/wire.py", "grading/child/__init__.py",
                 "grading/child/worker.py", "grading/child/audit.py",
                 "grading/child/template.py")
PROGRESS_FD_VAR = "AUTOGRADER_PROGRESS_FD"  # = autograder.grading.sandbox.environment.PROGRESS_FD_VAR


def no_refusals() -> tuple[str, ...]:
    """What refused nothing reports: the worker without its audit hook (in-process)."""
    return ()


def report_progress() -> None:
    """One byte to the sandbox's progress pipe (nothing when there is none: in-process)."""
    fd = os.environ.get(PROGRESS_FD_VAR)
    if fd and fd.isdigit():
        with suppress(OSError):
            os.write(int(fd), b".")


class CaseTimeout(BaseException):
    """A BaseException, so that a student's `except Exception` does not swallow it."""


# A call that swallows its CaseTimeout (`except BaseException` in a loop) gets this much more
# CPU time; then the worker records the case as timed out and exits with wire.ABANDONED_EXIT,
# and the grader carries on with the other cases in a fresh worker, without waiting for its
# wall clock. Only in a worker of its own (`_ABANDON`): never in the in-process test double.
SWALLOW_GRACE_S = 1.0
_ABANDON: list[Callable[[CaseTimeout], None]] = []


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt Python code that uses more than `seconds` of CPU time (the process's, all
    threads): a limit no machine load can change. A call that waits without computing is
    stopped by the parent's wall clock instead, at a generous multiple of this."""
    fired = False

    def expire(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        error = CaseTimeout(f"used more than {seconds:g} s of CPU time")
        if fired and _ABANDON:
            _ABANDON[0](error)  # it swallowed the first one: give up on this process
        fired = True
        signal.setitimer(signal.ITIMER_PROF, SWALLOW_GRACE_S)
        raise error

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _abandon_on_swallow(out: Path, key: Callable[[], str],
                        refusals: Callable[[], tuple[str, ...]]) -> None:
    """From now on, a swallowed timeout writes the current case's outcome and ends the worker."""
    def abandon(error: CaseTimeout) -> None:
        with suppress(BaseException):
            wire.write_outcome(out, key(), _with_refusals(_timed_out(error), refusals()))
        os._exit(wire.ABANDONED_EXIT)
    _ABANDON[:] = [abandon]


def _timed_out(error: CaseTimeout) -> Outcome:
    return Outcome(error=f"Timeout: the call {error}", error_types=("Timeout",))


@contextmanager
def student_imports(folder: Path) -> Iterator[None]:
    """Let the student's modules be imported; put everything back afterwards (it matters when
    the worker runs in-process, as the test double does)."""
    saved_path, saved_finders, saved_modules = list(sys.path), list(sys.meta_path), set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path[:], sys.meta_path[:] = saved_path, saved_finders
        for name in set(sys.modules) - saved_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(folder)):
                del sys.modules[name]


def not_run(function: str) -> Outcome:
    """The outcome of a case whose function timed out on an earlier case (here or in an earlier
    worker that the grader had to stop)."""
    return Outcome(error=f"NotRun: not run: {function} timed out on an earlier case",
                   error_types=("NotRun",))


def check(job: Path, request: wire.CheckJob, arrays: dict[str, np.ndarray], out: Path,
          refusals: Callable[[], tuple[str, ...]] = no_refusals, *,
          own_process: bool = False) -> None:
    with student_imports(job / "submission"):
        _check(request, out, refusals, own_process)


def _with_refusals(outcome: Outcome, refused: tuple[str, ...]) -> Outcome:
    return replace(outcome, refused=refused) if refused else outcome


def _check(request: wire.CheckJob, out: Path, refusals: Callable[[], tuple[str, ...]],
           own_process: bool) -> None:
    limit = request.case_timeout_s
    current = [IMPORT_KEY]  # the outcome a swallowed timeout is written to
    if own_process:
        _abandon_on_swallow(out, lambda: current[0], refusals)
    try:
        with time_limit(request.import_timeout_s):
            module = importlib.import_module(request.module)
    except CaseTimeout as error:
        wire.write_outcome(out, IMPORT_KEY, _with_refusals(_timed_out(error), refusals()))
        return
    except BaseException as error:  # SyntaxError, SystemExit, anything: a result, not a crash
        wire.write_outcome(out, IMPORT_KEY, _with_refusals(error_outcome(error), refusals()))
        return
    wire.write_outcome(out, IMPORT_KEY, _with_refusals(Outcome(type_name="module"), refusals()))
    report_progress()
    timed_out: set[str] = set()
    forbidden = request.forbidden_calls
    for index, call in enumerate(request.cases):
        current[0] = str(index)
        used: list[str] = []  # forbidden routines reached, kept when the call times out too
        if call.function in timed_out:
            outcome = not_run(call.function)
        else:
            try:
                with time_limit(limit), callguard.guarding(
                        call.function, forbidden.get(call.function, ())) as used:
                    outcome = run_call(module, call, train=False)
            except CaseTimeout as error:
                outcome = _timed_out(error)
            except BaseException as error:
                outcome = error_outcome(error)
            if "Timeout" in outcome.error_types:
                timed_out.add(call.function)
        refused = (*outcome.refused, *used, *refusals())
        wire.write_outcome(out, str(index), _with_refusals(outcome, refused))
        report_progress()


def train(request: wire.TrainJob, arrays: dict[str, np.ndarray], out: Path) -> None:
    from autograder.core.probes import train_from_spec

    outcome = train_from_spec(request.spec, x_train=arrays["x_train"], y_train=arrays["y_train"],
                              x_test=arrays["x_test"], epochs=request.epochs, seed=request.seed)
    wire.write_outcome(out, TRAIN_KEY, outcome)


def main(argv: list[str], *, audit: bool = False) -> int:
    """Run the job in `argv[1]`. `audit`: install the audit hook first (only in a process of its
    own: the hook cannot be removed, so the in-process test double passes False)."""
    job = Path(argv[1]).resolve()
    request, arrays = wire.read_job(job)
    out = job / "out"
    out.mkdir(exist_ok=True)
    try:
        _run(job, request, arrays, out, audit)
    finally:
        wire.close_outcomes()
    return 0


def _run(job: Path, request: wire.Job, arrays: dict[str, np.ndarray], out: Path,
         audit: bool) -> None:
    if isinstance(request, wire.TrainJob):
        train(request, arrays, out)
        return
    rules = request.audit
    if rules.preload_tensorflow:
        from autograder.core.tfquiet import tensorflow

        tensorflow()  # trusted code, loaded before the hook so it may use what it needs
    refusals: Callable[[], tuple[str, ...]] = no_refusals
    if audit and rules.enabled:  # off only for `autograder doctor`'s control run
        from autograder.grading.child import audit as audit_hook

        # The kit this worker runs from stays readable (tracebacks quote it): inside the job
        # for a cold worker, the warm template's spool for a forked one.
        kit = str(Path(__file__).resolve().parents[3])
        refusals = audit_hook.install(
            job=str(job), hidden=rules.hidden, keep=(*rules.keep, kit),
            forbidden_imports=request.forbidden_imports, allow_native=rules.preload_tensorflow,
            profilers=callguard.setter_codes())
    check(job, request, arrays, out, refusals, own_process=audit)


def boot(argv: list[str]) -> int:
    """The sandboxed process's entry point: `main` with the audit hook."""
    return main(argv, audit=True)


if __name__ == "__main__":
    sys.exit(boot(sys.argv))
