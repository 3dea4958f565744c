"""bubblewrap: whether it works here (probed once per process), the fixed flags every run gets,
and the per-run mounts that hide the instructor's paths and keep the interpreter visible."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.sandbox.environment import MIN_PATH

# The flags of DESIGN.md; --cap-drop ALL matters when the grader runs as root (see the package
# docstring).
_BWRAP_FLAGS = (
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--size", str(256 * 2**20), "--tmpfs", "/tmp",  # a private /tmp of at most 256 MiB
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop", "ALL",
)  # fmt: skip
# Writable for uid 0 even without capabilities (kernel.core_pattern is an escape); bwrap covers
# /proc/irq and /proc/bus itself. Bound read-only from the host only when running as root.
_ROOT_PROC_COVER = ("/proc/sys", "/proc/sysrq-trigger", "/proc/fs")


@dataclass(frozen=True)
class Probe:
    ok: bool
    reason: str
    path: str | None


def bwrap_flags() -> list[str]:
    """The fixed part of the bwrap command line: the same for the probe and for every run."""
    flags = list(_BWRAP_FLAGS)
    if os.geteuid() == 0:
        for path in _ROOT_PROC_COVER:
            if os.path.exists(path):
                flags += ["--ro-bind", path, path]
    return flags


def _probe_bwrap(bwrap: str | None) -> Probe:
    """Can `bwrap` run `true` here with the flags we use? And if not, why not."""
    if bwrap is None:
        return Probe(False, "bwrap not found on PATH (Debian package bubblewrap)", None)
    true = shutil.which("true", path=MIN_PATH) or "/bin/true"
    try:
        done = subprocess.run(
            [bwrap, *bwrap_flags(), "--chdir", "/", "--", true],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(False, f"{bwrap} could not be run: {exc}", bwrap)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {done.returncode}"
        # The usual cause: no unprivileged user namespaces (kernel.unprivileged_userns_clone=0,
        # an AppArmor userns restriction, or a container without CAP_SYS_ADMIN).
        return Probe(False, f"{bwrap} fails its probe: {why}", bwrap)
    return Probe(True, f"{bwrap} works", bwrap)


@functools.lru_cache(maxsize=1)
def cached_probe() -> Probe:
    return _probe_bwrap(shutil.which("bwrap"))


def bwrap_status() -> tuple[bool, str]:
    """(works, why): whether bwrap runs `true` here with our flags. Probed once per process."""
    probe = cached_probe()
    return probe.ok, probe.reason


# --- per-run mounts ----------------------------------------------------------------------------


def resolve_hide(paths: Sequence[Path]) -> tuple[Path, ...]:
    """The paths to hide, resolved and deduplicated; relative paths and / are caller errors."""
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


def interpreter_paths(python: Path) -> set[Path]:
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


def mounts(*, hide: Sequence[Path], keep: set[Path], job: Path) -> tuple[list[str], list[int]]:
    """The per-run bwrap mounts, and the fds they read (the caller passes them to bwrap, then
    closes them). Deeper paths are mounted later, so the most specific rule wins: a hidden dir
    inside a kept one stays hidden, a kept dir (or the job dir) inside a hidden one comes back."""
    fds: list[int] = []
    covers = [Path("/tmp"), *hide]  # /tmp is a fresh tmpfs: a venv under it must come back too
    ops: list[tuple[int, int, list[str]]] = []
    for h in hide:
        if h.is_dir():
            ops.append((len(h.parts), 0, ["--size", "65536", "--tmpfs", str(h)]))
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
