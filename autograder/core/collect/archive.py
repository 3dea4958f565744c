"""A `.zip` submission as a tree of entries, read member by member and never extracted.

Nothing in the archive is trusted: member paths that could escape (absolute, a drive, `..`, a
NUL) are rejected, sizes in the headers are checked but not relied on (a read stops at the cap
whatever the header claims), and everything read from one zip together is capped too, so a zip
bomb fails fast.
"""

from __future__ import annotations

import contextlib
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

from autograder.core.collect.common import (
    MAX_ENTRIES,
    MAX_ZIP_READ_BYTES,
    SubmissionError,
    _Entry,
    _Kind,
    _listing,
    _show,
    _size,
    _Unreadable,
)
from autograder.core.collect.layout import _hidden

_DRIVE = re.compile(r"^[A-Za-z]:")  # `C:...` is absolute where the zip was made


class _ZipSource:
    def __init__(self, label: str, archive: zipfile.ZipFile) -> None:
        self.label = label
        self.archive = archive
        self.entries: dict[str, _Entry] = {}
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.notes: list[str] = []
        self.read_so_far = 0
        self._index()

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[_ZipSource]:
        try:
            archive = zipfile.ZipFile(path)
        except OSError as exc:
            raise SubmissionError(f"{path.name} could not be read ({exc.strerror or exc})") from None
        except Exception:  # BadZipFile and whatever else a hostile central directory provokes
            raise SubmissionError(f"{path.name} is not a valid zip file") from None
        with archive:
            yield cls(path.name, archive)

    def _index(self) -> None:
        unsafe: list[str] = []
        duplicates: list[str] = []
        infos = self.archive.infolist()
        if len(infos) > MAX_ENTRIES:
            self.notes.append(f"the zip holds {len(infos)} entries; looked at the first {MAX_ENTRIES}")
        for info in infos[:MAX_ENTRIES]:
            raw = info.filename.replace("\\", "/")
            parts = raw.split("/")
            if raw.startswith("/") or _DRIVE.match(raw) or ".." in parts or "\x00" in raw:
                unsafe.append(_show(info.filename, 60))
                continue
            mode = info.external_attr >> 16
            if raw.endswith("/") or stat.S_ISDIR(mode):
                continue
            rel = "/".join(part for part in parts if part not in ("", "."))
            if not rel:
                continue
            hidden_at = next((i for i, part in enumerate(rel.split("/")) if _hidden(part)), None)
            if hidden_at is not None and hidden_at < rel.count("/"):
                # inside a hidden folder (__MACOSX/, .git/): one entry for the folder
                self.entries["/".join(rel.split("/")[: hidden_at + 1]) + "/"] = _Entry("skipped")
                continue
            if stat.S_ISLNK(mode):
                kind: _Kind = "symlink"
            elif stat.S_IFMT(mode) in (0, stat.S_IFREG):  # zipfile writes no type bits
                kind = "file"
            else:
                kind = "other"
            if rel in self.entries:
                duplicates.append(_show(rel, 60))
            self.entries[rel] = _Entry(kind, info.file_size)
            self.infos[rel] = info
        if unsafe:
            self.notes.append(f"rejected {len(unsafe)} zip member(s) with an unsafe path: "
                              + _listing(unsafe))
        if duplicates:
            self.notes.append("zip members that appear more than once (the last one counts): "
                              + _listing(duplicates))

    def read(self, rel: str, cap: int) -> bytes:
        info = self.infos[rel]
        shown = _show(rel)
        if info.file_size > cap:
            raise _Unreadable(f"{shown} is {_size(info.file_size)}; the limit is {_size(cap)}")
        if info.flag_bits & 0x1:
            raise _Unreadable(f"{shown} is encrypted in the zip")
        counted = cap <= MAX_ZIP_READ_BYTES  # a notebook (stored outputs) has a cap of its own
        if counted and self.read_so_far + info.file_size > MAX_ZIP_READ_BYTES:
            raise _Unreadable(f"{shown} was not read: the zip holds more than "
                              f"{_size(MAX_ZIP_READ_BYTES)} of exercise files")
        try:
            with self.archive.open(info) as member:
                # reads at most cap + 1 bytes whatever the header claims: a bomb stops here
                data = member.read(cap + 1)
        except Exception as exc:  # CRC errors, unsupported compression, truncated data, ...
            raise _Unreadable(f"{shown} could not be read from the zip ({_show(str(exc), 80)})") \
                from None
        self.read_so_far += len(data) if counted else 0
        if len(data) > cap:
            raise _Unreadable(f"{shown} is bigger than the limit of {_size(cap)}")
        return data
