"""Killing a run's processes and waiting until they are gone, through pidfds where the kernel
has them (no race with a recycled pid) and /proc otherwise.

Without bwrap there is no pid namespace to kill at once, so `sweep` looks for the run's strays
in /proc: best effort, see the package docstring for what survives it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path

REAP_GRACE_S = 5.0  # how long to wait for a SIGKILLed process to be gone
_GONE_STATES = (b"Z", b"X", b"x")  # zombie or dead: nothing left to kill


def open_pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux >= 5.3), or None where there is none (then we poll)."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        fd: int = opener(pid)
    except OSError:
        return None
    return fd


def kill(pid: int, pidfd: int | None) -> None:
    with contextlib.suppress(OSError):
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


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
    return state not in _GONE_STATES


def wait_dead(pid: int, pidfd: int | None, deadline: float) -> None:
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


def exited_unreaped(pid: int) -> bool:
    """Has `pid` exited? Asked without reaping it (WNOWAIT), so its pid stays reserved."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def wait_exit_unreaped(pid: int, pidfd: int | None, deadline: float) -> None:
    """Wait (up to `deadline`) until our child `pid` has exited, leaving it unreaped."""
    if pidfd is not None:
        wait_dead(pid, pidfd, deadline)
        return
    while not exited_unreaped(pid) and time.monotonic() < deadline:
        time.sleep(0.005)


def boot_ticks() -> int:
    """Now, in the clock ticks since boot that /proc/PID/stat gives a process's start in."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))


def _strays(leader: int, marker: bytes, since: int | None) -> Iterator[int]:
    """Live processes of one run, found in /proc: in the leader's session or process group,
    carrying the run's marker in their environment (those that called setsid), or, started
    since the run began, our own children besides the leader (orphans that came back to us,
    a child subreaper, after they left the session and replaced their environment)."""
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
            state, parent, pgrp, session = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
            start = int(fields[19])
        except (OSError, ValueError, IndexError):
            continue
        if state in _GONE_STATES:
            if since is not None and parent == me and start >= since and pid != leader:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # a dead orphan that came back to us
            continue
        if leader in (pgrp, session) or (since is not None and parent == me and start >= since):
            yield pid
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue  # another user's process: not ours to kill anyway
        if marker in environ.split(b"\0"):
            yield pid


def sweep(leader: int, marker: bytes, since: int | None = None) -> None:
    """Without bwrap: kill every stray of the run, wait until they are gone, and reap those
    that are our children. A few rounds, because a stray may fork while we look."""
    if not os.path.isdir("/proc"):
        return
    for _round in range(6):
        victims = [(pid, open_pidfd(pid)) for pid in _strays(leader, marker, since)]
        if not victims:
            return  # (this last look also reaped the dead orphans)
        for pid, fd in victims:
            kill(pid, fd)
        deadline = time.monotonic() + REAP_GRACE_S
        for pid, fd in victims:
            wait_dead(pid, fd, deadline)
            if fd is not None:
                os.close(fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # an orphan that came back to us: no zombie
