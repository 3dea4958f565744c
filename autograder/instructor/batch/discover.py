"""Finding the submissions in DIR: one per student, from a flat folder or nbgrader's layout;
and the two names a student id gets, since it comes from a student (the folder or file name of
an LMS download, whatever it holds).

A student id is kept exactly as it is (the gradebook's rows, .grading.json); where it is shown
(grades.csv, the printed table, the progress lines, summary.md) it is `shown_id(id)`: every
character that is not printable (control characters such as BEL, tab, newline, escape; bidi
overrides; unpaired surrogates from a name that was not UTF-8) written as a Python escape,
`\\x07`, `\\u202e`, `\\udcff`. Its folder in OUT is `folder_name(id)`: the id itself when it is
a plain name, else a safe name derived from it and marked with `~` and a hash (see there).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.instructor.batch.files import RESERVED_NAMES

_JUNK = frozenset({"__MACOSX", "__pycache__"})
_SUBMISSION_SUFFIXES = (".zip", ".ipynb")


class DiscoveryError(Exception):
    """DIR cannot be read as a batch of submissions; the message says why (a usage error)."""


@dataclass(frozen=True)
class Submission:
    student_id: str
    path: Path
    shown: str = ""  # the path relative to DIR, as feedback and summaries show it
    folder: str = ""  # its folder in OUT, unique in the batch (discover sets it); "": folder_name

    @property
    def label(self) -> str:
        """How feedback, .grading.json and error.txt name it: `shown` (or the name), with
        `shown_id`'s escapes (a name that is not UTF-8 could not even be written as it is)."""
        return shown_id(self.shown or self.path.name)

    @property
    def out_folder(self) -> str:
        """The name of the student's folder in OUT."""
        return self.folder or folder_name(self.student_id)


def shown_id(text: str) -> str:
    """`text` with every character that is not printable written as an escape (`\\x07`): the
    form in which a student id (or any name from DIR) is shown."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


# A plain id is its own folder name: word characters (Unicode letters and digits, `_`), then
# also `.` and `-`; at most 80; no `..`, no trailing `.` (Windows drops it), none of OUT's own
# names, no Windows device name. `~` is never in a plain id: it marks the derived names.
_PLAIN = re.compile(r"\w[\w.-]{0,79}")
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                              *(f"lpt{n}" for n in range(10))})
_HASH_CHARS = 10


def folder_name(student_id: str) -> str:
    """The folder in OUT of this student id alone: the id when it is a plain name, else the
    id's word characters (runs of anything else as one `_`, at most 40 of them, `student`
    when none is left), `~`, and the first 10 hex digits of the id's SHA-256. A plain id has no
    `~`, so a derived name never equals one; two ids of a batch that still clash (one only in
    letter case, on a case-insensitive disk) get derived names from `folder_names`."""
    if _plain(student_id):
        return student_id
    return _derived(student_id, _HASH_CHARS)


def folder_names(student_ids: Iterable[str]) -> dict[str, str]:
    """`folder_name` of every id of a batch, made unique ignoring letter case: ids whose names
    clash get derived names, longer hashes if even those clash."""
    names = {s: folder_name(s) for s in student_ids}
    for length in (_HASH_CHARS, 64):
        taken: dict[str, list[str]] = defaultdict(list)
        for student_id, name in names.items():
            taken[name.casefold()].append(student_id)
        clashing = [s for group in taken.values() if len(group) > 1 for s in group]
        if not clashing:
            break
        names.update({s: _derived(s, length) for s in clashing})
    return names


def _plain(student_id: str) -> bool:
    return (_PLAIN.fullmatch(student_id) is not None and ".." not in student_id
            and not student_id.endswith(".") and student_id.casefold() not in RESERVED_NAMES
            and student_id.split(".")[0].casefold() not in _WINDOWS_DEVICES)


def _derived(student_id: str, length: int) -> str:
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).hexdigest()[:length]
    stem = re.sub(r"[\W_]+", "_", student_id, flags=re.UNICODE).strip("_")[:40].strip("_")
    return f"{stem or 'student'}~{digest}"


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
        lines = [f"  {shown_id(s)}: {', '.join(shown_id(sub.label) for sub in subs)}"
                 for s, subs in sorted(clashes.items())]
        raise DiscoveryError("more than one submission for the same student (keep one, or "
                             "rename them):\n" + "\n".join(lines))
    names = folder_names(found)
    return [replace(subs[0], folder=names[s]) for s, subs in sorted(found.items())]


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
