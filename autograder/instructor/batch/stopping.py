"""Ctrl-C in a batch: the first one stops it cleanly within seconds, a second one at once.

    first SIGINT   `Stop.requested` turns true (the handler only sets it and says so on
                   stderr): the runner hands out no more work, asks each pool worker to stop
                   (SIGTERM: the grading running there raises `GradingStopped`, and the sandbox
                   kills and reaps what it runs, as it does on any exception), waits a few
                   seconds, then SIGKILLs whatever is left: the workers and every process below
                   them, sandbox process groups included (`process_tree`, `kill_tree`). The
                   batch keeps what was graded, writes grades.csv and summary.md marked
                   incomplete, says how to --resume, and exits 130.
    second SIGINT  the same kill, best effort, then os._exit(130): nothing more is written.

The sandbox has no "kill every run of this process" call (each run is killed and reaped by the
`Supervisor` that watches it, in the pool worker that started it); the batch therefore finds the
processes below its workers in /proc, by parentage, and kills them by pid and by process group
(each sandbox run is a session and process group of its own). A pid is killed only while it
still has the start time it had when it was seen, so a recycled pid is never hit.

The handler is installed only in the main thread, and not where SIGINT was ignored when the
batch started (a background job of a non-interactive shell): there Ctrl-C is not the batch's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_STATUS = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


class GradingStopped(BaseException):
    """Raised in a pool worker's grading when the batch stops: a BaseException, so that no
    `except Exception` on the way swallows it; the sandbox kills its run on the way out."""


@dataclass(frozen=True)
class Proc:
    pid: int
    start: int  # clock ticks since boot (field 22 of /proc/PID/stat): tells a recycled pid
    pgid: int


def _stat(pid: int) -> tuple[int, int, int, bytes] | None:
    """(parent, process group, start time, state) of a live process, or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
        fields = data[data.rindex(b")") + 2 :].split()
        return int(fields[1]), int(fields[2]), int(fields[19]), fields[0]
    except (OSError, ValueError, IndexError):
        return None


def process_tree(roots: Iterable[int]) -> list[Proc]:
    """The live processes `roots` and every one below them, as /proc shows them now."""
    roots = set(roots)
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, int]] = {}
    try:
        entries = [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return []
    for pid in entries:
        stat = _stat(pid)
        if stat is None or stat[3] in (b"Z", b"X", b"x"):
            continue
        parent, pgid, start, _ = stat
        children.setdefault(parent, []).append(pid)
        info[pid] = (start, pgid)
    found: list[Proc] = []
    queue = [pid for pid in roots if pid in info]
    seen = set(queue)
    while queue:
        pid = queue.pop()
        start, pgid = info[pid]
        found.append(Proc(pid, start, pgid))
        for child in children.get(pid, ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return found


def alive(proc: Proc) -> bool:
    stat = _stat(proc.pid)
    return stat is not None and stat[2] == proc.start and stat[3] not in (b"Z", b"X", b"x")


def kill_tree(procs: Iterable[Proc]) -> None:
    """SIGKILL each process still alive (as it was seen) and the process groups they lead
    (a sandbox run's group: what it forked since), never this process or its own group."""
    me, mine = os.getpid(), os.getpgrp()
    procs = [p for p in procs if p.pid != me]
    for proc in procs:
        if proc.pgid == proc.pid and proc.pgid != mine and alive(proc):
            with contextlib.suppress(OSError):
                os.killpg(proc.pgid, signal.SIGKILL)
    for proc in procs:
        if alive(proc):
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGKILL)


def wait_gone(procs: Iterable[Proc], deadline: float) -> bool:
    """Wait until none of `procs` is alive, or `deadline` (monotonic); True when none is."""
    procs = list(procs)
    while any(alive(p) for p in procs):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


class Stop:
    """The batch's Ctrl-C (see the module docstring). `requested` is all the runner reads;
    `on_force` registers what a second Ctrl-C kills before the process exits."""

    def __init__(self) -> None:
        self.requested = False
        self._force: list[Callable[[], None]] = []

    def on_force(self, kill: Callable[[], None]) -> None:
        self._force.append(kill)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Stop]:
        """Handle SIGINT while the block runs (where it can be handled; see the docstring)."""
        previous: Any = None
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is not signal.SIG_IGN:
                previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # os.write, not print: the main thread may be inside a write to sys.stderr
        if not self.requested:
            self.requested = True
            _say("\nStopping: no new gradings; killing the running ones and writing what is "
                 "graded (Ctrl-C again to quit at once)...\n")
            return
        _say("\nStopped at once: nothing more written; run the same command with --resume "
             "to grade the rest.\n")
        for kill in self._force:
            with contextlib.suppress(Exception):
                kill()
        os._exit(EXIT_STATUS)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(2, text.encode())
