"""`autograder batch DIR --out OUT`: grade a folder of submissions, one per student.

    discover(DIR) -> [Submission(student_id, path)]
      -> per submission: content hash + grading settings; with --resume, skip it when
         OUT/<student>/.grading.json records the same hash, the same settings and the sha256 of
         the result.json that is there
      -> grade_one(path, options) in a process pool (--jobs) or on a Dask cluster (--scheduler):
         the same top-level function, plain arguments, a plain dict back; each grading still
         runs the student's code in the sandbox of the machine it lands on
      -> as each result arrives: OUT/<student>/result.json, feedback.md, feedback.html,
         results.json (atomic), then .grading.json (atomic, last: the mark of a finished result)
      -> OUT/grades.csv and OUT/summary.md (atomic), the gradebook on stdout

What counts as a submission (in DIR, hidden entries, `__MACOSX` and the OUT folder skipped):
a folder, a `.zip` or a `.ipynb` per student, the student id being the folder name or the file
name without its suffix (a folder holding grades.csv and summary.md, the output of an earlier
batch, is not a student); or, when DIR holds nbgrader's `submitted/` folder, one
`submitted/<student>/<assignment>/` folder per student (everything else in DIR is ignored).
Two entries that give the same student id (`alice/` and `alice.zip`, or two assignments of one
nbgrader student) are a usage error that names both: grading one of them silently would put
a grade in the book that nobody chose. Other files in DIR are listed and skipped.

The status column of grades.csv:
    graded     the submission was graded (whatever its score; code that crashed or broke a
               rule scores 0 on those checks and is still "graded")
    timeout    graded, and at least one check ran out of time
    malformed  the submission could not be read at all (a bad zip, a notebook that is not
               JSON, ...): every check scored 0 with that reason
    error      grading it failed (a bug of the grader or a lost worker): score 0, the error in
               summary.md and OUT/<student>/error.txt; never counted as finished, so --resume
               tries it again

Resume: the settings that make a grade are the exercises, the seed, the data profile (resolved
here, so every worker uses the same one), the worker timeout, the kit version and a fingerprint
of the kit's grading code, checks and stored fixtures and of the reference solutions (the
hidden checks' expected values): change any of them and --resume regrades. A killed batch
loses no finished result; what was in flight is graded again.

On a Dask cluster the workers must see the submissions at the same path (a shared file
system); the results come back to this process, which alone writes OUT.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import hashlib
import io
import json
import math
import multiprocessing
import os
import stat
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import autograder
from autograder.registry import EXERCISES
from autograder.results import SubmissionResult

__all__ = [
    "BatchReport",
    "DiscoveryError",
    "Row",
    "Submission",
    "content_hash",
    "discover",
    "grade_one",
    "gradebook_csv",
    "grading_settings",
    "kit_fingerprint",
    "main",
    "run",
    "summary_markdown",
]

STATE_FILE = ".grading.json"
ERROR_FILE = "error.txt"
STATE_FORMAT = 1
OUTPUT_FILES = ("result.json", "feedback.md", "feedback.html", "results.json")
STATUSES = ("graded", "timeout", "malformed", "error")
_JUNK = frozenset({"__MACOSX", "__pycache__"})
_SUBMISSION_SUFFIXES = (".zip", ".ipynb")
_CHUNK = 1 << 20


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


# --- discovery -------------------------------------------------------------------------------


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name in _JUNK


def _same(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


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
    found: dict[str, list[Submission]] = {}
    nbgrader = directory / "submitted"
    if nbgrader.is_dir() and not nbgrader.is_symlink():
        for student in _listing(nbgrader):
            if _skipped_name(student.name) or _same(student, out):
                continue
            if not student.is_dir() or student.is_symlink():
                if skipped is not None:
                    skipped.append(f"submitted/{student.name}")
                continue
            assignments = [a for a in _listing(student)
                           if not _skipped_name(a.name) and a.is_dir()]
            # no assignment folder: the student folder itself (the grader says what is missing)
            for path in assignments or [student]:
                shown = path.relative_to(directory).as_posix()
                found.setdefault(student.name, []).append(Submission(student.name, path, shown))
    else:
        for entry in _listing(directory):
            if _skipped_name(entry.name) or _same(entry, out):
                continue
            if entry.is_dir() and _is_output(entry):
                if skipped is not None:
                    skipped.append(f"{entry.name} (the output of an earlier batch)")
                continue
            if entry.is_dir():
                student_id = entry.name
            elif entry.suffix.lower() in _SUBMISSION_SUFFIXES:
                student_id = entry.stem
            else:
                if skipped is not None:
                    skipped.append(entry.name)
                continue
            found.setdefault(student_id, []).append(Submission(student_id, entry, entry.name))
    clashes = {s: subs for s, subs in found.items() if len(subs) > 1}
    if clashes:
        lines = [f"  {s}: {', '.join(sub.label for sub in subs)}"
                 for s, subs in sorted(clashes.items())]
        raise DiscoveryError("more than one submission for the same student (keep one, or "
                             "rename them):\n" + "\n".join(lines))
    return [subs[0] for _, subs in sorted(found.items())]


def _is_output(folder: Path) -> bool:
    """A folder this command wrote (a gradebook and a summary), left in DIR by an earlier run."""
    return (folder / "grades.csv").is_file() and (folder / "summary.md").is_file()


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as error:
        raise DiscoveryError(f"cannot list {folder}: {error.strerror or error}") from None


# --- content hash and settings ---------------------------------------------------------------


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


def kit_fingerprint(solutions: Path | None = None) -> str:
    """sha256 of what decides a grade besides the submission: the `autograder` package's Python
    and JSON files (grading code, checks, stored fixtures; not the command line or this module)
    and the reference solutions' modules."""
    package = Path(autograder.__file__).resolve().parent
    if solutions is None:
        from autograder.grade import KIT_ROOT

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
            if label == "autograder" and rel in ("batch.py", "cli.py"):
                continue
            digest.update(f"{label}/{rel}\0".encode())
            _hash_file(digest, full)
            digest.update(b"\0")
    return digest.hexdigest()


