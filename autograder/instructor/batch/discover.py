"""Finding the submissions in DIR: one per student, from a flat folder or nbgrader's layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_JUNK = frozenset({"__MACOSX", "__pycache__"})
_SUBMISSION_SUFFIXES = (".zip", ".ipynb")


class DiscoveryError(Exception):
    """DIR cannot be read as a batch of submissions; the message says why (a usage error)."""


@dataclass(frozen=True)
class Submission:
    student_id: str
    path: Path
    shown: str = ""  # the path relative to DIR, as feedback and summaries show it

    @property
    def label(self) -> str:
        return self.shown or self.path.name


def discover(directory: Path, *, out: Path | None = None,
             skipped: list[str] | None = None) -> list[Submission]:
    """One `Submission` per student in `directory`, sorted by student id.

    `out`: the output folder, skipped if it lies in `directory`. `skipped`: if given, receives
    the names of entries that are not submissions. Raises DiscoveryError for a missing folder or
    two entries with the same student id.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DiscoveryError(f"{directory} is not a folder")
    not_submissions = skipped if skipped is not None else []
    nbgrader = directory / "submitted"
    if nbgrader.is_dir() and not nbgrader.is_symlink():
        found = _nbgrader_layout(directory, nbgrader, out, not_submissions)
    else:
        found = _flat_layout(directory, out, not_submissions)
    clashes = {s: subs for s, subs in found.items() if len(subs) > 1}
    if clashes:
        # Grading one of them silently would put a grade in the book that nobody chose.
        lines = [f"  {s}: {', '.join(sub.label for sub in subs)}"
                 for s, subs in sorted(clashes.items())]
        raise DiscoveryError("more than one submission for the same student (keep one, or "
                             "rename them):\n" + "\n".join(lines))
    return [subs[0] for _, subs in sorted(found.items())]


def _nbgrader_layout(directory: Path, nbgrader: Path, out: Path | None,
                     skipped: list[str]) -> dict[str, list[Submission]]:
    """`submitted/<student>/<assignment>/`: every assignment folder, by student."""
    found: dict[str, list[Submission]] = {}
    for student in _listing(nbgrader):
        if _skipped_name(student.name) or _same(student, out):
            continue
        if not student.is_dir() or student.is_symlink():
            skipped.append(f"submitted/{student.name}")
            continue
        assignments = [a for a in _listing(student) if not _skipped_name(a.name) and a.is_dir()]
        # no assignment folder: the student folder itself (the grader says what is missing)
        for path in assignments or [student]:
            shown = path.relative_to(directory).as_posix()
            found.setdefault(student.name, []).append(Submission(student.name, path, shown))
    return found


def _flat_layout(directory: Path, out: Path | None,
                 skipped: list[str]) -> dict[str, list[Submission]]:
    """A folder, a `.zip` or a `.ipynb` per student, by student id (name without suffix)."""
    found: dict[str, list[Submission]] = {}
    for entry in _listing(directory):
        if _skipped_name(entry.name) or _same(entry, out):
            continue
        if entry.is_dir() and _is_output(entry):
            skipped.append(f"{entry.name} (the output of an earlier batch)")
            continue
        if entry.is_dir():
            student_id = entry.name
        elif entry.suffix.lower() in _SUBMISSION_SUFFIXES:
            student_id = entry.stem
        else:
            skipped.append(entry.name)
            continue
        found.setdefault(student_id, []).append(Submission(student_id, entry, entry.name))
    return found


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name in _JUNK


def _same(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _is_output(folder: Path) -> bool:
    """A folder this command wrote (a gradebook and a summary), left in DIR by an earlier run."""
    return (folder / "grades.csv").is_file() and (folder / "summary.md").is_file()


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as error:
        raise DiscoveryError(f"cannot list {folder}: {error.strerror or error}") from None
