"""The real sandbox: a child process with rlimits, a scrubbed environment and a wall clock,
inside bubblewrap where it works. This module starts the child; `supervisor` watches it and
kills what it leaves behind."""

from __future__ import annotations

import dataclasses
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.grading.sandbox import users
from autograder.grading.sandbox.base import Limits, RunReport, Sandbox, SandboxUnavailable
from autograder.grading.sandbox.bwrap import (
    bwrap_flags,
    bwrap_status,
    cached_probe,
    interpreter_paths,
    mounts,
    resolve_hide,
)
from autograder.grading.sandbox.capture import READ_CHUNK, Capture
from autograder.grading.sandbox.environment import MIN_PATH, PROGRESS_FD_VAR, child_environment
from autograder.grading.sandbox.killing import boot_ticks
from autograder.grading.sandbox.rlimits import RLimit, make_preexec, rlimit_plan
from autograder.grading.sandbox.supervisor import Supervisor

# What AUTOGRADER_BWRAP says: "0" never use bwrap, "1" require it, unset or "auto" where it works.
BWRAP_VAR = "AUTOGRADER_BWRAP"
_PR_SET_CHILD_SUBREAPER = 36
# Threads count against RLIMIT_NPROC (TensorFlow starts dozens): the default for a sandbox uid.
_DEFAULT_PROCESSES = 256


def _bwrap_wanted() -> bool | None:
    value = os.environ.get(BWRAP_VAR, "auto").strip().lower()
    return {"0": False, "no": False, "never": False, "1": True, "yes": True}.get(value)


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux): whatever a run double-forks or detaches with
    setsid comes back to us instead of to init, so that it can be found, killed and reaped."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