def _profile(exercises: Sequence[str], profile: str | None) -> str:
    """The data profile every grading of this batch uses ("" without the MNIST exercise)."""
    if "cnn" not in exercises:
        return ""
    from autograder import data
    from autograder.grade import Options

    if profile is None:
        return Options(only=tuple(exercises)).resolved_profile()
    if profile not in data.PROFILES:
        raise DiscoveryError(f"unknown data profile {profile!r}; choose from: "
                             f"{', '.join(data.PROFILES)}")
    return profile


def grading_settings(*, only: Sequence[str] = (), seed: int | None = None,
                     profile: str | None = None, timeout_s: float = 120.0) -> dict[str, Any]:
    """Everything besides the submission that decides its grade, as a JSON-able dict."""
    from autograder.grade import default_seed
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


# --- the task: the same function on a local process pool and on a Dask worker ----------------


def grade_one(path: str, options: dict[str, Any], shown: str = "") -> dict[str, Any]:
    """Grade the submission at `path` and return `SubmissionResult.to_dict()`.

    `options`: `{"exercises": [...], "seed": int, "profile": str, "timeout_s": float,
    "hide": [paths]}` (plain values, so that it pickles to any worker). `shown` replaces the
    absolute path in the result (feedback shows the submission's name, not the grader's disk).
    """
    from autograder.grade import Options, grade

    graded = grade(Path(path), Options(only=tuple(options["exercises"]), seed=int(options["seed"]),
                                       profile=options.get("profile") or None,
                                       timeout_s=float(options["timeout_s"]),
                                       hide=tuple(Path(p) for p in options.get("hide", ()))),
                   label=shown or None)
    return graded.to_dict()


# --- rows, gradebook and summary -------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook."""

    student_id: str
    status: str  # one of STATUSES
    result: SubmissionResult | None = None  # None: status "error"
    error: str = ""  # status "error": what went wrong, one line
    resumed: bool = False  # taken from an earlier run

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def duration_s(self) -> float:
        return self.result.duration_s if self.result else 0.0


def status_of(result: SubmissionResult) -> str:
    """`malformed`, `timeout` or `graded` (see the module docstring)."""
    checks = [c for e in result.exercises for c in e.checks]
    if result.errors:  # grade() could not read the submission at all
        return "malformed"
    if any(c.status == "timeout" for c in checks):
        return "timeout"
    return "graded"


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def _max_score(rows: Sequence[Row]) -> float | None:
    return next((r.result.max_score for r in rows if r.result), None)


def _exercise_columns(rows: Sequence[Row], settings: dict[str, Any] | None) -> list[str]:
    if settings:
        return list(settings["exercises"])
    names = {e.name for r in rows if r.result for e in r.result.exercises}
    return [e.name for e in EXERCISES if e.name in names]


