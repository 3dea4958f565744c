"""The gradebook: a row per student, its status, the table the command prints, and its three
CSV files: grades.csv, grades-per-check.csv and lms-canvas.csv.

Every CSV file is RFC 4180 (the csv module: fields quoted where they hold a comma, a quote or a
line end, quotes doubled, CRLF line ends) in UTF-8 with a byte order mark, and is safe to open
in a spreadsheet, whatever the students named their files:

* Student ids are shown with `discover.shown_id`: a control character (BEL, tab, CR, LF, ESC)
  or any other unprintable one is written as its escape (`\\x07`), so no cell holds one.
* CSV injection (OWASP's rule): a cell that begins with `=`, `+`, `-`, `@`, a tab (0x09) or a
  carriage return (0x0D), which Excel, LibreOffice or Google Sheets would run as a formula
  (`=HYPERLINK(...)`, `+1+1`, `@SUM(1)`, `-2`), gets a leading single quote `'`: the cell then
  shows as text (the quote is visible in it; a reader of the CSV sees `'=HYPERLINK(...)`). The
  rule is applied to every cell of every row and header; the numbers the kit writes (scores,
  durations) are never negative, so they never begin with one of those and stay numbers.

grades.csv: `student_id, score, max_score, status, <exercise>..., duration_s` (see
`gradebook_csv`). grades-per-check.csv: `student_id, score, status`, then a column per check
that carries points, across the exercises graded, in course order, holding the points the
student earned on it (`per_check_csv`). lms-canvas.csv: Canvas's gradebook import columns
`Student, ID, SIS User ID, Section`, then one assignment column `CNN exercises (<exercises>)`
holding the score (`canvas_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.core.results import SubmissionResult
from autograder.instructor.batch.discover import shown_id
from autograder.registry import EXERCISES

# The encoding of the CSV files: UTF-8 with a byte order mark. Excel, opening a CSV by a
# double-click, reads it as the machine's ANSI code page unless it begins with the BOM ("Zoë"
# would come out "ZoÃ«"); every other reader (Python's utf-8-sig, pandas, LibreOffice, Google
# Sheets, Canvas's import) skips the BOM.
CSV_ENCODING = "utf-8-sig"
# Cells a spreadsheet would run as a formula begin with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What each status means is in the package docstring (autograder/instructor/batch/__init__.py).
STATUSES = ("graded", "timeout", "malformed", "error", "pending")


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook."""

    student_id: str
    status: str  # one of STATUSES
    result: SubmissionResult | None = None  # None: status "error" or "pending"
    error: str = ""  # status "error": what went wrong, one line
    resumed: bool = False  # taken from an earlier run

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def duration_s(self) -> float:
        return self.result.duration_s if self.result else 0.0


def status_of(result: SubmissionResult) -> str:
    """`malformed`, `timeout` or `graded` (see the package docstring)."""
    checks = [c for e in result.exercises for c in e.checks]
    if result.errors:  # grade() could not read the submission at all
        return "malformed"
    if any(c.status == "timeout" for c in checks):
        return "timeout"
    return "graded"


def points(value: float) -> str:
    return f"{round(value, 2):g}"


def score_text(row: Row) -> str:
    """`score/max`, or `-` for a row without a result."""
    if row.result is None:
        return "-"
    return f"{points(row.result.score)}/{points(row.result.max_score)}"


def max_score(rows: Sequence[Row]) -> float | None:
    return next((r.result.max_score for r in rows if r.result), None)


def status_counts(rows: Iterable[Row]) -> dict[str, int]:
    """How many rows have each status, in the order of STATUSES."""
    rows = list(rows)
    return {s: sum(r.status == s for r in rows) for s in STATUSES}