class SubprocessSandbox(Sandbox):
    """A child process with rlimits, a scrubbed environment and a wall clock; inside bubblewrap
    when it works here (or when `use_bwrap=True`, which fails loudly when it does not).

    `hide`: the instructor's paths (solutions, hidden seeds, the output folder) the child must
    not see: bwrap replaces them with empty folders; without bwrap, a sandbox user can read
    them only where their permissions let everyone. `python`: the interpreter that runs the
    worker (default: this one); only used to keep its installation visible when a hidden path
    covers it. `unprivileged`: run the child as a dedicated sandbox uid (default: when this
    process is root and bwrap is not used); `strict_hide`: refuse to run when a sandbox user
    can still read a hidden path (for images such as Gradescope's, whose setup makes them
    unreadable). `use_bwrap=None` follows the `AUTOGRADER_BWRAP` variable.
    """

    def __init__(
        self,
        *,
        hide: Sequence[Path] = (),
        use_bwrap: bool | None = None,
        python: Path | None = None,
        unprivileged: bool | None = None,
        strict_hide: bool = False,
    ) -> None:
        self._hide = resolve_hide(hide)
        if use_bwrap is None:
            use_bwrap = _bwrap_wanted()
        ok, reason = bwrap_status()
        if use_bwrap and not ok:
            raise SandboxUnavailable(f"bwrap was required but {reason}")
        self._bwrap: str | None = None
        if use_bwrap is False:
            self._why_not = "bwrap not used: switched off"
        elif ok:
            self._bwrap = cached_probe().path
            self._why_not = ""
        else:
            self._why_not = f"bwrap unavailable: {reason}"
        root = os.geteuid() == 0
        if unprivileged is None:
            unprivileged = root and self._bwrap is None
        if unprivileged and not root:
            raise SandboxUnavailable("a sandbox user needs a grader running as root")
        python = Path(python) if python is not None else Path(sys.executable)
        self._keep = interpreter_paths(python)
        self._readable: tuple[Path, ...] = ()
        self._no_user = ""
        if unprivileged:
            self._no_user = _reach_interpreter(python, frozenset(self._keep))
            unprivileged = not self._no_user
        self._unprivileged = bool(unprivileged)
        if self._unprivileged:
            self._readable = tuple(p for p in self._hide if _user_may_read(p))
            if strict_hide and self._readable:
                raise SandboxUnavailable(
                    "the sandbox user can still read "
                    + ", ".join(map(str, self._readable))
                    + ": make them readable by root only (chmod -R go-rwx) before grading")
        elif strict_hide and self._hide and self._bwrap is None:
            raise SandboxUnavailable("hidden paths cannot be hidden: no bwrap and no sandbox user")
        self._subreaper = become_subreaper()

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two sandboxes interchangeable: a warm template started in one may serve
        jobs of the other (see autograder.grading.warm)."""
        return (self._hide, self._bwrap, self._unprivileged, tuple(sorted(self._keep)))

    @property
    def uses_bwrap(self) -> bool:
        return self._bwrap is not None

    @property
    def unprivileged(self) -> bool:
        return self._unprivileged

    @property
    def interpreter_paths(self) -> frozenset[Path]:
        """The interpreter's folders, kept visible (and readable) inside any hidden path."""
        return frozenset(self._keep)

    @property
    def isolation(self) -> str:
        reaper = "" if self._subreaper else ", no subreaper (strays may escape the sweep)"
        if self._bwrap is not None:
            hidden = (
                f"{len(self._hide)} instructor path(s) hidden" if self._hide else "nothing hidden"
            )
            return (
                "bubblewrap: no network, read-only root, writable job dir and private /tmp only, "
                f"own pid namespace, no capabilities, {hidden}; scrubbed environment{reaper}"
            )
        if self._unprivileged:
            line = (
                f"subprocess as an unprivileged sandbox user ({self._why_not}): own uid and "
                "process group, root-only files, the grader and other runs out of reach, "
                "processes of the uid killed and its files in /tmp removed after each run, "
                "scrubbed environment, shared network"
            )
            if self._readable:
                line += (f", {len(self._readable)} of {len(self._hide)} instructor path(s) "
                         "still readable by that user")
            elif self._hide:
                line += f", {len(self._hide)} instructor path(s) unreadable to that user"
            return line + reaper
        line = (
            f"subprocess only ({self._why_not}): own process group, scrubbed environment, "
            "no file-system or network isolation"
        )
        if self._hide:
            line += f", {len(self._hide)} instructor path(s) NOT hidden"
        if os.geteuid() == 0:
            line += ", runs as root"
        if self._no_user:
            line += f" (no sandbox user: {self._no_user})"
        return line + reaper

    def _job_parent(self) -> str | None:
        # The sandbox user must be able to reach its job folder: under a folder everyone may
        # traverse (a TMPDIR inside a private folder, like pytest's, would not do).
        return _traversable_tmp() if self._unprivileged else None

    # -- one run --------------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, job_dir: Path, limits: Limits,
            cancel_fd: int = -1) -> RunReport:
        """`cancel_fd`: a descriptor that becomes readable when the run must end at once (the
        warm templates' teardown); the report then says timed out."""
        argv = [str(a) for a in argv]
        if not argv:
            raise ValueError("argv is empty")
        job = Path(job_dir).resolve()
        if not job.is_dir():
            raise NotADirectoryError(f"job_dir is not a directory: {job_dir}")
        if not self._unprivileged:
            return self._run(argv, job, limits, None, cancel_fd)
        with users.sandbox_user() as user:  # its processes and /tmp files go when it ends
            try:
                return self._run(argv, job, limits, user, cancel_fd)
            finally:
                # Back to root only: the next run that gets this uid must not read this job.
                os.chown(job, 0, 0)
                os.chmod(job, 0o700)

    def _run(self, argv: list[str], job: Path, limits: Limits,
             user: users.SandboxUser | None, cancel_fd: int = -1) -> RunReport:
        started = time.monotonic()
        if user is not None and limits.processes is None:
            limits = dataclasses.replace(limits, processes=_DEFAULT_PROCESSES)
        plan, notes = rlimit_plan(limits, as_root=user is None and os.geteuid() == 0)
        if user is not None:
            notes.append(f"uid {user.uid}")

        # Found (and executable) as the child would find it: PATH, or relative to the job dir.
        program = argv[0] if os.path.isabs(argv[0]) or "/" not in argv[0] else str(job / argv[0])
        if shutil.which(program, path=MIN_PATH) is None:
            return self._report(
                started, limits, plan, notes, exit_code=127,
                stderr=f"sandbox: cannot start {argv[0]!r}: not found or not executable\n",
            )  # fmt: skip

        marker = secrets.token_hex(16)
        env = child_environment(job, marker)
        if user is not None:
            users.chown_for(user, job, job / ".home", job / ".tmp")
        progress_r, progress_w = os.pipe()
        env[PROGRESS_FD_VAR] = str(progress_w)
        info_r = info_w = -1
        cmd = argv
        child_fds: list[int] = [progress_w]
        if self._bwrap is not None:
            info_r, info_w = os.pipe()
            keep = self._keep
            if os.path.isabs(argv[0]):
                keep = keep | interpreter_paths(Path(argv[0]))
            binds, bwrap_fds = mounts(hide=self._hide, keep=keep, job=job)
            child_fds += [*bwrap_fds, info_w]
            cmd = [
                self._bwrap, *bwrap_flags(), *binds,
                "--chdir", str(job), "--info-fd", str(info_w), "--", *argv,
            ]  # fmt: skip
        note_r, note_w = os.pipe()
        ticks = boot_ticks()
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
                pass_fds=child_fds,
                close_fds=True,
                # As the sandbox user: set (with no supplementary groups) before preexec_fn.
                user=None if user is None else user.uid,
                group=None if user is None else user.gid,
                extra_groups=None if user is None else [],
                umask=-1 if user is None else 0o077,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            for fd in (note_r, note_w, info_r, progress_r, *child_fds):
                if fd >= 0:
                    os.close(fd)
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            return self._report(
                started, limits, plan, notes, exit_code=code,
                stderr=f"sandbox: cannot start {argv[0]!r}: {exc}\n",
            )  # fmt: skip
        os.close(note_w)
        for fd in child_fds:  # the child has its own copies now
            os.close(fd)
        # The child has exec'd by now (Popen waits for that), so its copy of note_w is closed.
        notes += _read_all_nonblocking(note_r).decode(errors="replace").splitlines()
        os.close(note_r)

        outcome = Supervisor(proc, limits, marker=marker, info_fd=info_r,
                             progress_fd=progress_r, started_ticks=ticks,
                             cancel_fd=cancel_fd).supervise()
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
            stalled=outcome.stalled,
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
        stalled: bool = False,
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
            stalled=stalled,
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