def gradebook_csv(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """grades.csv: `student_id, score, max_score, status, <exercise>..., duration_s`, one row
    per student sorted by id (an error row scores 0 and leaves its exercises empty)."""
    exercises = _exercise_columns(rows, settings)
    maximum = _max_score(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "score", "max_score", "status", *exercises, "duration_s"])
    for row in sorted(rows, key=lambda r: r.student_id):
        scores = {e.name: e.score for e in row.result.exercises} if row.result else {}
        top = row.result.max_score if row.result else maximum
        writer.writerow([row.student_id, _points(row.score), "" if top is None else _points(top),
                         row.status, *(_points(scores[n]) if n in scores else "" for n in exercises),
                         f"{row.duration_s:.2f}"])
    return buffer.getvalue()


def _md(text: str, width: int = 160) -> str:
    """One line of table-safe Markdown."""
    line = " ".join(text.split())
    if len(line) > width:
        line = line[: width - 3] + "..."
    for ch in "\\`|<>[]*_#":
        line = line.replace(ch, "\\" + ch)
    return line


def _first_line(text: str) -> str:
    return next((s.strip() for s in text.splitlines() if s.strip()), "")


def _reason(row: Row) -> str:
    if row.result is None:
        return row.error
    if row.status == "malformed":
        return row.result.errors[0]
    if row.status == "timeout":
        timed_out = [c for e in row.result.exercises for c in e.checks if c.status == "timeout"]
        return f"{len(timed_out)} check(s) timed out, first: {timed_out[0].id}: " \
               f"{_first_line(timed_out[0].message)}"
    return ""


def _histogram(percents: Sequence[float]) -> list[str]:
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    widest = max(bins, default=0)
    lines = ["```text"]
    for i, count in enumerate(bins):
        label = f"{i * 10}–{i * 10 + 9 if i < 9 else 100}%"
        bar = "#" * (round(40 * count / widest) if widest else 0)
        lines.append(f"{label:>8} | {bar}{' ' if bar else ''}{count}")
    lines.append("```")
    return lines


