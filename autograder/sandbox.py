"""Run one untrusted command (the grader's worker) on a job directory, with limits.

The sandbox starts a process, limits it, waits for it, kills everything it left behind and
reports what happened. It never interprets results: the caller reads the files the worker wrote
into the job directory (see the trust boundary in DESIGN.md).

    parent (grader)                                  child
    ───────────────                                  ─────
    SubprocessSandbox.run(argv, job_dir, limits)
      ├─ scrubbed env: PATH, HOME/TMPDIR/MPLCONFIGDIR -> job_dir/.home, job_dir/.tmp, ...
      ├─ Popen(start_new_session=True, cwd=job_dir, stdin=/dev/null)
      │    preexec_fn: setrlimit AS, CPU, FSIZE, CORE=0 (NPROC on request)
      │    └─ [bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all
      │              --die-with-parent --new-session --cap-drop ALL
      │              --tmpfs HIDDEN ... --ro-bind KEEP KEEP ... --bind JOB JOB --chdir JOB --]
      │              argv ...  (python -I -m autograder.worker ...)
      ├─ one select loop: stdout/stderr kept up to output_bytes each, the rest read and dropped;
      │    the child's exit seen through a pidfd; the wall clock checked on every wake-up
      ├─ on timeout, and after a normal exit too: SIGKILL the process group; with bwrap, SIGKILL
      │    the pid namespace's init (the kernel then kills every process in the namespace);
      │    without bwrap, sweep /proc for strays of this run (same session or process group, or
      │    this run's marker in their environment) and wait until they are dead
      └─ RunReport(exit code or signal, timed_out, capped output, duration, isolation line)

Layers, and what each does not do:

* rlimits bound one process each (RLIMIT_CPU is per process, RLIMIT_AS is address space, not
  resident memory); where one cannot be set it is named in `RunReport.isolation`.
* The wall clock is enforced by the parent, so a child that sleeps or blocks is also stopped.
* bubblewrap, where `bwrap_status()` says it works: no network (own network namespace), a
  read-only view of the whole file system except the job dir and a private /tmp, an own pid
  namespace, all capabilities dropped, and the instructor's paths (`hide`) replaced by empty
  directories. Everything else the grader's user can read stays readable: hide what matters.
  The interpreter, its virtual environment and the `autograder` package are bound back
  read-only when a hidden path (or /tmp) covers them, so the worker still starts.
* When the grader runs as root, bwrap would leave the child root with full capabilities in its
  mount namespace (it could remount / read-write) and able to write /proc/sys; hence
  `--cap-drop ALL` and read-only binds over /proc/sys and friends.
* Without bwrap ("subprocess only"), the child has the grader user's rights on files and
  network. Killing is best effort: a stray that left the session *and* replaced its environment
  (or whose /proc entry we cannot read) survives. Use bwrap (or a container) for real isolation.

`preexec_fn` is documented as unsafe in a process with threads (a lock held at fork time can
deadlock the child before exec). The function used here only calls `resource.setrlimit` and
`os.write`; run sandboxes from one thread per process, or from processes (Dask workers), to stay
clear of it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import json
import os
import resource
import secrets
import select
import selectors
import shutil
import signal
import subprocess
import sys
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "InProcessSandbox",
    "Limits",
    "RunReport",
    "Sandbox",
    "SandboxUnavailable",
    "SubprocessSandbox",
    "bwrap_status",
    "default_sandbox",
]

# The whole environment the child sees (plus HOME, TMPDIR, MPLCONFIGDIR, PWD and the run
# marker, which depend on the run). Nothing is copied from the parent's environment.
_MIN_PATH = "/usr/local/bin:/usr/bin:/bin"
_FIXED_ENV = {
    "PATH": _MIN_PATH,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONNOUSERSITE": "1",
    "MPLBACKEND": "Agg",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # Several sandboxes run side by side in a batch: keep each one to a core or two.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "2",
    "TF_NUM_INTEROP_THREADS": "2",
}
# Every process of one run inherits this variable with a fresh random value; without bwrap it
# is how strays that left the process group and the session are found again in /proc.
MARKER_VAR = "AUTOGRADER_SANDBOX_RUN"
ENV_KEYS = frozenset({*_FIXED_ENV, "HOME", "TMPDIR", "MPLCONFIGDIR", "PWD", MARKER_VAR})

# The flags of DESIGN.md; --cap-drop ALL matters when the grader runs as root (see above).
_BWRAP_FLAGS = (
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--tmpfs", "/tmp",
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop", "ALL",
)  # fmt: skip
# Writable for uid 0 even without capabilities (kernel.core_pattern is an escape); bwrap covers
# /proc/irq and /proc/bus itself. Bound read-only from the host only when running as root.
_ROOT_PROC_COVER = ("/proc/sys", "/proc/sysrq-trigger", "/proc/fs")

_READ_CHUNK = 65536
_DRAIN_GRACE_S = 2.0  # after the child is gone, how long to wait for EOF on its pipes
_REAP_GRACE_S = 5.0  # how long to wait for a SIGKILLed process to be gone


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

    def __post_init__(self) -> None:
        if not self.wall_s > 0:
            raise ValueError(f"wall_s must be > 0, got {self.wall_s}")
        for name in ("cpu_s", "memory_bytes", "file_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.output_bytes < 0:
            raise ValueError(f"output_bytes must be >= 0, got {self.output_bytes}")
        if self.processes is not None and self.processes <= 0:
            raise ValueError(f"processes must be > 0 or None, got {self.processes}")


@dataclass(frozen=True)
class RunReport:
    """What happened to one run. `exit_code` is None when a signal ended the process (the
    wall-clock kill included); `signal` is then that signal."""

    exit_code: int | None
    signal: int | None
    timed_out: bool
    stdout: str  # decoded with errors="replace", capped at Limits.output_bytes (+ a marker)
    stderr: str
    truncated: bool  # some output was dropped (the marker at the end says how much)
    duration_s: float
    isolation: str  # one human line: what isolated this run, the rlimits, what was missing

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


# ---------------------------------------------------------------------------------------------
# bwrap probe


@dataclass(frozen=True)
class _Probe:
    ok: bool
    reason: str
    path: str | None


def _bwrap_flags() -> list[str]:
    """The fixed part of the bwrap command line: the same for the probe and for every run."""
    flags = list(_BWRAP_FLAGS)
    if os.geteuid() == 0:
        for path in _ROOT_PROC_COVER:
            if os.path.exists(path):
                flags += ["--ro-bind", path, path]
    return flags


def _probe_bwrap(bwrap: str | None) -> _Probe:
    """Can `bwrap` run `true` here with the flags we use? And if not, why not."""
    if bwrap is None:
        return _Probe(False, "bwrap not found on PATH (Debian package bubblewrap)", None)
    true = shutil.which("true", path=_MIN_PATH) or "/bin/true"
    try:
        done = subprocess.run(
            [bwrap, *_bwrap_flags(), "--chdir", "/", "--", true],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return _Probe(False, f"{bwrap} could not be run: {exc}", bwrap)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {done.returncode}"
        # The usual cause: no unprivileged user namespaces (kernel.unprivileged_userns_clone=0,
        # an AppArmor userns restriction, or a container without CAP_SYS_ADMIN).
        return _Probe(False, f"{bwrap} fails its probe: {why}", bwrap)
    return _Probe(True, f"{bwrap} works", bwrap)


@functools.lru_cache(maxsize=1)
def _cached_probe() -> _Probe:
    return _probe_bwrap(shutil.which("bwrap"))


def bwrap_status() -> tuple[bool, str]:
    """(works, why): whether bwrap runs `true` here with our flags. Probed once per process."""
    probe = _cached_probe()
    return probe.ok, probe.reason


# ---------------------------------------------------------------------------------------------
# helpers shared by the real sandbox


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    return f"{n} B"


@dataclass(frozen=True)
class _RLimit:
    name: str
    resource: int
    soft: int
    hard: int
    shown: str  # how the isolation line shows it


def _rlimit_plan(limits: Limits) -> tuple[list[_RLimit], list[str]]:
    """What to set in the child, worked out in the parent; and notes on what was not possible."""
    notes: list[str] = []
    wanted: list[tuple[str, str, int, int, str]] = [
        ("AS", "RLIMIT_AS", limits.memory_bytes, limits.memory_bytes,
         _fmt_bytes(limits.memory_bytes)),
        # A soft limit below the hard one: SIGXCPU first (a nameable end), SIGKILL 1 s later.
        ("CPU", "RLIMIT_CPU", limits.cpu_s, limits.cpu_s + 1, f"{limits.cpu_s} s"),
        ("FSIZE", "RLIMIT_FSIZE", limits.file_bytes, limits.file_bytes,
         _fmt_bytes(limits.file_bytes)),
        ("CORE", "RLIMIT_CORE", 0, 0, "0"),
    ]  # fmt: skip
    if limits.processes is not None:
        if os.geteuid() == 0:
            notes.append("NPROC not set: root is exempt from RLIMIT_NPROC")
        else:
            n = limits.processes
            wanted.append(("NPROC", "RLIMIT_NPROC", n, n, f"{n} (per user)"))
    plan: list[_RLimit] = []
    for name, attr, soft, hard, shown in wanted:
        res = getattr(resource, attr, None)
        if res is None:
            notes.append(f"{name} not set: {attr} does not exist on this platform")
            continue
        try:
            _, cur_hard = resource.getrlimit(res)
        except (OSError, ValueError) as exc:
            notes.append(f"{name} not set: {exc}")
            continue
        # An unprivileged process can only lower a hard limit: keep to the one we were given.
        if cur_hard != resource.RLIM_INFINITY and hard > cur_hard:
            hard = cur_hard
            soft = min(soft, hard)
            shown = f"{shown} (capped by the hard limit {cur_hard})"
        plan.append(_RLimit(name, res, soft, hard, shown))
    return plan, notes


_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up before fork (Linux only)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _make_preexec(plan: list[_RLimit], report_fd: int) -> Callable[[], None]:
    """The function run in the child between fork and exec: set the rlimits, and write the
    name of any that failed to `report_fd` (the parent reads it back) instead of failing."""
    items = [(r.name, r.resource, r.soft, r.hard) for r in plan]
    prctl = _prctl()

    def apply() -> None:
        # If the grader itself is killed, take the child (bwrap, or the worker) with it:
        # bwrap's --die-with-parent guards only the processes inside it.
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        for name, res, soft, hard in items:
            try:
                resource.setrlimit(res, (soft, hard))
            except (OSError, ValueError) as exc:
                with contextlib.suppress(OSError):
                    os.write(report_fd, f"{name} not set: {exc}\n".encode())

    return apply


def _read_all_nonblocking(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux >= 5.3), or None where there is none (then we poll)."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        fd: int = opener(pid)
    except OSError:
        return None
    return fd


def _alive(pid: int) -> bool:
    """Running or stopped, not a zombie, as far as /proc (or kill 0) can tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        state = stat[stat.rindex(b")") + 2 :].split()[0]
    except (ValueError, IndexError):
        return False
    return state not in (b"Z", b"X", b"x")


