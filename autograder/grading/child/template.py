"""The warm template: a sandboxed process that imports what workers need once, then forks one
fresh worker per job (see `autograder.grading.warm`, the grader's side).

    python -I -c BOOT KIND WIPE SPOOL        (started through the sandbox, like any worker)
      import NumPy and every child module (KIND "tensorflow": TensorFlow and Keras too);
      open SPOOL/commands and SPOOL/replies, then unlink them (no job can open them again);
      be non-dumpable (no process of the same uid may ptrace it or read its memory) and a
      child subreaper (whatever a job forks, double-forks or detaches stays below it)
      reply {"ready": true}
      for each command {"job": NAME, "env": {...}, "cpu_s": N}:
        fork: the child drops every descriptor of the template, points stdout, stderr and
              the progress fd at the FIFOs NAME/stdout, NAME/stderr and NAME/progress,
              takes the job's environment and CPU limit, and runs the worker on SPOOL/NAME
        wait for it; kill every process left below the template; remove what the job left
        in the world-writable folders and in SPOOL; reply {"job", "exit", "signal", "clean"}

The template never loads student code, never reads a job's files and holds no instructor data:
what a forked worker starts from is exactly what a cold worker has once it has imported its
modules. A job never overlaps another: the grader sends the next command only after the reply,
and tears the whole template down when a job runs past a deadline or the reply says "unclean".
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import resource
import shutil
import signal
import stat
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
TEMPLATE_NAME = "autograder-tpl"  # /proc/PID/comm of a template ...
JOB_NAME = "autograder-job"  # ... and of a job forked from it (the cmdline is the template's)
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
JOB_PROGRESS_FD = 3  # the worker's progress fd inside a forked job
JOB_PATTERN = r"job-[0-9a-f]{16}"  # the only job names a command may carry (no paths)
SWEEP_ROUNDS = 200  # kill-and-reap passes before the template calls itself unclean
# Where any process of the sandbox may create files; under bwrap /tmp and /dev/shm are the
# template's own, without it they are the machine's and only files of this uid are removed.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")


def _prctl(option: int, value: int | bytes) -> bool:
    try:
        import ctypes

        return bool(ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _name(name: str) -> None:
    """What `ps` and /proc/PID/comm show: a template and its jobs tell apart at a glance."""
    _prctl(_PR_SET_NAME, name.encode()[:15])


def preload(kind: str) -> None:
    """Import what a worker of `kind` imports before it reads its job, and every child module:
    a job must never import trusted code from the spool's kit, which an earlier job could have
    written to (under bwrap the sandbox's uid 0 owns those files)."""
    from autograder.grading.child.worker import CHILD_MODULES

    for name in CHILD_MODULES:
        parts = name.removesuffix(".py").split("/")
        importlib.import_module(".".join(["autograder", *parts[:-1],
                                          *([] if parts[-1] == "__init__" else parts[-1:])]))
    if kind == "tensorflow":
        from autograder.core.tfquiet import tensorflow

        tensorflow()


def serve(argv: list[str]) -> int:
    kind, wipe, spool = argv[1], argv[2], Path(argv[3]).resolve()
    _name(TEMPLATE_NAME)
    # The channels first: on disk only until the interpreter has started, never during a job.
    commands = os.open(spool / "commands", os.O_RDONLY)
    replies = os.open(spool / "replies", os.O_WRONLY)
    for name in ("commands", "replies"):
        (spool / name).unlink()
    _prctl(_PR_SET_DUMPABLE, 0)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    preload(kind)
    # Nothing is imported from the spool's kit again: a job may have written to it (under bwrap
    # the sandbox's uid owns it), and a later job's lazy imports (zipfile, say) must not find it.
    kit = str(spool / "kit")
    sys.path[:] = [entry for entry in sys.path if entry != kit]
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    state = _State.now(spool, wipe)
    _reply(replies, {"ready": True, "pid": os.getpid()})
    with os.fdopen(commands, "rb", buffering=0) as stream:
        for line in _lines(stream):
            command = json.loads(line)
            name = str(command.get("job", ""))
            if not re.fullmatch(JOB_PATTERN, name):
                _reply(replies, {"job": name, "exit": None, "signal": None, "clean": False})
                continue
            job = spool / name
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job, command)  # never returns
            status = _wait(pid)
            clean = _sweep() and _wipe(wipe, spool, state, keep={job.name}) \
                and state.unchanged(spool, wipe)
            _reply(replies, {"job": job.name, **status, "clean": clean})
    _sweep()
    return 0


def _lines(stream: Any) -> Iterator[bytes]:
    """Command lines until the grader closes its end (or dies)."""
    buffer = b""
    while chunk := stream.read(65536):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line


