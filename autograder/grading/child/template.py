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
import resource
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
TEMPLATE_NAME = "autograder-tpl"  # /proc/PID/comm of a template ...
JOB_NAME = "autograder-job"  # ... and of a job forked from it (the cmdline is the template's)
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
JOB_PROGRESS_FD = 3  # the worker's progress fd inside a forked job
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
    preload(kind)
    commands = os.open(spool / "commands", os.O_RDONLY)
    replies = os.open(spool / "replies", os.O_WRONLY)
    for name in ("commands", "replies"):
        (spool / name).unlink()
    _prctl(_PR_SET_DUMPABLE, 0)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _reply(replies, {"ready": True, "pid": os.getpid()})
    with os.fdopen(commands, "rb", buffering=0) as stream:
        for line in _lines(stream):
            command = json.loads(line)
            job = spool / str(command["job"])
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job, command, spool)  # never returns
            status = _wait(pid)
            clean = _sweep() and _wipe(wipe, spool, keep={job.name})
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


def _child(job: Path, command: dict[str, Any], spool: Path) -> None:
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
        os.closerange(JOB_PROGRESS_FD + 1, 1 << 16)
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


def _wipe(mode: str, spool: Path, keep: set[str]) -> bool:
    """Remove what a job left where the next one could read it: the spool (all but the kit and
    `keep`) and, in mode "private" (bwrap: /tmp and /dev/shm are the template's own) or "uid" (a
    sandbox uid of the template's alone), what this uid owns in the world-writable folders.
    Mode "": the machine's /tmp is shared with the grader's own user; nothing is removed there
    (no worse than a cold run, which has no file-system isolation in that mode either)."""
    ok = _remove_entries(spool, lambda entry: entry.name not in {"kit", *keep})
    if mode not in ("private", "uid"):
        return ok
    uid = os.getuid()
    for top in WORLD_WRITABLE if mode == "uid" else ("/tmp", "/dev/shm"):
        try:
            device = os.stat(top).st_dev
        except OSError:
            continue

        def mine(entry: os.DirEntry[str], device: int = device) -> bool:
            info = entry.stat(follow_symlinks=False)
            # Never a mount point (the spool itself is one under bwrap) nor the spool.
            return (info.st_uid == uid and info.st_dev == device
                    and Path(entry.path) != spool and not spool.is_relative_to(entry.path))

        ok &= _remove_entries(Path(top), mine)
    return ok


def _remove_entries(folder: Path, wanted: Any) -> bool:
    ok = True
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return True
    for entry in entries:
        try:
            if not wanted(entry):
                continue
            if entry.is_dir(follow_symlinks=False):
                _make_removable(Path(entry.path))
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError:
            ok = False
    return ok


def _make_removable(folder: Path) -> None:
    """A job may leave folders without write or search permission: give them back first."""
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                _make_removable(Path(entry.path))


if __name__ == "__main__":
    sys.exit(serve(sys.argv))