def _wait_dead(pid: int, pidfd: int | None, deadline: float) -> None:
    """Wait (up to `deadline`) until `pid` has exited: a pidfd turns readable at exit."""
    if pidfd is not None:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while (left := deadline - time.monotonic()) > 0:
            if poller.poll(left * 1000):
                return
        return
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.005)


def _kill(pid: int, pidfd: int | None) -> None:
    with contextlib.suppress(OSError):
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def _strays(leader: int, marker: bytes) -> Iterator[int]:
    """Live processes of one run, found in /proc: in the leader's session or process group, or
    carrying the run's marker in their environment (those that called setsid)."""
    me = os.getpid()
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) in (me, leader):
            continue
        pid = int(entry.name)
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
            fields = stat[stat.rindex(b")") + 2 :].split()
            state, pgrp, session = fields[0], int(fields[2]), int(fields[3])
        except (OSError, ValueError, IndexError):
            continue
        if state in (b"Z", b"X", b"x"):
            continue
        if leader in (pgrp, session):
            yield pid
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue  # another user's process: not ours to kill anyway
        if marker in environ.split(b"\0"):
            yield pid


def _sweep(leader: int, marker: bytes) -> None:
    """Without bwrap: kill every stray of the run and wait until they are gone. A few rounds,
    because a stray may fork while we look."""
    if not os.path.isdir("/proc"):
        return
    for _round in range(5):
        victims = [(pid, _pidfd(pid)) for pid in _strays(leader, marker)]
        if not victims:
            return
        for pid, fd in victims:
            _kill(pid, fd)
        deadline = time.monotonic() + _REAP_GRACE_S
        for pid, fd in victims:
            _wait_dead(pid, fd, deadline)
            if fd is not None:
                os.close(fd)


