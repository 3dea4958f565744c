"""The entry point: check the paths, read the submission by its kind, write the modules.

A folder and a `.zip` are both trees of entries (folder.py, archive.py) searched by the same
layout rules (layout.py); a `.ipynb` is split into modules (notebook.py). Everything is read
into memory first; only then is anything written, each module to a fresh file (never through a
link) of an empty work dir, so a submission rejected while reading leaves no module behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from autograder.core.collect.common import (
    MAX_NOTEBOOK_RAW_BYTES,
    Collected,
    Located,
    SubmissionError,
    _read_regular_file,
)
from autograder.core.collect.folder import _FolderSource
from autograder.core.collect.layout import _from_tree
from autograder.registry import EXERCISES, Exercise
from autograder.registry import exercise as lookup


def collect(path: Path, workdir: Path, *, exercises: Sequence[str] | None = None) -> Collected:
    """Copy the exercise modules of the submission at `path` into `workdir`, and the modules of
    the submission they import (`Collected.siblings`), nothing else.

    `workdir` is created; it must be empty if it exists. `exercises` limits the modules taken
    (default: every exercise of the registry; an unknown name is a KeyError).
    Raises SubmissionError when the submission cannot be read at all.
    """
    wanted = _wanted(exercises)
    path = Path(path)
    workdir = Path(workdir)
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link: submit the file or folder itself")
    if not path.exists():
        raise SubmissionError(f"{path.name} was not found")
    _prepare(workdir)

    # (zip and notebook readers are imported when needed: the student loop uses folders only)
    if path.is_dir():
        found = _from_tree(_FolderSource(path), wanted)
    elif path.suffix.lower() == ".zip" and path.is_file():
        from autograder.core.collect.archive import _ZipSource

        with _ZipSource.open(path) as source:
            found = _from_tree(source, wanted)
    elif path.suffix.lower() == ".ipynb" and path.is_file():
        from autograder.core.collect.notebook import _from_notebook

        found = _from_notebook(
            lambda: _read_regular_file(path, MAX_NOTEBOOK_RAW_BYTES, path.name, SubmissionError),
            path.name, wanted)
    else:
        raise SubmissionError(
            f"{path.name} is not a folder, a .zip file or a Jupyter notebook (.ipynb)")

    written: dict[str, Path] = {}
    for name, data in (*found.siblings.items(), *found.modules.items()):
        written[name] = workdir / f"{name}.py"
        _write_new(written[name], data)
    modules = {name: written[name] for name in found.modules}
    siblings = {name: written[name] for name in found.siblings}
    return Collected(modules, found.missing, tuple(found.notes), siblings)


def locate(folder: Path, *, exercises: Sequence[str] | None = None) -> Located:
    """Where the exercise modules of a submission folder are, chosen as `collect` chooses them
    (the layout rules, and the most complete of several copies), found by a shallow walk and
    left where they are: the student loop imports them from there. A folder without modules
    is not read as a notebook: its modules are missing."""
    wanted = _wanted(exercises)
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    found = _from_tree(_FolderSource(folder, shallow=True), wanted, notebooks=False)
    notes = tuple(n for n in found.notes if not n.startswith("ignored "))
    return Located({name: folder / rel for name, rel in found.paths.items()}, found.missing,
                   notes)


def _wanted(exercises: Sequence[str] | None) -> list[Exercise]:
    if exercises is None:
        return list(EXERCISES)
    if isinstance(exercises, str):
        exercises = [exercises]
    return [lookup(name) for name in dict.fromkeys(exercises)]


def _prepare(workdir: Path) -> None:
    if workdir.is_symlink():
        raise ValueError(f"the work dir {workdir} is a symbolic link")
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise ValueError(f"the work dir {workdir} is not empty")


def _write_new(target: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
