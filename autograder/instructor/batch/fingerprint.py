"""What --resume compares: the content hash of a submission and the settings that make a grade
(the exercises, the seed, the data profile, the timeout, the kit's version and fingerprint)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import autograder
from autograder.instructor.batch.discover import DiscoveryError
from autograder.registry import EXERCISE_TIMEOUT_S, EXERCISES

_CHUNK = 1 << 20
# Paths of the `autograder` package left out of the kit fingerprint: they decide how a batch
# runs and what the command prints, never a grade, so editing them does not regrade a class.
_NOT_GRADING = ("cli.py",)
_NOT_GRADING_PACKAGES = ("instructor/batch/",)


def content_hash(path: Path) -> str:
    """sha256 of a submission: of a file's bytes, or, for a folder, of the relative path and
    bytes of every regular file in it (sorted; links are hashed as links, never followed)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_symlink():
        digest.update(b"L" + os.fsencode(os.readlink(path)))
    elif path.is_dir():
        for rel, full, kind in _walk(path):
            digest.update(kind + os.fsencode(rel) + b"\0")
            if kind == b"F":
                _hash_file(digest, full)
            elif kind == b"L":
                digest.update(os.fsencode(os.readlink(full)))
            digest.update(b"\0")
    elif path.exists():
        _hash_file(digest, path)
    else:
        digest.update(b"missing")
    return digest.hexdigest()


def kit_fingerprint(solutions: Path | None = None) -> str:
    """sha256 of what decides a grade besides the submission: the `autograder` package's Python
    and JSON files (grading code, checks, stored fixtures; not the command line or this
    package) and the reference solutions' modules."""
    package = Path(autograder.__file__).resolve().parent
    if solutions is None:
        from autograder.grading.options import KIT_ROOT

        solutions = KIT_ROOT / "solutions"
    digest = hashlib.sha256()
    roots = (("autograder", package), ("solutions", Path(solutions)))
    for label, root in roots:
        if not root.is_dir():
            digest.update(f"{label}: missing\0".encode())
            continue
        for rel, full, kind in _walk(root):
            if kind != b"F" or not rel.endswith((".py", ".json")) or "__pycache__" in rel:
                continue
            if label == "autograder" and (rel in _NOT_GRADING
                                          or rel.startswith(_NOT_GRADING_PACKAGES)):
                continue
            digest.update(f"{label}/{rel}\0".encode())
            _hash_file(digest, full)
            digest.update(b"\0")
    return digest.hexdigest()


def grading_settings(*, only: Sequence[str] = (), seed: int | None = None,
                     profile: str | None = None, timeout_s: float = EXERCISE_TIMEOUT_S) -> dict[str, Any]:
    """Everything besides the submission that decides its grade, as a JSON-able dict."""
    from autograder.grading.options import default_seed
    from autograder.registry import exercise as lookup

    exercises = [lookup(name).name for name in dict.fromkeys(only)] or [e.name for e in EXERCISES]
    return {
        "exercises": exercises,
        "seed": default_seed() if seed is None else int(seed),
        "profile": _profile(exercises, profile),
        "timeout_s": float(timeout_s),
        "kit_version": autograder.__version__,
        "kit": kit_fingerprint(),
    }


def _profile(exercises: Sequence[str], profile: str | None) -> str:
    """The data profile every grading of this batch uses ("" without the MNIST exercise)."""
    # Resolved here, once, so that every worker (on any machine) grades with the same data.
    if "cnn" not in exercises:
        return ""
    from autograder.core import data
    from autograder.grading.options import Options

    if profile is None:
        return Options(only=tuple(exercises)).resolved_profile()
    if profile not in data.PROFILES:
        raise DiscoveryError(f"unknown data profile {profile!r}; choose from: "
                             f"{', '.join(data.PROFILES)}")
    return profile


def _hash_file(digest: Any, path: Path) -> None:
    """Feed a regular file's bytes to `digest`, without following a link or blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        digest.update(f"unreadable:{error.errno}".encode())
        return
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            digest.update(b"not a regular file")
            return
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def _walk(top: Path) -> Iterator[tuple[str, Path, bytes]]:
    """(relative POSIX path, path, kind F/L/O) of every non-directory under `top`, sorted."""
    stack = [("", top)]
    entries: list[tuple[str, Path, bytes]] = []
    while stack:
        prefix, folder = stack.pop()
        try:
            listing = list(os.scandir(folder))
        except OSError as error:
            entries.append((prefix + "/", folder, f"E{error.errno}".encode()))
            continue
        for item in listing:
            rel = f"{prefix}/{item.name}" if prefix else item.name
            if item.is_symlink():
                entries.append((rel, Path(item.path), b"L"))
            elif item.is_dir(follow_symlinks=False):
                stack.append((rel, Path(item.path)))
            elif item.is_file(follow_symlinks=False):
                entries.append((rel, Path(item.path), b"F"))
            else:
                entries.append((rel, Path(item.path), b"O"))
    yield from sorted(entries, key=lambda e: e[0])