class _Capture:
    """Keeps the first `cap` bytes of a stream, counts the rest."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = max(self.cap - len(self.kept), 0)
        self.kept += data[:room]
        self.dropped += max(len(data) - room, 0)

    def text(self) -> str:
        out = bytes(self.kept).decode("utf-8", errors="replace")
        if self.dropped:
            out += (
                f"\n[sandbox: {self.dropped} more bytes of {self.name} dropped after the first "
                f"{self.cap}]\n"
            )
        return out


def _resolve_hide(paths: Sequence[Path]) -> tuple[Path, ...]:
    out = []
    for p in paths:
        p = Path(p)
        if not p.is_absolute():
            raise ValueError(f"hide paths must be absolute, got {p}")
        r = p.resolve()
        if r == Path("/"):
            raise ValueError("cannot hide the root directory")
        out.append(r)
    return tuple(dict.fromkeys(out))


def _interpreter_paths(python: Path) -> set[Path]:
    """What must stay visible for `python` to start: its venv and its installation prefix."""
    p = Path(python).absolute()
    paths: set[Path] = set()
    if (p.parent.parent / "pyvenv.cfg").is_file():
        paths.add(p.parent.parent.resolve())
    real = p.resolve()
    paths.add(real.parent.parent)
    if p == Path(sys.executable).absolute() or real == Path(sys.executable).resolve():
        for prefix in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
            paths.add(Path(prefix).resolve())
    return {x for x in paths if x != Path("/")}


def _under(path: Path, top: Path) -> bool:
    return path == top or top in path.parents


def _mounts(*, hide: Sequence[Path], keep: set[Path], job: Path) -> tuple[list[str], list[int]]:
    """The per-run bwrap mounts, and the fds they read (the caller passes them to bwrap, then
    closes them). Deeper paths are mounted later, so the most specific rule wins: a hidden dir
    inside a kept one stays hidden, a kept dir (or the job dir) inside a hidden one comes back."""
    fds: list[int] = []
    covers = [Path("/tmp"), *hide]  # /tmp is a fresh tmpfs: a venv under it must come back too
    ops: list[tuple[int, int, list[str]]] = []
    for h in hide:
        if h.is_dir():
            ops.append((len(h.parts), 0, ["--tmpfs", str(h)]))
        elif h.exists():
            # An empty read-only file in its place: bwrap copies it from a pipe already at EOF.
            empty_r, empty_w = os.pipe()
            os.close(empty_w)
            fds.append(empty_r)
            ops.append((len(h.parts), 0, ["--ro-bind-data", str(empty_r), str(h)]))
        # a path that does not exist has nothing to hide
    for k in sorted(keep):
        if k.exists() and any(_under(k, c) for c in covers):
            ops.append((len(k.parts), 1, ["--ro-bind", str(k), str(k)]))
    ops.append((len(job.parts), 2, ["--bind", str(job), str(job)]))
    ops.sort(key=lambda op: (op[0], op[1]))
    return [arg for _, _, args in ops for arg in args], fds


# ---------------------------------------------------------------------------------------------
# the real sandbox


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
        self._hide = _resolve_hide(hide)
        ok, reason = bwrap_status()
        if use_bwrap and not ok:
            raise SandboxUnavailable(f"use_bwrap=True but {reason}")
        self._bwrap: str | None = None
        if use_bwrap is False:
            self._why_not = "bwrap not used: use_bwrap=False"
        elif ok:
            self._bwrap = _cached_probe().path
            self._why_not = ""
        else:
            self._why_not = f"bwrap unavailable: {reason}"
        self._python = Path(python) if python is not None else Path(sys.executable)
        self._keep = _interpreter_paths(self._python) | {Path(__file__).resolve().parent}

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
        plan, notes = _rlimit_plan(limits)

        # Found (and executable) as the child would find it: PATH, or relative to the job dir.
        program = argv[0] if os.path.isabs(argv[0]) or "/" not in argv[0] else str(job / argv[0])
        if shutil.which(program, path=_MIN_PATH) is None:
            return self._report(
                started, limits, plan, notes, exit_code=127,
                stderr=f"sandbox: cannot start {argv[0]!r}: not found or not executable\n",
            )  # fmt: skip

        marker = secrets.token_hex(16)
        env = self._environment(job, marker)
        info_r = info_w = -1
        cmd = argv
        bwrap_fds: list[int] = []
        if self._bwrap is not None:
            info_r, info_w = os.pipe()
            keep = self._keep
            if os.path.isabs(argv[0]):
                keep = keep | _interpreter_paths(Path(argv[0]))
            mounts, bwrap_fds = _mounts(hide=self._hide, keep=keep, job=job)
            bwrap_fds.append(info_w)
            cmd = [
                self._bwrap, *_bwrap_flags(), *mounts,
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
                preexec_fn=_make_preexec(plan, note_w),
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

        outcome = _Supervisor(proc, limits, marker=marker, info_fd=info_r).supervise()
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

    def _environment(self, job: Path, marker: str) -> dict[str, str]:
        home, tmp = job / ".home", job / ".tmp"
        for d in (home, tmp):
            if d.is_symlink() or (d.exists() and not d.is_dir()):
                d.unlink()  # left by an earlier run in the same job dir: do not follow it
            d.mkdir(exist_ok=True)
        return {
            **_FIXED_ENV,
            "HOME": str(home),  # Keras and matplotlib write caches under HOME
            "TMPDIR": str(tmp),
            "MPLCONFIGDIR": str(home),
            "PWD": str(job),  # bwrap --chdir sets it; set it in both modes alike
            MARKER_VAR: marker,
        }

    def _report(
        self,
        started: float,
        limits: Limits,
        plan: list[_RLimit],
        notes: list[str],
        *,
        exit_code: int | None,
        sig: int | None = None,
        timed_out: bool = False,
        stdout: _Capture | None = None,
        stderr: _Capture | str = "",
    ) -> RunReport:
        rl = ", ".join(f"{r.name} {r.shown}" for r in plan if r.name != "CORE")
        line = f"{self.isolation}; rlimits: {rl or 'none'}; wall {limits.wall_s:g} s"
        if notes:
            line += "; " + "; ".join(notes)
        out = stdout.text() if stdout is not None else ""
        err = stderr.text() if isinstance(stderr, _Capture) else stderr
        truncated = any(isinstance(c, _Capture) and c.dropped > 0 for c in (stdout, stderr))
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


@dataclass
class _Outcome:
    timed_out: bool
    stdout: _Capture
    stderr: _Capture


@dataclass
class _Supervisor:
    """Watches one started child: output, exit, wall clock; then kills what is left."""

    proc: subprocess.Popen[bytes]
    limits: Limits
    marker: str
    info_fd: int  # bwrap's --info-fd pipe (-1 without bwrap): tells the pid namespace's init
    ns_pid: int | None = None
    ns_pidfd: int | None = None
    info: bytearray = field(default_factory=bytearray)

    def supervise(self) -> _Outcome:
        proc, limits = self.proc, self.limits
        assert proc.stdout is not None and proc.stderr is not None
        out = _Capture("stdout", limits.output_bytes)
        err = _Capture("stderr", limits.output_bytes)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, out)
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, err)
        if self.info_fd >= 0:
            sel.register(self.info_fd, selectors.EVENT_READ, "info")
        exit_fd = _pidfd(proc.pid)
        if exit_fd is not None:
            sel.register(exit_fd, selectors.EVENT_READ, "exit")
        deadline = time.monotonic() + limits.wall_s
        timed_out = False
        try:
            exited = False
            while not exited:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    self._read_info(sel)  # learn the namespace's init if not yet known
                    self._kill_all()
                    break
                # Without a pidfd, poll for the exit every 20 ms.
                events = sel.select(left if exit_fd is not None else min(left, 0.02))
                for key, _ in events:
                    if key.data == "exit":
                        exited = True
                        sel.unregister(key.fd)  # stays readable: would spin the drain loop
                    elif key.data == "info":
                        self._read_info(sel)
                    else:
                        self._pump(sel, key.fd, key.data)
                if exit_fd is None:
                    exited = _exited_unreaped(proc.pid)
            # The leader is dead (or dying) but not reaped: its pid still names the process
            # group, so killpg cannot hit a recycled pid. Kill what it left behind.
            _wait_exit_unreaped(proc.pid, exit_fd, time.monotonic() + _REAP_GRACE_S)
            self._kill_all()
            self._drain(sel)
        except BaseException:
            # Our own failure (or Ctrl-C in the grader): never leave the child running.
            self._kill_all()
            raise
        finally:
            sel.close()
            if exit_fd is not None:
                os.close(exit_fd)
            if self.info_fd >= 0:
                os.close(self.info_fd)
            if self.ns_pidfd is not None:
                os.close(self.ns_pidfd)
            proc.stdout.close()
            proc.stderr.close()
            proc.wait()
        return _Outcome(timed_out, out, err)

    def _pump(self, sel: selectors.BaseSelector, fd: int, cap: _Capture) -> bool:
        try:
            data = os.read(fd, _READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            data = b""
        if not data:
            sel.unregister(fd)
            return False
        cap.feed(data)  # past the cap, keep reading and dropping: the child never blocks
        return True

    def _read_info(self, sel: selectors.BaseSelector) -> None:
        """bwrap writes {"child-pid": N, ...} on --info-fd once the namespaces exist; N is the
        host pid of the pid namespace's init. Killing it makes the kernel kill the namespace."""
        if self.info_fd < 0 or self.ns_pid is not None:
            return
        ready = select.select([self.info_fd], [], [], 0)[0]
        data = os.read(self.info_fd, _READ_CHUNK) if ready else b""
        self.info += data
        try:
            pid = int(json.loads(self.info.decode())["child-pid"])
        except (ValueError, KeyError, TypeError):
            if ready and not data:  # EOF without a parsable document
                sel.unregister(self.info_fd)
                os.close(self.info_fd)
                self.info_fd = -1
            return
        self.ns_pid = pid
        self.ns_pidfd = _pidfd(pid)
        sel.unregister(self.info_fd)
        os.close(self.info_fd)
        self.info_fd = -1

    def _kill_all(self) -> None:
        pid = self.proc.pid
        if self.ns_pid is not None:
            # pid namespace: when its init dies the kernel SIGKILLs every process in it, and
            # init's exit completes only after they are gone; so wait for init.
            _kill(self.ns_pid, self.ns_pidfd)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        if self.ns_pid is not None:
            _wait_dead(self.ns_pid, self.ns_pidfd, time.monotonic() + _REAP_GRACE_S)
        else:
            _sweep(pid, f"{MARKER_VAR}={self.marker}".encode())

    def _drain(self, sel: selectors.BaseSelector) -> None:
        """Read what is left in the pipes. Everything that could hold them is dead by now, unless
        a stray escaped the sweep: then stop after a grace period and say so."""
        deadline = time.monotonic() + _DRAIN_GRACE_S
        while any(isinstance(k.data, _Capture) for k in sel.get_map().values()):
            left = deadline - time.monotonic()
            if left <= 0:
                for key in list(sel.get_map().values()):
                    if isinstance(key.data, _Capture):
                        sel.unregister(key.fd)
                        key.data.kept += (
                            b"\n[sandbox: stopped reading: a process outside the sandbox's "
                            b"reach still holds this pipe]\n"
                        )
                return
            for key, _ in sel.select(left):
                if isinstance(key.data, _Capture):
                    self._pump(sel, key.fd, key.data)


def _exited_unreaped(pid: int) -> bool:
    """Has `pid` exited? Asked without reaping it (WNOWAIT), so its pid stays reserved."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _wait_exit_unreaped(pid: int, pidfd: int | None, deadline: float) -> None:
    if pidfd is not None:
        _wait_dead(pid, pidfd, deadline)
        return
    while not _exited_unreaped(pid) and time.monotonic() < deadline:
        time.sleep(0.005)


def default_sandbox(*, hide: Sequence[Path] = ()) -> Sandbox:
    """The real sandbox, inside bwrap when it works here (its `isolation` says which)."""
    return SubprocessSandbox(hide=hide, use_bwrap=None)


# ---------------------------------------------------------------------------------------------
# the test double


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
            cap = _Capture(name, limits.output_bytes)
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
