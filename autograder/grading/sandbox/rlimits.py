"""What the child sets on itself between fork and exec: the rlimits of `Limits`, and a death
signal so that it dies with the grader.

The plan is worked out in the parent (lookups, caps, notes), so the function that runs in the
child only calls `prctl`, `resource.setrlimit` and `os.write`: little else is safe there when
the parent has threads (see the package docstring).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass

from autograder.grading.sandbox.base import Limits

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RLimit:
    name: str
    resource: int
    soft: int
    hard: int
    shown: str  # how the isolation line shows it


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    return f"{n} B"


def rlimit_plan(limits: Limits, *, as_root: bool | None = None) -> tuple[list[RLimit], list[str]]:
    """What to set in the child, worked out in the parent; and notes on what was not possible.
    `as_root`: whether the child runs as root (default: whether we do)."""
    if as_root is None:
        as_root = os.geteuid() == 0
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
        if as_root:
            notes.append("NPROC not set: root is exempt from RLIMIT_NPROC")
        else:
            n = limits.processes
            wanted.append(("NPROC", "RLIMIT_NPROC", n, n, f"{n} (per user)"))
    plan: list[RLimit] = []
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
        plan.append(RLimit(name, res, soft, hard, shown))
    return plan, notes


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up before fork (Linux only)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def make_preexec(plan: list[RLimit], report_fd: int) -> Callable[[], None]:
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
