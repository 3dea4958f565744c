"""Watching one started child until it is over: its output, its exit, the wall clock; then
killing everything it left behind.

One select loop serves it all: stdout and stderr (kept up to the cap, the rest read and
dropped), the child's exit (a pidfd; polled every 20 ms where there is none), bwrap's info pipe
(which names the pid namespace's init), and the deadline (checked on every wake-up).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

from autograder.grading.sandbox.base import Limits
from autograder.grading.sandbox.capture import READ_CHUNK, Capture
from autograder.grading.sandbox.environment import MARKER_VAR
from autograder.grading.sandbox.killing import (
    REAP_GRACE_S,
    exited_unreaped,
    kill,
    open_pidfd,
    sweep,
    wait_dead,
    wait_exit_unreaped,
)

_DRAIN_GRACE_S = 2.0  # after the child is gone, how long to wait for EOF on its pipes


@dataclass
class Outcome:
    timed_out: bool
    stdout: Capture
    stderr: Capture
    stalled: bool = False  # the idle deadline, not the wall clock, ended it


@dataclass
class Supervisor:
    """Watches one started child: output, exit, wall clock; then kills what is left."""

    proc: subprocess.Popen[bytes]
    limits: Limits
    marker: str
    info_fd: int  # bwrap's --info-fd pipe (-1 without bwrap): tells the pid namespace's init
    progress_fd: int = -1  # the child's progress pipe: each byte restarts the idle deadline
    ns_pid: int | None = None
    ns_pidfd: int | None = None
    info: bytearray = field(default_factory=bytearray)
    started_ticks: int = 0  # boot_ticks() just before the child was started
    cancel_fd: int = -1  # readable (a byte, or EOF) when the caller wants the run ended now

    def supervise(self) -> Outcome:
        proc, limits = self.proc, self.limits
        assert proc.stdout is not None and proc.stderr is not None
        out = Capture("stdout", limits.output_bytes)
        err = Capture("stderr", limits.output_bytes)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, out)
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, err)
        if self.info_fd >= 0:
            sel.register(self.info_fd, selectors.EVENT_READ, "info")
        exit_fd = open_pidfd(proc.pid)
        if exit_fd is not None:
            sel.register(exit_fd, selectors.EVENT_READ, "exit")
        if self.progress_fd >= 0:
            sel.register(self.progress_fd, selectors.EVENT_READ, "progress")
        if self.cancel_fd >= 0:
            sel.register(self.cancel_fd, selectors.EVENT_READ, "cancel")
        deadline = time.monotonic() + limits.wall_s
        never = float("inf")
        idle = limits.idle_s if limits.idle_s is not None else never
        # Until the first report, the start allowance; then each report restarts the idle one.
        progress_deadline = time.monotonic() + (limits.start_s or never)
        timed_out = stalled = False
        try:
            exited = False
            while not exited:
                now = time.monotonic()
                left = min(deadline, progress_deadline) - now
                if left <= 0:
                    timed_out = True
                    stalled = now < deadline
                    self._read_info(sel)  # learn the namespace's init if not yet known
                    self._kill_all()
                    break
                # Without a pidfd, poll for the exit every 20 ms.
                events = sel.select(left if exit_fd is not None else min(left, 0.02))
                if any(key.data == "cancel" for key, _ in events):
                    timed_out = True  # ended from outside, like a deadline
                    self._read_info(sel)
                    self._kill_all()
                    break
                for key, _ in events:
                    if key.data == "exit":
                        exited = True
                        sel.unregister(key.fd)  # stays readable: would spin the drain loop
                    elif key.data == "info":
                        self._read_info(sel)
                    elif key.data == "progress":
                        progress_deadline = time.monotonic() + idle
                        if not self._read_progress():
                            sel.unregister(key.fd)
                    else:
                        self._pump(sel, key.fd, key.data)
                if exit_fd is None:
                    exited = exited_unreaped(proc.pid)
            # The leader is dead (or dying) but not reaped: its pid still names the process
            # group, so killpg cannot hit a recycled pid. Kill what it left behind.
            wait_exit_unreaped(proc.pid, exit_fd, time.monotonic() + REAP_GRACE_S)
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
            if self.progress_fd >= 0:
                os.close(self.progress_fd)
            proc.stdout.close()
            proc.stderr.close()
            proc.wait()
        return Outcome(timed_out, out, err, stalled)

    def _pump(self, sel: selectors.BaseSelector, fd: int, cap: Capture) -> None:
        try:
            data = os.read(fd, READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            sel.unregister(fd)
            return
        cap.feed(data)  # past the cap, keep reading and dropping: the child never blocks

    def _read_progress(self) -> bool:
        """Read what the child reported; False at EOF (it closed its end)."""
        try:
            return bool(os.read(self.progress_fd, READ_CHUNK))
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    def _read_info(self, sel: selectors.BaseSelector) -> None:
        """bwrap writes {"child-pid": N, ...} on --info-fd once the namespaces exist; N is the
        host pid of the pid namespace's init. Killing it makes the kernel kill the namespace."""
        if self.info_fd < 0 or self.ns_pid is not None:
            return
        ready = select.select([self.info_fd], [], [], 0)[0]
        data = os.read(self.info_fd, READ_CHUNK) if ready else b""
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
        self.ns_pidfd = open_pidfd(pid)
        sel.unregister(self.info_fd)
        os.close(self.info_fd)
        self.info_fd = -1

    def _kill_all(self) -> None:
        pid = self.proc.pid
        if self.ns_pid is not None:
            # pid namespace: when its init dies the kernel SIGKILLs every process in it, and
            # init's exit completes only after they are gone; so wait for init.
            kill(self.ns_pid, self.ns_pidfd)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        if self.ns_pid is not None:
            wait_dead(self.ns_pid, self.ns_pidfd, time.monotonic() + REAP_GRACE_S)
        else:
            sweep(pid, f"{MARKER_VAR}={self.marker}".encode(), self.started_ticks)

    def _drain(self, sel: selectors.BaseSelector) -> None:
        """Read what is left in the pipes. Everything that could hold them is dead by now, unless
        a stray escaped the sweep: then stop after a grace period and say so."""
        deadline = time.monotonic() + _DRAIN_GRACE_S
        while any(isinstance(k.data, Capture) for k in sel.get_map().values()):
            left = deadline - time.monotonic()
            if left <= 0:
                for key in list(sel.get_map().values()):
                    if isinstance(key.data, Capture):
                        sel.unregister(key.fd)
                        key.data.kept += (
                            b"\n[sandbox: stopped reading: a process outside the sandbox's "
                            b"reach still holds this pipe]\n"
                        )
                return
            for key, _ in sel.select(left):
                if isinstance(key.data, Capture):
                    self._pump(sel, key.fd, key.data)