def _reply(fd: int, message: dict[str, Any]) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def _child(job: Path, command: dict[str, Any]) -> None:
    """The forked worker: nothing of the template's descriptors, the job's stdio, progress fd,
    environment and CPU limit; then exactly what a cold worker runs."""
    code = 1
    try:
        parent = os.getppid()
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))  # the template gone: so is the job
        if os.getppid() != parent:
            os._exit(1)
        os.setsid()
        _name(JOB_NAME)
        # FIFOs the grader reads (and caps) as it reads a cold worker's pipes.
        stdin = os.open(os.devnull, os.O_RDONLY)
        stdout, stderr, progress = (os.open(job / name, os.O_WRONLY | os.O_NOFOLLOW)
                                    for name in ("stdout", "stderr", "progress"))
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2), (progress, JOB_PROGRESS_FD)):
            os.dup2(fd, target)
        _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
        os.closerange(JOB_PROGRESS_FD + 1, most if 0 < most < 1 << 20 else 1 << 20)
        os.chdir(job)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in command["env"].items()})
        os.environ["AUTOGRADER_PROGRESS_FD"] = str(JOB_PROGRESS_FD)
        _, most = resource.getrlimit(resource.RLIMIT_CPU)
        cpu = int(command["cpu_s"])
        if most != resource.RLIM_INFINITY:
            cpu = min(cpu, most - 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        for limit, value in ((resource.RLIMIT_AS, command.get("memory_bytes")),
                             (resource.RLIMIT_FSIZE, command.get("file_bytes"))):
            _, hard = resource.getrlimit(limit)
            if isinstance(value, int) and (hard == resource.RLIM_INFINITY or value < hard):
                resource.setrlimit(limit, (value, value))  # lower only
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _as_if_cold()
        from autograder.grading.child.worker import boot

        code = boot(["worker", str(job)])
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _as_if_cold() -> None:
    """What a cold worker would have of its own: dumpable (it may read its own /proc files),
    fresh random generators, a temp folder from its own environment."""
    import random
    import tempfile

    import numpy as np

    _prctl(_PR_SET_DUMPABLE, 1)
    random.seed()
    np.random.seed()
    tempfile.tempdir = None


def _wait(pid: int) -> dict[str, Any]:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return {"exit": None, "signal": int(signal.SIGKILL)}
        if os.WIFSIGNALED(status):
            return {"exit": None, "signal": os.WTERMSIG(status)}
        return {"exit": os.WEXITSTATUS(status), "signal": None}


def _descendants(root: int) -> list[int]:
    """Every living process below `root` (by parent links in /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    below, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        below += children
        frontier += children
    return below


def _sweep() -> bool:
    """Kill and reap everything below the template (a subreaper: nothing a job started can
    have left its subtree). False when processes keep coming back."""
    me = os.getpid()
    for _ in range(SWEEP_ROUNDS):
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        left = _descendants(me)
        if not left:
            return True
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)
    return False


def _wipe(mode: str, spool: Path, state: _State, keep: set[str]) -> bool:
    """Remove what a job left where the next one could read it: the spool (all but the kit and
    `keep`), and
    - mode "private" (bwrap): whatever is new on the namespace's writable mounts (its /tmp,
      /dev, the tmpfs over each hidden path), against the listing taken at the start;
    - mode "uid" (a sandbox uid of the template's alone): what this uid owns in the
      world-writable folders, their world-writable subfolders searched too;
    - mode "": nothing more (the machine's /tmp is shared with the grader's own user, as a cold
      worker's is in that mode, which has no file-system isolation).
    False when something could not be removed."""
    ok = _remove_entries(spool, lambda entry: entry.name not in {"kit", *keep})
    if mode == "private":
        for top, before in state.mounts.items():
            ok &= _remove_new(top, before)
    elif mode == "uid":
        for top in WORLD_WRITABLE:
            ok &= _remove_owned(Path(top), os.getuid(), spool, depth=0)
    return ok


def _remove_owned(folder: Path, uid: int, spool: Path, depth: int) -> bool:
    ok = True
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return True
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            path = Path(entry.path)
            if path == spool or spool.is_relative_to(path):
                continue
            if info.st_uid == uid:
                ok &= _remove(entry.path)
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002 and depth < 4:
                ok &= _remove_owned(path, uid, spool, depth + 1)
        except OSError:
            ok = False
    return ok


def _listing(top: str) -> dict[str, tuple[int, int]]:
    """Every path on the mount at `top` (not crossing into others): (inode, mode)."""
    found: dict[str, tuple[int, int]] = {}
    try:
        device = os.stat(top).st_dev
    except OSError:
        return found
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_dev != device:
                continue  # another mount (the spool, a hidden path's tmpfs): listed on its own
            found[entry.path] = (info.st_ino, info.st_mode)
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
    return found


def _remove_new(top: str, before: dict[str, tuple[int, int]]) -> bool:
    """Remove what is on the mount at `top` and was not in `before`; False when something
    could not be removed, or an entry that was there was replaced."""
    ok = True
    now = _listing(top)
    for path in sorted(now, key=len):
        if path in before:
            ok &= now[path] == before[path]
        elif os.path.lexists(path):  # (else gone with a new folder removed above)
            ok &= _remove(path)
    return ok


def _writable_mounts(spool: Path) -> list[str]:
    """The namespace's writable mounts where files can live, the spool's aside."""
    mounts = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as table:
        for line in table:
            fields = line.split()
            point, options = fields[4], fields[5].split(",")
            kind = fields[fields.index("-") + 1] if "-" in fields else ""
            if "rw" not in options or kind in ("proc", "sysfs", "cgroup", "cgroup2", "devpts"):
                continue
            path = Path(point.replace("\\040", " "))
            if path == spool or path.is_relative_to(spool):
                continue
            mounts.append(str(path))
    return mounts


@dataclass(frozen=True)
class _State:
    """What a job must leave as it found it; compared after each job."""

    limits: tuple[Any, ...]  # the template's own rlimits, nice value, CPUs, scheduler: a job
    # of the same uid can lower them (prlimit needs no ptrace), and later forks would inherit
    spool: tuple[int, int, int]  # the spool's inode, owner and mode: not renamed or replaced
    kit: tuple[tuple[str, int, int, int, int], ...]  # the kit's files: not rewritten
    mounts: dict[str, dict[str, tuple[int, int]]]  # "private": each writable mount's listing
    ipc: frozenset[str]  # System V IPC objects: none may be left for the next job

    @classmethod
    def now(cls, spool: Path, mode: str) -> _State:
        info = os.stat(spool)
        return cls(_limits(), (info.st_ino, info.st_uid, info.st_mode), _kit(spool),
                   {top: _listing(top) for top in _writable_mounts(spool)}
                   if mode == "private" else {}, _ipc(mode))

    def unchanged(self, spool: Path, mode: str) -> bool:
        try:
            info = os.stat(spool)
        except OSError:
            return False
        return (_limits() == self.limits and _kit(spool) == self.kit and _ipc(mode) == self.ipc
                and (info.st_ino, info.st_uid, info.st_mode) == self.spool)


def _limits() -> tuple[Any, ...]:
    names = sorted(n for n in dir(resource) if n.startswith("RLIMIT_"))
    return (tuple(resource.getrlimit(getattr(resource, n)) for n in names),
            os.getpriority(os.PRIO_PROCESS, 0), frozenset(os.sched_getaffinity(0)),
            os.sched_getscheduler(0))


def _kit(spool: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    files = []
    for folder, _, names in os.walk(spool / "kit"):
        for name in [".", *names]:
            with contextlib.suppress(OSError):
                info = os.stat(os.path.join(folder, name), follow_symlinks=False)
                files.append((os.path.join(folder, name), info.st_ino, info.st_size,
                              info.st_mtime_ns, info.st_mode))
    return tuple(sorted(files))


def _ipc(mode: str) -> frozenset[str]:
    """The System V IPC objects (shared memory, queues, semaphores) a job could leave: every one
    in bwrap's own IPC namespace, this uid's in the machine's. Mode "": none looked at."""
    if mode not in ("private", "uid"):
        return frozenset()
    found = set()
    for kind in ("shm", "msg", "sem"):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as table:
            header, *rows = table.read().splitlines()
            column = header.split().index("uid")
            for row in rows:
                fields = row.split()
                if mode == "private" or int(fields[column]) == os.getuid():
                    found.add(f"{kind}:{fields[1]}")
    return frozenset(found)


def _remove_entries(folder: Path, wanted: Any) -> bool:
    ok = True
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    for entry in entries:
        try:
            if wanted(entry):
                ok &= _remove(entry.path)
        except OSError:
            ok = False
    return ok


def _remove(path: str) -> bool:
    """Remove a file or a whole folder (never following links); False when it stays."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            _make_removable(Path(path))
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _make_removable(folder: Path) -> None:
    """A job may leave folders without write or search permission: give them back first."""
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                _make_removable(Path(entry.path))


if __name__ == "__main__":
    sys.exit(serve(sys.argv))
