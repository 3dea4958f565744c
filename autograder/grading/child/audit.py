"""The worker's audit hook (PEP 578): a second layer inside the sandboxed child, never the
boundary.

Installed by the worker before any student code is imported, it refuses what grading never
needs: importing the exercise's forbidden packages by any route (`import`, `importlib`,
`__import__`, computed names), starting processes, signalling other processes, sockets,
`ctypes`, changing the profile hook that catches forbidden calls (`autograder.core.callguard`),
writing outside the job folder, opening folders outside it (the `dir_fd` route), and
reading the paths the sandbox hides (the kit's folder, the batch and output folders, the
forbidden packages' files), and reading any file outside the job folder and the interpreter's
installation that not everyone may read (root-only files, another job's folder, the
instructor's private files when the grader runs as the instructor). Each refusal raises in
the student's code and is recorded, so the grader can turn it into a `policy` result that
names what was attempted.

Why only a second layer: a hook is Python code in the same process as the student's code.
Native code (a C extension already loaded, `_posixsubprocess` where it is loaded) is not
audited, and code that walks the interpreter's frames can reach the worker's own state. What
holds against that is outside the process: bubblewrap, the sandbox user, rlimits, deadlines
and the grader's own reaping (see `autograder.grading.sandbox`). The hook cannot be removed from Python,
and its rules live in closures of immutable values that no module global names.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Callable, Sequence
from types import CodeType

_PROCESS_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
    "os.startfile", "subprocess.Popen", "pty.spawn",
})
_SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
_LIMIT_EVENTS = frozenset({"resource.setrlimit", "resource.prlimit"})
# Events whose first argument is a path the call changes.
_WRITE_EVENTS = frozenset({
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.chflags",
    "os.lchflags", "os.truncate", "os.utime", "os.symlink", "os.link", "os.mkfifo", "os.mknod",
    "os.setxattr", "os.removexattr", "shutil.rmtree", "shutil.copyfile", "shutil.copytree",
    "shutil.move", "shutil.chown",
})
_READ_EVENTS = frozenset({"os.listdir", "os.scandir", "os.chdir", "glob.glob", "os.listxattr",
                          "os.getxattr", "shutil.unpack_archive"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
MAX_RECORDED = 20


def install(*, job: str, hidden: Sequence[str], keep: Sequence[str],
            forbidden_imports: Sequence[str], allow_native: bool = False,
            profilers: frozenset[CodeType] = frozenset()) -> Callable[[], tuple[str, ...]]:
    """Install the hook; return `take()`, which hands over (and forgets) what was refused since
    the last call. `keep`: folders inside a hidden one that stay readable (the interpreter's
    virtual environment inside the kit's folder). `allow_native`: let ctypes be loaded (the
    CNN exercise, where TensorFlow is already imported and trusted). `profilers`: the code
    that may set the profile hook (`autograder.core.callguard`); no other code may change it."""
    job_dir = os.path.realpath(job)
    hidden_dirs = tuple(sorted({os.path.realpath(h) for h in hidden}))
    # The interpreter's own installation always stays readable: the child cannot run without it.
    prefixes = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    kept_dirs = tuple(sorted({os.path.realpath(k) for k in (*keep, *prefixes)}))
    forbidden = frozenset(name.partition(".")[0] for name in forbidden_imports)
    me = os.getpid()
    refused: list[str] = []

    def under(path: str, top: str) -> bool:
        return path == top or path.startswith(top.rstrip("/") + "/")

    def is_hidden(path: str) -> bool:
        for top in hidden_dirs:
            if under(path, top) and not any(
                    len(k) > len(top) and under(path, k) and under(k, top) for k in kept_dirs):
                return True
        return False

    def real(path: object) -> str | None:
        if isinstance(path, int) or path is None:
            return None  # an fd: it was opened through a call this hook saw
        try:
            return os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    def refuse(what: str, error: type[Exception] = PermissionError) -> None:
        if len(refused) < MAX_RECORDED and what not in refused:
            refused.append(what[:300])
        raise error(f"sandbox: {what} is not allowed while grading")

    public_dirs: dict[str, bool] = {}

    def public_dir(folder: str) -> bool:
        """Whether everyone may pass through `folder` and every folder above it (cached)."""
        if folder not in public_dirs:
            try:
                passable = bool(os.stat(folder).st_mode & 0o001)
            except OSError:
                passable = False
            parent = os.path.dirname(folder)
            public_dirs[folder] = passable and (parent == folder or public_dir(parent))
        return public_dirs[folder]

    def for_everyone(path: str) -> bool:
        """Whether everyone may read `path` (a missing path: the call fails on its own)."""
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return True
        return bool(mode & 0o004) and public_dir(os.path.dirname(path))

    def check_read(path: str | None, event: str) -> None:
        if path is None or under(path, job_dir):
            return
        if is_hidden(path) or not (any(under(path, k) for k in kept_dirs) or for_everyone(path)):
            verb = {"open": "reading", "os.chdir": "entering"}.get(event, "listing")
            refuse(f"{verb} {path}")

    def check_write(path: str | None, event: str) -> None:
        if path is None or under(path, job_dir) or path == os.devnull:
            return
        refuse(f"writing {path}" if event == "open" else f"changing {path} ({event})")

    def hook(event: str, args: tuple[object, ...]) -> None:
        # No state to guard against re-entry: nothing below raises audit events of its own
        # (realpath, stat and readlink are not audited).
        if event == "open":
            path, mode, flags = ((*tuple(args), None, None, None))[:3]
            where = real(path)
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
            if writes:
                check_write(where, event)
            check_read(where, event)
            if (mode is None and where is not None and os.path.isdir(where)
                    and not under(where, job_dir)):
                refuse(f"opening the folder {where}")  # a dir_fd would dodge the rules
        elif event == "import":
            top = str(args[0]).partition(".")[0]
            if top in forbidden:
                refuse(f"importing {top}", ModuleNotFoundError)
        elif event in _PROCESS_EVENTS:
            refuse(f"starting a process ({event})")
        elif event in _SIGNAL_EVENTS:
            target = args[0] if args else None
            if event != "signal.pthread_kill" and target != me:
                refuse("signalling another process")
        elif event in _LIMIT_EVENTS:
            refuse("changing the sandbox's resource limits")
        elif event.startswith("socket."):
            refuse("using the network (a socket)")
        elif event.startswith("ctypes.") and not allow_native:
            refuse("loading native code through ctypes")
        elif event in _WRITE_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)):
                    check_write(real(path), event)
        elif event in _READ_EVENTS and args:
            check_read(real(args[0]), event)
        elif event in ("sys.setprofile", "sys.settrace"):
            if sys._getframe(1).f_code not in profilers:
                refuse("changing the grader's profile or trace hook")
        elif event == "object.__setattr__" and args and args[0] is hook:
            refuse("changing the sandbox's audit hook")

    class Blocker(importlib.abc.MetaPathFinder):
        """`importlib.import_module` raises no "import" event: refuse forbidden names here too.
        (Taken off sys.meta_path, it still leaves the hook, which refuses reading the
        forbidden packages' files.)"""

        def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
            if fullname.partition(".")[0] in forbidden:
                refuse(f"importing {fullname.partition('.')[0]}", ModuleNotFoundError)

    def take() -> tuple[str, ...]:
        done = tuple(refused)
        refused.clear()
        return done

    sys.addaudithook(hook)
    sys.meta_path.insert(0, Blocker())
    return take
