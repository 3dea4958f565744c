"""The sandbox interface: the limits a run is given, the report it gives back, and the ABC that
both sandboxes (the real one and the in-process test double) implement."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


class SandboxUnavailable(RuntimeError):
    """The isolation that was asked for explicitly cannot be had on this machine."""


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Every process of the run gets the rlimits (they are inherited)."""

    wall_s: float = 60.0  # enforced by the parent: kill the whole process tree
    cpu_s: int = 120  # RLIMIT_CPU: SIGXCPU at cpu_s, SIGKILL a second later
    memory_bytes: int = 4 * 2**30  # RLIMIT_AS: enough for TensorFlow (peak RSS ≈ 650 MB)
    file_bytes: int = 64 * 2**20  # RLIMIT_FSIZE: largest file the child may write
    output_bytes: int = 64 * 1024  # stdout/stderr kept per stream; the rest is dropped
    # RLIMIT_NPROC counts every process of the *user*, not of the run, and root is exempt:
    # off by default, skipped (and said so) when running as root.
    processes: int | None = None
    # Enforced by the parent: kill the run when the child has reported no progress (a byte on
    # the fd named by PROGRESS_FD_VAR) for this long. The worker reports each case's start and
    # end, so this is the deadline of one case, whatever the child does with signals.
    idle_s: float | None = None
    # Enforced by the parent: the child's first progress report must come within start_s.
    start_s: float | None = None

    def __post_init__(self) -> None:
        if not self.wall_s > 0:
            raise ValueError(f"wall_s must be > 0, got {self.wall_s}")
        for name in ("cpu_s", "memory_bytes", "file_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.output_bytes < 0:
            raise ValueError(f"output_bytes must be >= 0, got {self.output_bytes}")
        for name in ("idle_s", "start_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        if self.processes is not None and self.processes <= 0:
            raise ValueError(f"processes must be > 0 or None, got {self.processes}")


@dataclass(frozen=True)
class RunReport:
    """What happened to one run. `exit_code` is None when a signal ended the process (the
    wall-clock kill included); `signal` is then that signal."""

    exit_code: int | None
    signal: int | None
    timed_out: bool  # the wall clock or the idle deadline ended it
    stdout: str  # decoded with errors="replace", capped at Limits.output_bytes (+ a marker)
    stderr: str
    truncated: bool  # some output was dropped (the marker at the end says how much)
    duration_s: float
    isolation: str  # one human line: what isolated this run, the rlimits, what was missing
    stalled: bool = False  # ended by a progress deadline (Limits.start_s or idle_s), not wall_s

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Sandbox(ABC):
    """Runs one command on a job directory with limits, and reports what happened."""

    @abstractmethod
    def run(self, argv: Sequence[str], *, job_dir: Path, limits: Limits) -> RunReport:
        """Run `argv` (the full command line) with `job_dir` as its working directory.

        Never raises because of what the child does; raises only for caller errors (an empty
        argv, a job_dir that is not a directory).
        """

    @property
    @abstractmethod
    def isolation(self) -> str:
        """One human line saying what this sandbox isolates (without the per-run rlimits)."""

    @contextlib.contextmanager
    def job(self) -> Iterator[Path]:
        """A fresh, empty job folder the child can use, removed with everything in it when the
        block ends. A sandbox that runs the child as another user places and owns it so that
        this user, and only this user, can reach it (see `_job_parent`)."""
        folder = Path(tempfile.mkdtemp(prefix="autograder-job-", dir=self._job_parent()))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _job_parent(self) -> str | None:
        """Where job folders go (None: the temp folder)."""
        return None
