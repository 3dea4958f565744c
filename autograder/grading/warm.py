"""Warm workers: a pre-started, sandboxed template per kind of worker that forks one fresh
process per job, so that a job no longer pays for starting Python and importing NumPy (and,
for the CNN exercise and the grader's training, TensorFlow).

    grader                                           template (one sandboxed run, no student code)
    ──────                                           ────────
    Template.start(): spool = sandbox.job(), the     imports NumPy, the child modules
      child's kit, FIFOs commands/replies; the         (and TensorFlow); opens and unlinks
      template runs in a thread, through the very      the FIFOs; non-dumpable; subreaper
      sandbox a cold worker gets (bwrap or uid,        -> {"ready"}
      rlimits, scrubbed environment)
    Launcher.job(): spool/<random>, the job's
      files, a FIFO for its progress
    Launcher.run(): {"job", "env", "cpu_s"} ->       fork: the job's stdio, progress fd,
      the deadlines of Limits (start, idle, wall)      environment, CPU limit; the worker
      watched here on the job's progress FIFO;         runs the job as a cold one would;
      past one, the whole template is killed         kill everything below, wipe the spool and
      (the job's report says timed out)                what the uid left in /tmp -> {"exit",
    <- RunReport from the reply and the job's files    "signal", "clean"}; "unclean": torn down

What each job keeps of the sandbox: its own process (forked from a template that never held
student code or instructor data), the template's bwrap namespaces or sandbox uid, every rlimit
(RLIMIT_CPU counts from zero in a fresh process and is set to the job's), the audit hook
(installed by the worker, per job), the deadlines (enforced from here, whatever the job does
with signals), and reaping (the template is a subreaper and sweeps its subtree after each job).
What it shares, one after the other only, with the template's earlier jobs: the uid or the
namespaces, which the sweep and the wipe leave empty between jobs. `AUTOGRADER_WARM=0` turns
warm workers off: every job then starts a cold worker, as before.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import select
import selectors
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from autograder.grading.kit import child_kit, worker_command
from autograder.grading.sandbox import Limits, RunReport, Sandbox
from autograder.grading.sandbox.capture import READ_CHUNK, Capture
from autograder.grading.sandbox.environment import child_environment
from autograder.grading.sandbox.subprocess_sandbox import SubprocessSandbox

WARM_VAR = "AUTOGRADER_WARM"
LIFETIME_S = 2 * 3600.0  # a template's wall clock: past it, the next job starts a fresh one
CPU_S = 8 * 3600  # its RLIMIT_CPU hard limit; each job gets its own, lower, from a zero count
READY_S = {"numpy": 30.0, "tensorflow": 120.0}  # its imports, on a loaded machine
_BOOT = ("import sys; sys.path.insert(0, {kit!r}); "
         "from autograder.grading.child.template import serve; sys.exit(serve(sys.argv))")


def enabled() -> bool:
    """On unless `AUTOGRADER_WARM=0`; Linux only (the template's sweep reads /proc and needs
    prctl's subreaper: elsewhere every job starts a cold worker)."""
    return sys.platform.startswith("linux") and os.environ.get(WARM_VAR, "1").strip().lower() \
        not in ("0", "no", "off", "false")


class Launcher(Protocol):
    """Where a job's folder goes and how its worker runs: cold (a fresh interpreter) or warm."""

    def job(self) -> AbstractContextManager[Path]: ...

    def run(self, job: Path, limits: Limits) -> RunReport: ...


@dataclass
class Cold:
    """A fresh interpreter per job: the sandbox's own `run` on the worker command."""

    sandbox: Sandbox

    def job(self) -> AbstractContextManager[Path]:
        return self.sandbox.job()

    def run(self, job: Path, limits: Limits) -> RunReport:
        child_kit(job)
        return self.sandbox.run(worker_command(job), job_dir=job, limits=limits)


class Template:
    """One sandboxed template process and its spool; serves one job at a time."""

    def __init__(self, sandbox: SubprocessSandbox, kind: str) -> None:
        self.sandbox, self.kind = sandbox, kind
        self.lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        self.spool = self._stack.enter_context(sandbox.job())
        child_kit(self.spool)
        for name in ("commands", "replies"):
            os.mkfifo(self.spool / name)
            # A sandbox uid gets the spool (0700) when its run starts: it must open these too.
            os.chmod(self.spool / name, 0o666 if sandbox.unprivileged else 0o600)
        self._replies = os.open(self.spool / "replies", os.O_RDONLY | os.O_NONBLOCK)
        self._commands = os.open(self.spool / "commands", os.O_RDWR)
        self._cancel_r, self._cancel_w = os.pipe()
        self._ended_r, self._ended_w = os.pipe()  # written when the template's run is over
        self._buffer = b""
        self._active = 0  # job folders in use: the spool outlives a teardown until they end
        self.ready = False
        self.done = threading.Event()
        self.started = time.monotonic()
        self.closed = False
        self.retiring = False
        wipe = "private" if sandbox.uses_bwrap else "uid" if sandbox.unprivileged else ""
        command = [sys.executable, "-I", "-c", _BOOT.format(kit=str(self.spool / "kit")),
                   kind, wipe, str(self.spool)]
        threading.Thread(target=self._serve, args=(command,), daemon=True,
                         name=f"warm-{kind}").start()

    def _serve(self, command: list[str]) -> None:
        try:
            self.sandbox.run(
                command, job_dir=self.spool, cancel_fd=self._cancel_r,
                limits=Limits(wall_s=LIFETIME_S, cpu_s=CPU_S))
        finally:
            self.done.set()
            with contextlib.suppress(OSError):
                os.write(self._ended_w, b"x")

    @property
    def alive(self) -> bool:
        return not self.closed and not self.done.is_set()

    def lasts(self, seconds: float) -> bool:
        """Whether it will still be running `seconds` from now (its own wall clock)."""
        return self.alive and time.monotonic() - self.started + seconds < LIFETIME_S - 60

    def retire(self) -> None:
        """Close it now, or when the job running on it ends."""
        if self._active:
            self.retiring = True
        else:
            self.close()

    def close(self) -> None:
        """End the template and everything below it; its spool goes once no job uses it."""
        if not self.done.is_set():
            with contextlib.suppress(OSError):
                os.write(self._cancel_w, b"x")
            self.done.wait(30)
        self.closed = True
        if not self._active:
            self._release()

    def _release(self) -> None:
        for fd in (self._replies, self._commands, self._cancel_r, self._cancel_w,
                   self._ended_r, self._ended_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._replies = self._commands = self._cancel_r = self._cancel_w = -1
        self._ended_r = self._ended_w = -1
        self._stack.close()

    # -- messages -----------------------------------------------------------------------

    def _read_replies(self) -> bool:
        """Read what the template wrote; False at EOF (it died)."""
        try:
            chunk = os.read(self._replies, READ_CHUNK)
        except BlockingIOError:
            return True
        self._buffer += chunk
        return bool(chunk)

    def _drain_replies(self) -> bool:
        """Read what is left on the replies FIFO; whether a complete reply is buffered."""
        while self._read_replies() and b"\n" not in self._buffer:
            if not select.select([self._replies], [], [], 0)[0]:
                break
        return b"\n" in self._buffer

    def _reply(self) -> dict[str, Any] | None:
        """The next complete reply, if one has arrived."""
        if b"\n" not in self._buffer:
            return None
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return {}
        return message if isinstance(message, dict) else {}

    def wait_ready(self) -> bool:
        """Whether the template has done its imports (waiting for them, within READY_S)."""
        deadline = self.started + READY_S.get(self.kind, 60.0)
        while not self.ready and self.alive:
            reply = self._reply()
            if reply is not None:
                self.ready = bool(reply.get("ready"))
                if not self.ready:
                    break
                continue
            left = deadline - time.monotonic()
            ready = select.select([self._replies, self._ended_r], [], [], max(left, 0))[0]
            if left <= 0 or (self._replies in ready and not self._read_replies()) or (
                    self._ended_r in ready and self._replies not in ready):
                break
        return self.ready and self.alive

    @contextlib.contextmanager
    def job(self) -> Iterator[Path]:
        folder = self.spool / f"job-{secrets.token_hex(8)}"
        folder.mkdir(mode=0o700)
        self._own(folder)
        self._active += 1
        try:
            yield folder
        finally:
            self._active -= 1
            shutil.rmtree(folder, ignore_errors=True)
            if self.retiring and not self._active:
                self.close()
            elif self.closed and not self._active:
                self._release()

    def _own(self, *paths: Path) -> None:
        """Give `paths` to the spool's owner (the sandbox uid, when the grader is root)."""
        owner = self.spool.stat()
        if os.geteuid() == 0 and owner.st_uid != 0:
            for path in paths:
                os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)

    def run(self, job: Path, limits: Limits) -> RunReport:
        """Fork a worker for `job`; its output is read and capped here as the cold path does,
        and `limits`' deadlines are enforced from here."""
        started = time.monotonic()
        pipes: dict[str, int] = {}
        for name in ("stdout", "stderr", "progress"):
            os.mkfifo(job / name, 0o600)
            self._own(job / name)
            pipes[name] = os.open(job / name, os.O_RDONLY | os.O_NONBLOCK)
        env = child_environment(job, secrets.token_hex(16))
        self._own(job / ".home", job / ".tmp")
        out = Capture("stdout", limits.output_bytes)
        err = Capture("stderr", limits.output_bytes)
        sel = selectors.DefaultSelector()
        for name, capture in (("stdout", out), ("stderr", err)):
            sel.register(pipes[name], selectors.EVENT_READ, capture)
        sel.register(pipes["progress"], selectors.EVENT_READ, "progress")
        sel.register(self._replies, selectors.EVENT_READ, "reply")
        sel.register(self._ended_r, selectors.EVENT_READ, "ended")
        wall = started + limits.wall_s
        never = float("inf")
        progress_at = started + (limits.start_s or never)
        reply: dict[str, Any] | str = "timeout"
        try:
            os.write(self._commands, json.dumps(
                {"job": job.name, "env": env, "cpu_s": limits.cpu_s,
                 "memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes}
            ).encode() + b"\n")
            while not isinstance(reply, dict):
                got = self._reply()
                if got is not None:
                    reply = got if got.get("job") == job.name else "eof"
                    break
                left = min(wall, progress_at) - time.monotonic()
                if left <= 0:
                    break
                for key, _ in sel.select(left):
                    if key.data == "reply" and not self._read_replies():
                        reply = "eof"
                    elif key.data == "ended":  # its last reply may still be in the buffer
                        sel.unregister(key.fd)
                        if b"\n" not in self._buffer and not self._drain_replies():
                            reply = "eof"
                    elif key.data == "progress":
                        if _pump(key.fd, None):
                            progress_at = time.monotonic() + (limits.idle_s or never)
                        else:  # closed: the job ended, or closed it to dodge the deadline,
                            sel.unregister(key.fd)  # which therefore still counts

                    elif isinstance(key.data, Capture) and not _pump(key.fd, key.data):
                        sel.unregister(key.fd)
                if reply == "eof":
                    break
            for capture, fd in ((out, pipes["stdout"]), (err, pipes["stderr"])):
                _drain(fd, capture)  # what is left in them, without waiting for more
        finally:
            sel.close()
            for fd in pipes.values():
                os.close(fd)
        return self._report(job, limits, started, reply, out, err,
                            stalled=time.monotonic() < wall)

    def _report(self, job: Path, limits: Limits, started: float, reply: dict[str, Any] | str,
                out: Capture, err: Capture, *, stalled: bool) -> RunReport:
        if isinstance(reply, dict):
            exit_code, sig, timed_out = reply.get("exit"), reply.get("signal"), False
            if not reply.get("clean"):
                self.close()  # something survived the sweep or the wipe: never reuse it
        else:  # past a deadline, or the template died: nothing of it may serve another job
            timed_out = reply == "timeout"
            self.close()
            exit_code, sig = None, int(signal.SIGKILL)
        return RunReport(
            exit_code=exit_code if isinstance(exit_code, int) else None,
            signal=sig if isinstance(sig, int) else None, timed_out=timed_out,
            stdout=out.text(), stderr=err.text(), truncated=bool(out.dropped or err.dropped),
            duration_s=time.monotonic() - started,
            isolation=f"{self.sandbox.isolation}; warm: forked from a template in that sandbox",
            stalled=stalled and timed_out)


def _drain(fd: int, capture: Capture) -> None:
    with contextlib.suppress(OSError):
        while data := os.read(fd, READ_CHUNK):
            capture.feed(data)


def _pump(fd: int, capture: Capture | None) -> bool:
    """Read what is waiting on `fd` (into `capture`, if any); False at EOF."""
    try:
        data = os.read(fd, READ_CHUNK)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False
    if capture is not None:
        capture.feed(data)
    return bool(data)


@dataclass
class Warm:
    """A launcher on the pool's template for (sandbox, kind, role); cold when it cannot be had."""

    sandbox: SubprocessSandbox
    kind: str
    role: str = "worker"

    def _template(self) -> Template | None:
        """The template, once it is ready; None (a cold job) when it cannot be had."""
        template = _pool.get(self.sandbox, self.kind, self.role)
        if template is not None and not template.wait_ready():
            _pool.failed(template)
            return None
        return template

    @contextlib.contextmanager
    def job(self) -> Iterator[Path]:
        template = self._template()
        if template is None:
            with self.sandbox.job() as folder:
                yield folder
            return
        with template.lock, template.job() as folder:
            yield folder

    def run(self, job: Path, limits: Limits) -> RunReport:
        template = _pool.serving(job)
        if template is None:
            return Cold(self.sandbox).run(job, limits)
        if template.lasts(limits.wall_s):
            return template.run(job, limits)
        template.retire()  # too old for this job: the next one gets a fresh template
        with self.sandbox.job() as cold:  # it ended after the job was written: the same job, cold
            for entry in job.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.copytree(entry, cold / entry.name, symlinks=True)
                elif entry.is_file() and not entry.is_symlink():
                    shutil.copy2(entry, cold / entry.name)
            report = Cold(self.sandbox).run(cold, limits)
            if (cold / "out").is_dir():
                shutil.copytree(cold / "out", job / "out", symlinks=True, dirs_exist_ok=True)
            return report


class _Pool:
    """This process's templates, one per (sandbox settings, kind, role), started on demand
    and replaced when one ends; all of them closed when the process exits."""

    def __init__(self) -> None:
        self._templates: dict[tuple[Any, ...], Template] = {}
        self._broken: set[tuple[Any, ...]] = set()  # never became ready: cold from now on
        self._lock = threading.Lock()
        atexit.register(self.close)

    def failed(self, template: Template) -> None:
        with self._lock:
            for key, known in list(self._templates.items()):
                if known is template:
                    self._broken.add(key)
                    del self._templates[key]
        template.close()

    def get(self, sandbox: SubprocessSandbox, kind: str, role: str) -> Template | None:
        key = (sandbox.key, kind, role)
        with self._lock:
            if key in self._broken:
                return None
            template = self._templates.get(key)
            if template is not None and not template.lasts(600):
                template.retire()  # a job may still run on it (in another thread)
                template = None
            if template is None:
                try:
                    template = Template(sandbox, kind)
                except OSError:
                    return None
                self._templates[key] = template
            return template

    def serving(self, job: Path) -> Template | None:
        with self._lock:
            return next((t for t in self._templates.values() if job.parent == t.spool), None)

    def close(self) -> None:
        with self._lock:
            templates, self._templates = list(self._templates.values()), {}
        for template in templates:
            template.close()


_pool = _Pool()


def launcher(sandbox: Sandbox, kind: str, role: str = "worker") -> Launcher:
    """Warm where the sandbox is the real one and warm workers are on; else cold."""
    if enabled() and isinstance(sandbox, SubprocessSandbox):
        return Warm(sandbox, kind, role)
    return Cold(sandbox)


def prestart(sandbox: Sandbox, kind: str, role: str = "worker") -> None:
    """Start the template now, so that its imports overlap other work."""
    if enabled() and isinstance(sandbox, SubprocessSandbox):
        _pool.get(sandbox, kind, role)


_depth = 0  # open sessions in this process (see `session`)


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Templates live while a session is open: one `grade()` opens its own, so that it leaves
    nothing behind; a batch worker holds one open for its whole life (`keep_warm`), so that its
    templates serve every submission it grades."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _pool.close()


def keep_warm() -> None:
    """Hold a session open until this process exits (a batch worker)."""
    global _depth
    _depth += 1