def summary_markdown(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """summary.md: totals, a score histogram, each check's pass count, and the submissions
    that need a look. Deterministic: nothing in it depends on timing or order of arrival."""
    rows = sorted(rows, key=lambda r: r.student_id)
    with_result = [r for r in rows if r.result]
    maximum = _max_score(rows)
    lines = ["# Batch summary", ""]
    if settings:
        lines += [f"Exercises: {', '.join(settings['exercises'])} · seed {settings['seed']}"
                  + (f" · data profile {settings['profile']}" if settings["profile"] else "")
                  + f" · kit {settings['kit_version']}", ""]
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines += [f"**{len(rows)} students**: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
              + ".", ""]
    if with_result and maximum:
        scores = [r.score for r in with_result]
        lines += [f"Score out of {_points(maximum)}, over the {len(scores)} students with a result: "
                  f"mean {_points(statistics.fmean(scores))}, median "
                  f"{_points(statistics.median(scores))}, min {_points(min(scores))}, max "
                  f"{_points(max(scores))}; full marks: {sum(s >= maximum for s in scores)}.", ""]
        lines += ["## Score histogram", "", "Percent of the maximum, 10-point bins:", ""]
        lines += [*_histogram([100 * s / maximum for s in scores]), ""]
    lines += _check_table(with_result)
    attention = [r for r in rows if r.status != "graded"]
    lines += ["## Submissions that errored, timed out or could not be read", ""]
    if attention:
        lines += ["| student | status | reason |", "|---|---|---|"]
        lines += [f"| {_md(r.student_id)} | {r.status} | {_md(_reason(r))} |" for r in attention]
    else:
        lines.append("None.")
    lines.append("")
    notes = [(r, e) for r in with_result if r.status == "graded" and r.result
             for e in r.result.exercises if e.note]
    if notes:
        lines += ["## Exercises that could not run", "",
                  "A missing module, a syntax error, or code that crashed on import: scored 0 "
                  "for that exercise.", "", "| student | exercise | note |", "|---|---|---|"]
        lines += [f"| {_md(r.student_id)} | {e.name} | {_md(_first_line(e.note))} |"
                  for r, e in notes]
        lines.append("")
    return "\n".join(lines)


def _check_table(with_result: Sequence[Row]) -> list[str]:
    if not with_result:
        return []
    order: dict[tuple[str, str], tuple[str, str]] = {}  # (exercise, id) -> (visibility, title)
    passed: dict[tuple[str, str], int] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in with_result:
        assert row.result is not None
        for exercise in row.result.exercises:
            for check in exercise.checks:
                key = (exercise.name, check.id)
                order.setdefault(key, (check.visibility, check.name))
                seen[key] = seen.get(key, 0) + 1
                passed[key] = passed.get(key, 0) + (check.status == "pass")
    lines = ["## Checks", "", f"Students who passed each check, out of those with a result "
             f"({len(with_result)}), in course order:", "",
             "| exercise | check | visibility | passed | % |", "|---|---|---|---:|---:|"]
    for key, (visibility, _title) in order.items():
        n, total = passed[key], seen[key]
        lines.append(f"| {key[0]} | `{key[1]}` | {visibility} | {n}/{total} | "
                     f"{round(100 * n / total)} |")
    hardest = sorted(order, key=lambda k: passed[k] / seen[k])[:5]
    hardest = [k for k in hardest if passed[k] < seen[k]]
    if hardest:
        lines += ["", "Hardest: " + ", ".join(f"`{k[1]}` ({passed[k]}/{seen[k]})" for k in hardest)
                  + "."]
    return [*lines, ""]


# --- writing ---------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_finished(folder: Path, digest: str, settings: dict[str, Any]) -> SubmissionResult | None:
    """The result in `folder` if it is the finished grade of this content with these settings."""
    try:
        state = json.loads((folder / STATE_FILE).read_text())
        if (state.get("format") != STATE_FORMAT or state.get("hash") != digest
                or state.get("settings") != settings):
            return None
        data = (folder / "result.json").read_bytes()
        if _sha256(data) != state.get("result_sha256"):
            return None
        return SubmissionResult.from_dict(json.loads(data))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _record(folder: Path, submission: Submission, digest: str, settings: dict[str, Any],
            result: SubmissionResult) -> None:
    """Write the student's files; .grading.json last, so that it marks a finished result."""
    from autograder.grade import write_outputs

    folder.mkdir(parents=True, exist_ok=True)
    (folder / STATE_FILE).unlink(missing_ok=True)
    (folder / ERROR_FILE).unlink(missing_ok=True)
    write_outputs(result, folder)
    state = {"format": STATE_FORMAT, "student_id": submission.student_id,
             "submission": submission.label, "hash": digest, "settings": settings,
             "result_sha256": _sha256((folder / "result.json").read_bytes()),
             "status": status_of(result),
             "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    _write_atomic(folder / STATE_FILE, json.dumps(state, indent=2))


def _record_error(folder: Path, submission: Submission, text: str) -> None:
    """An error row leaves error.txt and no result (stale files of an earlier run go)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (STATE_FILE, *OUTPUT_FILES):
        (folder / name).unlink(missing_ok=True)
    _write_atomic(folder / ERROR_FILE, f"Grading {submission.label} failed:\n\n{text}")


# --- progress --------------------------------------------------------------------------------


class Progress:
    """One line on a terminal, updated in place; a line per submission otherwise."""

    WIDTH = 24

    def __init__(self, total: int, parallel: int, stream: TextIO | None) -> None:
        self.total, self.parallel, self.stream = total, max(parallel, 1), stream
        self.done = self.errors = 0
        self.durations: list[float] = []
        self.tty = bool(stream and hasattr(stream, "isatty") and stream.isatty())
        self._shown = 0

    def eta(self) -> str:
        left = self.total - self.done
        if not left:
            return "done"
        if not self.durations:
            return "estimating time left"
        seconds = statistics.fmean(self.durations) * math.ceil(left / self.parallel)
        if seconds < 90:
            return f"~{max(round(seconds), 1)} s left"
        return f"~{round(seconds / 60)} min left"

    def start(self, resumed: int) -> None:
        if self.stream is None:
            return
        if resumed:
            print(f"{resumed} unchanged submission(s) kept from the last run (--resume)",
                  file=self.stream, flush=True)
        if self.total:
            print(f"Grading {self.total} submission(s), {self.parallel} at a time",
                  file=self.stream, flush=True)
        self._draw("")

    def advance(self, row: Row) -> None:
        self.done += 1
        self.errors += row.status == "error"
        if row.result is not None:
            self.durations.append(row.duration_s)
        score = (f"{_points(row.result.score)}/{_points(row.result.max_score)}" if row.result
                 else "-")
        self._draw(f"{row.student_id}: {score} {row.status}")

    def _draw(self, last: str) -> None:
        if self.stream is None or not self.total:
            return
        errors = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
        counts = f"{self.done}/{self.total} graded{errors}, {self.eta()}"
        if self.tty:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + (">" if filled < self.WIDTH else "") + "-" * (self.WIDTH - filled - 1)
            text = f"[{bar}] {counts}"
            pad = " " * max(self._shown - len(text), 0)
            self._shown = len(text)
            self.stream.write(f"\r{text}{pad}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif last:
            print(f"[{self.done}/{self.total}] {last} ({counts})", file=self.stream, flush=True)

    def close(self) -> None:
        if self.stream is not None and self.tty and 0 < self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()


# --- running ---------------------------------------------------------------------------------


@dataclass
class BatchReport:
    out: Path
    settings: dict[str, Any]
    rows: list[Row]
    graded: list[str] = field(default_factory=list)  # student ids graded in this run
    resumed: list[str] = field(default_factory=list)  # kept from an earlier run
    skipped_entries: list[str] = field(default_factory=list)  # entries of DIR that are not submissions
    wall_s: float = 0.0
    parallel: int = 1


# A task's outcome as it arrives: (submission, the result dict, or the error text)
_Done = tuple[Submission, dict[str, Any] | None, str]
_Runner = Callable[[Sequence[Submission], dict[str, Any]], Iterator[_Done]]


def _error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).rstrip()


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {_first_line(str(error))}".rstrip(": ")


def _local_runner(jobs: int) -> _Runner:
    def run_all(pending: Sequence[Submission], options: dict[str, Any]) -> Iterator[_Done]:
        broken: list[Submission] = []
        # spawn: a fresh interpreter per worker, no locks inherited from this process's threads
        # (the sandbox forks from the worker with a preexec_fn)
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(grade_one, str(s.path), options, s.label): s for s in pending}
            try:
                for future in cf.as_completed(futures):
                    submission = futures[future]
                    try:
                        yield submission, future.result(), ""
                    except cf.process.BrokenProcessPool:
                        broken.append(submission)
                    except Exception as error:
                        yield submission, None, _error_text(error)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        # A grading process died (out of memory, killed): the pool is gone with every task in
        # it. Try each of those again alone, so that one cannot take the others down twice.
        for submission in sorted(broken, key=lambda s: s.student_id):
            with cf.ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
                try:
                    yield submission, alone.submit(grade_one, str(submission.path), options,
                                                   submission.label).result(), ""
                except Exception as error:
                    yield submission, None, _error_text(error)
    return run_all


def _dask_runner(client: Any) -> _Runner:
    def run_all(pending: Sequence[Submission], options: dict[str, Any]) -> Iterator[_Done]:
        from distributed import as_completed

        futures = {client.submit(grade_one, str(s.path), options, s.label, pure=False,
                                 key=f"grade-{s.student_id}-{os.urandom(4).hex()}"): s
                   for s in pending}
        try:
            for future in as_completed(list(futures)):
                submission = futures[future]
                try:
                    yield submission, future.result(), ""
                except Exception as error:
                    yield submission, None, _error_text(error)
        finally:
            client.cancel([f for f in futures if not f.done()])
    return run_all


def run(directory: Path, out: Path, *, jobs: int | None = None, resume: bool = False,
        scheduler: str | None = None, only: Sequence[str] = (), seed: int | None = None,
        profile: str | None = None, timeout_s: float = 120.0,
        progress: TextIO | None = None) -> BatchReport:
    """Grade every submission in `directory` into `out`; see the module docstring.

    Raises DiscoveryError (a usage error) before grading anything; a submission whose grading
    fails becomes an "error" row and the batch goes on. `progress`: where the progress bar
    goes (the command: stderr); None: quiet.
    """
    clock = time.perf_counter()
    directory, out = Path(directory), Path(out)
    skipped: list[str] = []
    submissions = discover(directory, out=out, skipped=skipped)
    if not submissions:
        raise DiscoveryError(f"no submissions in {directory}: expected a folder, a .zip or a "
                             ".ipynb per student, or nbgrader's submitted/<student>/<assignment>/")
    try:
        settings = grading_settings(only=only, seed=seed, profile=profile, timeout_s=timeout_s)
    except KeyError as error:
        raise DiscoveryError(str(error.args[0])) from None
    hide = [str(p.resolve()) for p in (out, directory) if p.resolve() != Path("/")]
    options = {**{k: settings[k] for k in ("exercises", "seed", "profile", "timeout_s")},
               "hide": hide}
    out.mkdir(parents=True, exist_ok=True)

    rows: dict[str, Row] = {}
    digests: dict[str, str] = {}
    pending: list[Submission] = []
    for submission in submissions:
        digest = content_hash(submission.path)
        digests[submission.student_id] = digest
        earlier = _load_finished(out / submission.student_id, digest, settings) if resume else None
        if earlier is not None:
            rows[submission.student_id] = Row(submission.student_id, status_of(earlier), earlier,
                                              resumed=True)
        else:
            pending.append(submission)

    client = None
    if scheduler and pending:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as error:
            raise DiscoveryError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        parallel = max(sum(client.nthreads().values()), 1)
        runner = _dask_runner(client)
    else:
        parallel = max(1, min(jobs or _cores(), len(pending) or 1))
        runner = _local_runner(parallel)

    report = BatchReport(out, settings, [], resumed=sorted(rows), skipped_entries=skipped,
                         parallel=parallel)
    bar = Progress(len(pending), parallel, progress)
    bar.start(len(report.resumed))
    try:
        if pending:
            for submission, data, problem in runner(pending, options):
                row = _finish(out / submission.student_id, submission,
                              digests[submission.student_id], settings, data, problem)
                rows[submission.student_id] = row
                report.graded.append(submission.student_id)
                bar.advance(row)
    finally:
        bar.close()
        if client is not None:
            client.close()
    report.rows = [rows[s.student_id] for s in submissions]
    _write_atomic(out / "grades.csv", gradebook_csv(report.rows, settings))
    _write_atomic(out / "summary.md", summary_markdown(report.rows, settings))
    report.wall_s = time.perf_counter() - clock
    return report


def _finish(folder: Path, submission: Submission, digest: str, settings: dict[str, Any],
            data: dict[str, Any] | None, error: str) -> Row:
    """Record one arrived outcome; whatever goes wrong here is that student's error row."""
    problem = error
    if data is not None:
        try:
            result = SubmissionResult.from_dict(data)
            _record(folder, submission, digest, settings, result)
            return Row(submission.student_id, status_of(result), result)
        except Exception as failure:
            problem = _error_text(failure)
    with contextlib.suppress(OSError):
        _record_error(folder, submission, problem)
    lines = [line for line in problem.splitlines() if line.strip()]
    return Row(submission.student_id, "error", None, error=lines[-1].strip() if lines else "error")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- the command -----------------------------------------------------------------------------


def gradebook_table(rows: Iterable[Row]) -> str:
    rows = sorted(rows, key=lambda r: r.student_id)
    width = max([len("student"), *(len(r.student_id) for r in rows)])
    lines = [f"  {'student':<{width}}  {'score':>9}  status"]
    for row in rows:
        score = (f"{_points(row.result.score)}/{_points(row.result.max_score)}" if row.result
                 else "-")
        extra = " (unchanged)" if row.resumed else ""
        lines.append(f"  {row.student_id:<{width}}  {score:>9}  {row.status}{extra}")
    return "\n".join(lines)


def main(directory: Path, *, out: Path, jobs: int | None = None, resume: bool = False,
         scheduler: str | None = None, only: Sequence[str] = (), seed: int | None = None,
         profile: str | None = None, timeout_s: float = 120.0) -> int:
    """`autograder batch`: 0 once the batch completed (whatever the scores), 2 on a usage
    error (DIR missing or empty, two submissions for one student, an unreachable scheduler)."""
    if jobs is not None and jobs < 1:
        print("autograder batch: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run(directory, out, jobs=jobs, resume=resume, scheduler=scheduler, only=only,
                     seed=seed, profile=profile, timeout_s=timeout_s, progress=sys.stderr)
    except DiscoveryError as error:
        print(f"autograder batch: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nStopped. Every finished result is kept in {out}; run the same command with "
              "--resume to grade the rest.", file=sys.stderr)
        raise
    if report.skipped_entries:
        shown = ", ".join(report.skipped_entries[:10])
        more = len(report.skipped_entries) - 10
        print(f"Skipped (not a submission): {shown}" + (f" and {more} more" if more > 0 else ""))
    print(gradebook_table(report.rows))
    counts = {s: sum(r.status == s for r in report.rows) for s in STATUSES}
    print(f"\n{len(report.rows)} students: graded now {len(report.graded)}, unchanged "
          f"{len(report.resumed)}; " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" ({report.wall_s:.1f} s, {report.parallel} at a time)")
    print(f"Wrote {out}/grades.csv, {out}/summary.md and {out}/<student>/result.json, "
          "feedback.md, feedback.html")
    return 0