def _user_may_read(path: Path) -> bool:
    """Whether the sandbox user can read `path`; where the kernel could not be asked, assume
    it can (the result then says the path is NOT hidden rather than claim a protection)."""
    try:
        return users.can_read(path)
    except OSError:
        return True


@functools.lru_cache(maxsize=8)
def _reach_interpreter(python: Path, prefixes: frozenset[Path]) -> str:
    """Make sure the sandbox user can run `python` and read its installation (a pyenv under
    /root would stop it); "" when it can, else why not."""
    users.heal_narrowed()
    try:
        for path in sorted({python.resolve(), *prefixes}):
            users.grant_traversal(path)
        if not users.can_read(python.resolve()):
            return f"it cannot read the interpreter {python.resolve()}"
    except OSError as error:
        return f"cannot give it access to the interpreter: {error}"
    return ""


def _traversable_tmp() -> str:
    """The temp folder whose every ancestor others may traverse: TMPDIR if so, else /tmp."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        path = Path(candidate).resolve()
        if path.is_dir() and all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents)):
            return str(path)
    raise OSError("no temp folder that a sandbox user can reach")


def default_sandbox(*, hide: Sequence[Path] = (), strict_hide: bool = False) -> Sandbox:
    """The real sandbox: inside bwrap when it works here (or as `AUTOGRADER_BWRAP` says), as an
    unprivileged sandbox user when the grader is root without bwrap; `isolation` says which."""
    return SubprocessSandbox(hide=hide, use_bwrap=None, strict_hide=strict_hide)
