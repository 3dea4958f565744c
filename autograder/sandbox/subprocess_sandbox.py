"""The real sandbox: a child process with rlimits, a scrubbed environment and a wall clock,
inside bubblewrap where it works. This module starts the child; `supervisor` watches it and
kills what it leaves behind."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox.base import Limits, RunReport, Sandbox, SandboxUnavailable
from autograder.sandbox.bwrap import (
    bwrap_flags,
    bwrap_status,
    cached_probe,
    interpreter_paths,
    mounts,
    resolve_hide,
)
from autograder.sandbox.capture import READ_CHUNK, Capture
from autograder.sandbox.environment import MIN_PATH, child_environment
from autograder.sandbox.rlimits import RLimit, make_preexec, rlimit_plan
from autograder.sandbox.supervisor import Supervisor

# The `autograder` package (this module's grandparent directory): the worker imports it, so it
# stays visible inside bwrap even when a hidden path covers it.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class SubprocessSandbox(Sandbox):
    """A child process with rlimits, a scrubbed environment and a wall clock; inside bubblewrap
    when it works here (or when `use_bwrap=True`, which fails loudly when it does not).

    `hide`: the instructor's paths (solutions, hidden seeds, the output folder) the child must
    not see; needs bwrap. `python`: the interpreter that runs the worker (default: this one);
    only used to keep its installation visible when a hidden path covers it.
    """

    def __init__(
        self,
        *,
        hide: Sequence[Path] = (),
        use_bwrap: bool | None = None,
        python: Path | None = None,
    ) -> None:
        self._hide = resolve_hide(hide)
        ok, reason = bwrap_status()
        if use_bwrap and not ok:
            raise SandboxUnavailable(f"use_bwrap=True but {reason}")
        self._bwrap: str | None = None
        if use_bwrap is False:
            self._why_not = "bwrap not used: use_bwrap=False"
        elif ok:
            self._bwrap = cached_probe().path
            self._why_not = ""
        else:
            self._why_not = f"bwrap unavailable: {reason}"
        python = Path(python) if python is not None else Path(sys.executable)
        self._keep = interpreter_paths(python) | {_PACKAGE_DIR}

    @property
    def uses_bwrap(self) -> bool:
        return self._bwrap is not None

    @property
    def isolation(self) -> str:
        if self._bwrap is not None:
            hidden = (
                f"{len(self._hide)} instructor path(s) hidden" if self._hide else "nothing hidden"
            )
            return (
                "bubblewrap: no network, read-only root, writable job dir and private /tmp only, "
                f"own pid namespace, no capabilities, {hidden}; scrubbed environment"
            )
        line = (
            f"subprocess only ({self._why_not}): own process group, scrubbed environment, "
            "no file-system or network isolation"
        )
        if self._hide:
            line += f", {len(self._hide)} instructor path(s) NOT hidden"
        if os.geteuid() == 0:
            line += ", runs as root"
        return line

    # -- one run --------------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, job_dir: Path, limits: Limits) -> RunReport:
        argv = [str(a) for a in argv]
        if not argv:
            raise ValueError("argv is empty")
        job = Path(job_dir).resolve()
        if not job.is_dir():
            raise NotADirectoryError(f"job_dir is not a directory: {job_dir}")
        started = time.monotonic()
        plan, notes = rlimit_plan(limits)

        # Found (and executable) as the child would find it: PATH, or relative to the job dir.
        program = argv[0] if os.path.isabs(argv[0]) or "/" not in argv[0] else str(job / argv[0])
        if shutil.which(program, path=MIN_PATH) is None:
            return self._report(
                started, limits, plan, notes, exit_code=127,
                stderr=f"sandbox: cannot start {argv[0]!r}: not found or not executable\n",
            )  # fmt: skip

        marker = secrets.token_hex(16)
        env = child_environment(job, marker)
        info_r = info_w = -1
        cmd = argv
        bwrap_fds: list[int] = []
        if self._bwrap is not None:
            info_r, info_w = os.pipe()
            keep = self._keep
            if os.path.isabs(argv[0]):
                keep = keep | interpreter_paths(Path(argv[0]))
            binds, bwrap_fds = mounts(hide=self._hide, keep=keep, job=job)
            bwrap_fds.append(info_w)
            cmd = [
                self._bwrap, *bwrap_flags(), *binds,
                "--chdir", str(job), "--info-fd", str(info_w), "--", *argv,
            ]  # fmt: skip
        note_r, note_w = os.pipe()
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=job,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # own session and process group: one killpg for all
                preexec_fn=make_preexec(plan, note_w),
                pass_fds=bwrap_fds,
                close_fds=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            for fd in (note_r, note_w, info_r, *bwrap_fds):
                if fd >= 0:
                    os.close(fd)
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return self._report(
                started, limits, plan, notes, exit_code=code,
                stderr=f"sandbox: cannot start {argv[0]!r}: {exc}\n",
            )  # fmt: skip
        os.close(note_w)
        for fd in bwrap_fds:  # bwrap has its own copies now
            os.close(fd)
        # The child has exec'd by now (Popen waits for that), so its copy of note_w is closed.
        notes += _read_all_nonblocking(note_r).decode(errors="replace").splitlines()
        os.close(note_r)

        outcome = Supervisor(proc, limits, marker=marker, info_fd=info_r).supervise()
        rc = proc.returncode
        exit_code: int | None = rc
        sig: int | None = None
        if outcome.timed_out:
            exit_code, sig = None, int(signal.SIGKILL)
        elif rc < 0:
            exit_code, sig = None, -rc
        elif self._bwrap is not None and 128 < rc < 128 + signal.NSIG:
            # bwrap reports a child killed by signal N as exit status 128 + N. (A child that
            # really exits with 129..192 under bwrap is read as a signal: our worker does not.)
            exit_code, sig = None, rc - 128
        return self._report(
            started, limits, plan, notes, exit_code=exit_code, sig=sig,
            timed_out=outcome.timed_out, stdout=outcome.stdout, stderr=outcome.stderr,
        )  # fmt: skip

    def _report(
        self,
        started: float,
        limits: Limits,
        plan: list[RLimit],
        notes: list[str],
        *,
        exit_code: int | None,
        sig: int | None = None,
        timed_out: bool = False,
        stdout: Capture | None = None,
        stderr: Capture | str = "",
    ) -> RunReport:
        rl = ", ".join(f"{r.name} {r.shown}" for r in plan if r.name != "CORE")
        line = f"{self.isolation}; rlimits: {rl or 'none'}; wall {limits.wall_s:g} s"
        if notes:
            line += "; " + "; ".join(notes)
        out = stdout.text() if stdout is not None else ""
        err = stderr.text() if isinstance(stderr, Capture) else stderr
        truncated = any(isinstance(c, Capture) and c.dropped > 0 for c in (stdout, stderr))
        return RunReport(
            exit_code=exit_code,
            signal=sig,
            timed_out=timed_out,
            stdout=out,
            stderr=err,
            truncated=truncated,
            duration_s=time.monotonic() - started,
            isolation=line,
        )


def _read_all_nonblocking(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def default_sandbox(*, hide: Sequence[Path] = ()) -> Sandbox:
    """The real sandbox, inside bwrap when it works here (its `isolation` says which)."""
    return SubprocessSandbox(hide=hide, use_bwrap=None)
