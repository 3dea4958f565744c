"""What every step of collecting shares: the size caps, the result records, the two errors, a
read that never follows a link, and the one-line messages that name the submission's files.

Two errors, two audiences of the same student: SubmissionError ends the whole collection (the
submission cannot be read at all), _Unreadable costs one exercise (its message becomes that
exercise's `missing` line) and the others are still taken.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

MiB = 1 << 20
MAX_MODULE_BYTES = 1 * MiB
MAX_NOTEBOOK_BYTES = 20 * MiB  # a notebook's code and text, its stored outputs left out
MAX_NOTEBOOK_RAW_BYTES = 256 * MiB  # a notebook file, outputs (embedded images) included
# JSON brackets and commas in a notebook file: a bound on the values a parse would create
# (a hostile `[[],[],...]` costs ~60 bytes of memory per 3 bytes of file); stored images have none
MAX_NOTEBOOK_PUNCTUATION = 4_000_000
MAX_ZIP_READ_BYTES = 20 * MiB  # everything read from one zip together (a notebook apart)
MAX_HELPER_MODULES = 32  # modules of the submission taken because an exercise module imports them
MAX_ENTRIES = 20_000  # files looked at in a submission folder or zip
LISTED = 10  # ignored files named in a note before "and N more"


_Kind = Literal["file", "symlink", "other", "skipped"]


@dataclass(frozen=True)
class _Entry:
    kind: _Kind
    size: int = 0


class _Source(Protocol):
    """A submission seen as a tree: folder.py walks a folder, archive.py indexes a zip."""

    label: str
    entries: dict[str, _Entry]  # relative POSIX path -> entry; a skipped folder ends with "/"
    notes: list[str]

    def read(self, rel: str, cap: int) -> bytes: ...



@dataclass(frozen=True)
class Collected:
    modules: dict[str, Path]  # exercise name -> the module file written into workdir
    missing: dict[str, str]  # exercise name -> why there is no module (one line for the student)
    notes: tuple[str, ...]  # for the instructor: ignored files, notebook magics dropped, ...
    # module name -> a module of the submission that the taken modules import (a helper like
    # utils.py, or an exercise not graded now): written beside them, never graded
    siblings: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Located:
    """Where a submission folder's exercise modules are, by the same rules as `collect`, without
    copying them (the student loop imports them where they are)."""

    modules: dict[str, Path]  # exercise name -> its module file in the folder
    missing: dict[str, str]  # exercise name -> why there is none (one line for the student)
    notes: tuple[str, ...]  # which copy was taken when there were several, ...


class SubmissionError(Exception):
    """The submission as a whole is unusable; the message is for the student."""


@dataclass
class _Found:
    """What one kind of submission yielded: module bytes, not yet written to the work dir."""

    modules: dict[str, bytes]
    missing: dict[str, str]
    notes: list[str]
    siblings: dict[str, bytes] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # exercise name -> the file taken


class _Unreadable(Exception):
    """One file of the submission cannot be taken; the message says why, for the student."""


def _size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


def _show(text: str, limit: int = 120) -> str:
    """A name or message on one printable line (file names may hold anything)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_regular_file(
    path: Path, cap: int, shown: str, error: type[Exception] = _Unreadable
) -> bytes:
    """The bytes of a regular file, opened without following a link or blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            raise error(f"{shown} is a symbolic link, which is not accepted: "
                        "submit the file itself") from None
        raise error(f"{shown} could not be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{shown} is not a regular file")
        if info.st_size > cap:
            raise error(f"{shown} is {_size(info.st_size)}; the limit is {_size(cap)}")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise error(f"{shown} is bigger than the limit of {_size(cap)}")
    return data


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return shown if len(items) <= LISTED else f"{shown} and {len(items) - LISTED} more"
