"""The in-process test double: the `Sandbox` interface without a process, for fast unit tests
of the grading engine (like httpx's MockTransport beside its real transports)."""

from __future__ import annotations

import contextlib
import io
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from autograder.grading.sandbox.base import Limits, RunReport, Sandbox
from autograder.grading.sandbox.capture import Capture


class InProcessSandbox(Sandbox):
    """Runs a Python callable in this process: for fast unit tests of the engine.

    `target(argv, job_dir)` returns an exit code. Its stdout/stderr are captured (through
    `contextlib.redirect_*`, so only Python-level writes), SystemExit becomes its exit code and
    any other exception exit code 1 with the traceback on stderr. No limit is enforced, the
    working directory is not changed, and nothing is isolated.
    """

    def __init__(self, target: Callable[[Sequence[str], Path], int]) -> None:
        self._target = target

    @property
    def isolation(self) -> str:
        return "in-process test double (no isolation)"

    def run(self, argv: Sequence[str], *, job_dir: Path, limits: Limits) -> RunReport:
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        code: int
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                result = self._target(list(argv), Path(job_dir))
                code = 0 if result is None else int(result)
            except SystemExit as exc:
                code = _system_exit_code(exc)
            except Exception:
                traceback.print_exc()
                code = 1
        duration = time.monotonic() - started
        caps = []
        for name, buf in (("stdout", out), ("stderr", err)):
            cap = Capture(name, limits.output_bytes)
            cap.feed(buf.getvalue().encode("utf-8", errors="replace"))
            caps.append(cap)
        return RunReport(
            exit_code=code,
            signal=None,
            timed_out=False,
            stdout=caps[0].text(),
            stderr=caps[1].text(),
            truncated=any(c.dropped for c in caps),
            duration_s=duration,
            isolation=self.isolation,
        )


def _system_exit_code(exc: SystemExit) -> int:
    """What the interpreter would exit with: None -> 0, an int -> itself, else print it, 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1
