"""The unprivileged sandbox user: when the grader is root and bubblewrap cannot run (Docker,
Gradescope, CI), each run's child gets a dedicated uid/gid of its own.

That is what puts root-only files, the grader's process, the kit's files and other runs out of
the child's reach, and what makes `RLIMIT_NPROC` count this run alone. Runs that overlap (a
batch with several jobs) each hold a different uid: a slot is claimed with `flock` on a file in
a root-only folder and released when the run is over. Before and after a run, every process of
the slot's uid is killed and every file it left in the world-writable folders is removed (the
pattern of Autolab's autodriver), so nothing of one run reaches the next.

The uids come from a range no real account uses (`AUTOGRADER_SANDBOX_UIDS`, default
64100-64163); a uid present in /etc/passwd is skipped. They share one primary group,
`SANDBOX_GID`, which is how the interpreter stays reachable when it lives in a private folder
(pyenv under /root, common in containers): `grant_traversal` adds a POSIX ACL entry that lets
this group, and no one else, pass through (not list) the folders on the way to it. What the
sandbox user may reach is asked of the kernel by a helper running as `probe_uid`, a uid no run
holds, so that no run can kill the question and have a refusal read into its crash.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import shutil
import signal
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RANGE = (64100, 64163)
SANDBOX_GID = 64099
_LOCK_DIRS = (Path("/run/autograder-sandbox"), Path("/var/tmp/autograder-sandbox-locks"))
# Where any user may create files: what a run leaves there is removed after it.
WORLD_WRITABLE = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"),
                  Path("/dev/mqueue"))


def uid_range() -> range:
    text = os.environ.get("AUTOGRADER_SANDBOX_UIDS", "")
    low, high = DEFAULT_RANGE
    if text:
        first, _, last = text.partition("-")
        low, high = int(first), int(last or first)
    return range(low, high + 1)


@dataclass(frozen=True)
class SandboxUser:
    uid: int
    gid: int
    lock_fd: int  # held (flock) while the slot is in use


def _lock_dir() -> Path:
    """A folder only root can write, for the slot locks (a student's run must not plant one)."""
    for folder in _LOCK_DIRS:
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(folder)
            if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022:
                return folder
    raise OSError("no root-owned folder for the sandbox user locks (/run or /var/tmp)")


def _is_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def sandbox_user() -> Iterator[SandboxUser]:
    """Claim a free sandbox uid for one run; clean up after it whatever happens."""
    folder = _lock_dir()
    for uid in uid_range():
        if _is_account(uid):
            continue
        fd = os.open(folder / f"uid-{uid}", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        user = SandboxUser(uid, SANDBOX_GID, fd)
        try:
            clean_up(user.uid)  # what a grader that died mid-run may have left
            yield user
        finally:
            try:
                clean_up(user.uid)
            finally:
                os.close(fd)  # releases the lock
        return
    raise OSError(f"every sandbox uid in {uid_range().start}-{uid_range().stop - 1} is in use")


def clean_up(uid: int) -> None:
    kill_user(uid)
    remove_files_of(uid)


_ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2
_USER_OBJ, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x04, 0x08, 0x10, 0x20
_UNDEFINED_ID = 0xFFFFFFFF
_EXECUTE = 1


def grant_traversal(path: Path) -> list[Path]:
    """Let the sandbox group pass through every folder above `path` that stops it; return the
    folders changed. Raises OSError where ACLs cannot be set or the kernel could not be asked."""
    changed = []
    target = Path(path).resolve()
    for child in [*reversed(target.parents[:-1]), target]:  # from / down
        if access_error(child, traverse_only=True) == errno.EACCES:  # x missing on its parent
            _add_group_execute(child.parent, SANDBOX_GID)
            changed.append(child.parent)
    return changed


def _add_group_execute(folder: Path, gid: int) -> None:
    """Add execute for group `gid` to the folder's access ACL (creating one from its mode bits).

    A named group entry replaces what "other" grants to the group's members, so the entry
    keeps other's rights too: it may only ever add (a bare `--x` on /tmp would take away the
    sandbox's write there)."""
    table = _read_acl(folder)
    other = table[(_OTHER, _UNDEFINED_ID)]
    _write_acl(folder, table, table.get((_GROUP, gid), 0) | other | _EXECUTE, gid)


def heal_narrowed(folders: tuple[Path, ...] = (Path("/"), *WORLD_WRITABLE)) -> list[Path]:
    """Widen a sandbox-group entry that grants less than "other" does (what kits before this
    one wrote on / and /tmp); return the folders changed."""
    healed = []
    for folder in folders:
        with contextlib.suppress(OSError):
            table = _read_acl(folder)
            entry = table.get((_GROUP, SANDBOX_GID))
            other = table[(_OTHER, _UNDEFINED_ID)]
            if entry is not None and other & ~entry:
                _write_acl(folder, table, entry | other, SANDBOX_GID)
                healed.append(folder)
    return healed


def _read_acl(folder: Path) -> dict[tuple[int, int], int]:
    """The folder's access ACL as {(tag, id): permission bits}, from its mode where it has none."""
    mode = os.stat(folder).st_mode
    try:
        raw = os.getxattr(folder, _ACL_XATTR)
        entries = [struct.unpack_from("<HHI", raw, 4 + 8 * i) for i in range((len(raw) - 4) // 8)]
    except OSError:
        entries = [(_USER_OBJ, (mode >> 6) & 7, _UNDEFINED_ID),
                   (_GROUP_OBJ, (mode >> 3) & 7, _UNDEFINED_ID), (_OTHER, mode & 7, _UNDEFINED_ID)]
    return {(tag, ident): perm for tag, perm, ident in entries}


def _write_acl(folder: Path, table: dict[tuple[int, int], int], perm: int, gid: int) -> None:
    """Write `table` with group `gid` given `perm`. The mask caps named entries and the owning
    group alike and never raises the owning group above its own bits, so widening it to the
    new entry grants no one else anything."""
    table = {**table, (_GROUP, gid): perm}
    group_obj = table.get((_GROUP_OBJ, _UNDEFINED_ID), 0)
    table[(_MASK, _UNDEFINED_ID)] = table.get((_MASK, _UNDEFINED_ID), group_obj) | perm
    data = struct.pack("<I", _ACL_VERSION) + b"".join(
        struct.pack("<HHI", tag, bits, ident) for (tag, ident), bits in sorted(table.items()))
    os.setxattr(folder, _ACL_XATTR, data)


def kill_user(uid: int) -> None:
    """SIGKILL every process of `uid`, and reap those that are our children.

    A helper forked from here becomes `uid` and calls kill(-1, SIGKILL), which the kernel
    delivers to every process of that uid but the caller, in one step; it repeats until none
    is left (a fork bomb races it, bounded by RLIMIT_NPROC).
    """
    pid = os.fork()
    if pid == 0:  # the helper: only system calls from here on
        code = 0
        try:
            os.setgroups([])
            os.setgid(SANDBOX_GID)
            os.setuid(uid)
            for _ in range(1000):
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError as error:
                    if error.errno == errno.ESRCH:
                        break
                    raise
        except BaseException:
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)
    reap_children_of(uid)


def _uid_of(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reap_children_of(uid: int) -> None:
    """Wait for the dead processes of `uid` that came back to us (we are a child subreaper),
    so that their zombies do not count against the uid's RLIMIT_NPROC."""
    me = os.getpid()
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                stat_line = Path(f"/proc/{pid}/stat").read_bytes()
                parent = int(stat_line[stat_line.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == me and _uid_of(pid) == uid:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)


def remove_files_of(uid: int) -> None:
    """Remove what `uid` created in the world-writable folders (only there can it create
    anything outside its job folder). World-writable subfolders are searched too."""
    for top in WORLD_WRITABLE:
        _remove_owned(top, uid, depth=0)


def _remove_owned(folder: Path, uid: int, depth: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        path = Path(entry.path)
        if info.st_uid == uid:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)  # never follows links
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002 and depth < 4:
            _remove_owned(path, uid, depth + 1)


def probe_uid() -> int:
    """The uid that asks the kernel what the sandbox user may reach: outside the run range, so
    no run (nor its clean-up's kill of every process of its uid) can stop the question."""
    last = uid_range().stop
    return next(u for u in range(last, last + 1000) if not _is_account(u))


_PROBE_FAILED = 3


def access_error(path: Path, *, traverse_only: bool = False) -> int:
    """0 if a sandbox user can read `path` (with `traverse_only`, can stat it: pass through
    every folder above it), else the errno the kernel answered. Asked by a forked helper that
    becomes a sandbox-class user, so the kernel's own permission check answers; raises OSError
    when the helper could not ask (a refusal must never be guessed from a crash)."""
    pid = os.fork()
    if pid == 0:
        code = _PROBE_FAILED
        try:
            os.setgroups([])
            os.setgid(SANDBOX_GID)
            os.setuid(probe_uid())
            try:
                if traverse_only:
                    os.stat(path)
                elif os.path.isdir(path):
                    os.listdir(path)
                else:
                    with open(path, "rb") as handle:
                        handle.read(1)
                code = 0
            except OSError as error:
                code = 100 + min(error.errno or 0, 100)
        except BaseException:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0 or code >= 100:
        return code - 100 if code else 0
    raise OSError(f"could not ask what the sandbox user may read at {path} (helper: {code})")


def can_read(path: Path, *, traverse_only: bool = False) -> bool:
    """Whether a sandbox user can read `path` (or only pass through it)."""
    return access_error(path, traverse_only=traverse_only) == 0


def chown_for(user: SandboxUser, *paths: Path) -> None:
    for path in paths:
        os.chown(path, user.uid, user.gid, follow_symlinks=False)
        os.chmod(path, 0o700)
