"""A submission folder as a tree of entries, walked without following a link.

The walk only looks (names, kinds, sizes); reading waits until layout.py has chosen the files,
and then goes through `_read_regular_file`, which refuses links, FIFOs and oversized files.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.collect.common import MAX_ENTRIES, _read_regular_file, _show
from autograder.collect.layout import _Entry, _hidden


class _FolderSource:
    def __init__(self, top: Path) -> None:
        self.label = top.name
        self.top = top
        self.entries: dict[str, _Entry] = {}
        self.notes: list[str] = []
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
