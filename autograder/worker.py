"""The sandboxed worker: `python -I -m autograder.worker JOB_DIR`.

It reads `JOB_DIR/request.json` and `inputs.npz`, and writes one outcome per case into
`JOB_DIR/out/`. Task "check" imports the student's module (forbidden imports blocked) and runs
the cases; task "train" runs no student code: it trains a model rebuilt from an architecture
the student's code described (see `autograder.probes`). The worker never decides pass or fail.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import numpy as np

from autograder import wire
from autograder.calls import Outcome, error_outcome, run_call

IMPORT_KEY = "import"
TRAIN_KEY = "train"


class CaseTimeout(BaseException):
    """A BaseException, so that a student's `except Exception` does not swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt Python code that runs past `seconds` (the parent's wall clock backs this up)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CaseTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timed_out(error: CaseTimeout) -> Outcome:
    return Outcome(error=f"Timeout: the call {error}", error_types=("Timeout",))


@contextmanager
def student_imports(folder: Path, forbidden: list[str]) -> Iterator[None]:
    """Let the student's modules be imported, forbidden packages blocked; put everything back
    afterwards (it matters when the worker runs in-process, as the test double does)."""
    from autograder.policy import import_blocker

    saved_path, saved_finders, saved_modules = list(sys.path), list(sys.meta_path), set(sys.modules)
    sys.path.insert(0, str(folder))
    sys.meta_path.insert(0, import_blocker(forbidden))
    try:
        yield
    finally:
        sys.path[:], sys.meta_path[:] = saved_path, saved_finders
        for name in set(sys.modules) - saved_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(folder)):
                del sys.modules[name]


def check(job: Path, request: dict, out: Path) -> None:
    with student_imports(job / "submission", list(request.get("forbidden_imports", ()))):
        _check(job, request, out)


def _check(job: Path, request: dict, out: Path) -> None:
    arrays = dict(np.load(job / "inputs.npz", allow_pickle=False))
    limit = float(request["case_timeout_s"])
    try:
        with time_limit(limit):
            module = importlib.import_module(request["module"])
    except CaseTimeout as error:
        wire.write_outcome(out, IMPORT_KEY, _timed_out(error))
        return
    except BaseException as error:  # SyntaxError, SystemExit, anything: a result, not a crash
        wire.write_outcome(out, IMPORT_KEY, error_outcome(error))
        return
    wire.write_outcome(out, IMPORT_KEY, Outcome(type_name="module"))
    for case in request["cases"]:
        call = wire.call_from_json(case, arrays)
        try:
            with time_limit(limit):
                outcome = run_call(module, call, train=False)
        except CaseTimeout as error:
            outcome = _timed_out(error)
        except BaseException as error:
            outcome = error_outcome(error)
        wire.write_outcome(out, str(case["index"]), outcome)


def train(job: Path, request: dict, out: Path) -> None:
    from autograder.probes import train_from_config

    arrays = np.load(job / "inputs.npz", allow_pickle=False)
    outcome = train_from_config(request["config"], x_train=arrays["x_train"],
                                y_train=arrays["y_train"], x_test=arrays["x_test"],
                                epochs=int(request["epochs"]), seed=int(request["seed"]))
    wire.write_outcome(out, TRAIN_KEY, outcome)


def main(argv: list[str]) -> int:
    job = Path(argv[1]).resolve()
    request = json.loads((job / "request.json").read_text())
    out = job / "out"
    out.mkdir(exist_ok=True)
    {"check": check, "train": train}[request["task"]](job, request, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