def neutralise(cell: str) -> str:
    """The cell, with a leading `'` when it begins as a formula would (`FORMULA_STARTS`)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 text (CRLF line ends, quoted where needed), every cell `neutralise`d. Write it
    with `CSV_ENCODING` and `newline=""`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for cells in (header, *rows):
        writer.writerow([neutralise(cell) for cell in cells])
    return buffer.getvalue()


def gradebook_csv(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """grades.csv: `student_id, score, max_score, status, <exercise>..., duration_s`, one row
    per student sorted by id (an error row scores 0 and leaves its exercises empty; a pending
    row, a student a stopped batch did not grade, leaves its score and duration empty too:
    no grade, not a zero). Cells as the module docstring says."""
    exercises = _exercise_columns(rows, settings)
    maximum = max_score(rows)
    lines = []
    for row in sorted(rows, key=lambda r: r.student_id):
        scores = {e.name: e.score for e in row.result.exercises} if row.result else {}
        # an error row has no result: it shows the batch's maximum, so the column stays full
        top = row.result.max_score if row.result else maximum
        graded = row.status != "pending"
        lines.append([shown_id(row.student_id), points(row.score) if graded else "",
                      "" if top is None else points(top), row.status,
                      *(points(scores[n]) if n in scores else "" for n in exercises),
                      f"{row.duration_s:.2f}" if graded else ""])
    return csv_text(["student_id", "score", "max_score", "status", *exercises, "duration_s"],
                    lines)


def per_check_csv(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """grades-per-check.csv: `student_id, score, status`, then one column per check that
    carries points (hidden checks carry none of their own: they take points from the public
    ones, so they have no column), named by check id (`exercise:check` where two exercises
    share an id), in course order; each cell the points the student earned on that check. A
    row without a result (error, pending) leaves its checks empty, and a pending one its score."""
    exercises = _exercise_columns(rows, settings)
    checks: dict[tuple[str, str], None] = {}  # (exercise, check id), ordered
    for name in exercises:
        for row in rows:
            for exercise in row.result.exercises if row.result else ():
                if exercise.name == name:
                    checks.update({(name, c.id): None for c in exercise.checks if c.max_points > 0})
    ids = [check for _, check in checks]
    header = [f"{e}:{c}" if ids.count(c) > 1 else c for e, c in checks]
    lines = []
    for row in sorted(rows, key=lambda r: r.student_id):
        earned = {(e.name, c.id): c.points for e in row.result.exercises for c in e.checks} \
            if row.result else {}
        lines.append([shown_id(row.student_id), points(row.score) if row.status != "pending"
                      else "", row.status,
                      *(points(earned[k]) if k in earned else "" for k in checks)])
    return csv_text(["student_id", "score", "status", *header], lines)


CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "Section")


def canvas_csv(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """lms-canvas.csv, for Canvas's gradebook import (Grades, Import): `Student` and `SIS User
    ID` the student id, `ID` (Canvas's own user number, which the kit cannot know) and `Section`
    left empty, then one assignment column, `CNN exercises (<exercises graded>)`, holding the
    score. Canvas matches each row to a student by `ID` or else `SIS User ID`, so name the
    submissions by SIS id; it creates a new assignment for a column whose name does not end in
    an existing assignment's `(number)`: rename the column to `<name> (<assignment id>)`, as
    Canvas's own export names it, to fill in an existing one. A row with no grade to post
    (status error: the grader failed; pending: not graded yet) leaves the score empty."""
    exercises = _exercise_columns(rows, settings)
    assignment = f"CNN exercises ({', '.join(exercises)})" if exercises else "CNN exercises"
    lines = [[shown_id(row.student_id), "", shown_id(row.student_id), "",
              "" if row.status in ("error", "pending") else points(row.score)]
             for row in sorted(rows, key=lambda r: r.student_id)]
    return csv_text([*CANVAS_COLUMNS, assignment], lines)


def gradebook_table(rows: Iterable[Row]) -> str:
    """The gradebook as the command prints it: student (`shown_id`), score, status, sorted by
    student."""
    rows = sorted(rows, key=lambda r: r.student_id)
    width = max([len("student"), *(len(shown_id(r.student_id)) for r in rows)])
    lines = [f"  {'student':<{width}}  {'score':>9}  status"]
    for row in rows:
        extra = " (unchanged)" if row.resumed else ""
        lines.append(f"  {shown_id(row.student_id):<{width}}  {score_text(row):>9}  "
                     f"{row.status}{extra}")
    return "\n".join(lines)


def _exercise_columns(rows: Sequence[Row], settings: dict[str, Any] | None) -> list[str]:
    # Without settings (rows alone), the exercises any result has, in course order.
    if settings:
        return list(settings["exercises"])
    names = {e.name for r in rows if r.result for e in r.result.exercises}
    return [e.name for e in EXERCISES if e.name in names]
