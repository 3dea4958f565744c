"""A submission folder as a tree of entries, walked without following a link.

The walk only looks (names, kinds, sizes); reading waits until layout.py has chosen the files,
and then goes through `_read_regular_file`, which refuses links, FIFOs and oversized files.

A shallow walk (the student loop's, which must stay fast in a big folder) only goes into the
folders where the layout rules look for modules; every other folder is one skipped entry, so
the rules decide exactly as on a full walk.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.core.collect.common import MAX_ENTRIES, _Entry, _read_regular_file, _show
from autograder.core.collect.layout import _hidden


class _FolderSource:
    def __init__(self, top: Path, *, shallow: bool = False) -> None:
        self.label = top.name
        self.top = top
        self.entries: dict[str, _Entry] = {}
        self.notes: list[str] = []
        self._places: set[str] | None = _places(top) if shallow else None
        self._walk()

    def _walk(self) -> None:
        stack = [("", self.top)]
        while stack:
            prefix, folder = stack.pop()
            try:
                listing = list(os.scandir(folder))
            except OSError as exc:
                self.notes.append(f"could not list {_show(prefix or '.')}: {exc.strerror or exc}")
                continue
            for item in sorted(listing, key=lambda e: e.name):
                if len(self.entries) >= MAX_ENTRIES:
                    self.notes.append(f"stopped looking after {MAX_ENTRIES} files")
                    return
                rel = prefix + item.name
                try:
                    if item.is_symlink():
                        self.entries[rel] = _Entry("symlink")
                    elif item.is_dir(follow_symlinks=False):
                        if _hidden(item.name):
                            self.entries[rel + "/"] = _Entry("skipped")
                        elif self._places is not None and rel not in self._places:
                            if prefix or _has_entries(Path(item.path)):
                                self.entries[rel + "/"] = _Entry("skipped")
                        else:
                            stack.append((rel + "/", Path(item.path)))
                    elif item.is_file(follow_symlinks=False):
                        self.entries[rel] = _Entry("file", item.stat(follow_symlinks=False).st_size)
                    else:
                        self.entries[rel] = _Entry("other")
                except OSError:
                    self.entries[rel] = _Entry("other")

    def read(self, rel: str, cap: int) -> bytes:
        return _read_regular_file(self.top / rel, cap, _show(rel))


def _places(top: Path) -> set[str]:
    """The folders of `top` where the layout rules may look for modules (layout._roots)."""
    places = {"exercises"}
    try:
        listing = list(os.scandir(top))
    except OSError:
        return places
    tops = [item for item in listing if not _hidden(item.name)
            and (not _is_dir(item) or _has_entries(Path(item.path)))]
    if len(tops) == 1 and _is_dir(tops[0]):
        places |= {tops[0].name, f"{tops[0].name}/exercises"}
    return places


def _is_dir(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _has_entries(folder: Path) -> bool:
    """Whether a full walk would find any entry below `folder` (stops at the first)."""
    stack = [folder]
    while stack:
        try:
            listing = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for item in listing:
            if _is_dir(item) and not _hidden(item.name):
                stack.append(Path(item.path))
            else:
                return True
    return False
