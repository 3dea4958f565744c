"""The gradebook: a row per student, its status, grades.csv and the table the command prints."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.core.results import SubmissionResult
from autograder.registry import EXERCISES

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


def gradebook_csv(rows: Sequence[Row], settings: dict[str, Any] | None = None) -> str:
    """grades.csv: `student_id, score, max_score, status, <exercise>..., duration_s`, one row
    per student sorted by id (an error row scores 0 and leaves its exercises empty; a pending
    row, a student a stopped batch did not grade, leaves its score and duration empty too:
    no grade, not a zero)."""
    exercises = _exercise_columns(rows, settings)
    maximum = max_score(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "score", "max_score", "status", *exercises, "duration_s"])
    for row in sorted(rows, key=lambda r: r.student_id):
        scores = {e.name: e.score for e in row.result.exercises} if row.result else {}
        # an error row has no result: it shows the batch's maximum, so the column stays full
        top = row.result.max_score if row.result else maximum
        graded = row.status != "pending"
        writer.writerow([row.student_id, points(row.score) if graded else "",
                         "" if top is None else points(top), row.status,
                         *(points(scores[n]) if n in scores else "" for n in exercises),
                         f"{row.duration_s:.2f}" if graded else ""])
    return buffer.getvalue()


def gradebook_table(rows: Iterable[Row]) -> str:
    """The gradebook as the command prints it: student, score, status, sorted by student."""
    rows = sorted(rows, key=lambda r: r.student_id)
    width = max([len("student"), *(len(r.student_id) for r in rows)])
    lines = [f"  {'student':<{width}}  {'score':>9}  status"]
    for row in rows:
        extra = " (unchanged)" if row.resumed else ""
        lines.append(f"  {row.student_id:<{width}}  {score_text(row):>9}  {row.status}{extra}")
    return "\n".join(lines)


def _exercise_columns(rows: Sequence[Row], settings: dict[str, Any] | None) -> list[str]:
    # Without settings (rows alone), the exercises any result has, in course order.
    if settings:
        return list(settings["exercises"])
    names = {e.name for r in rows if r.result for e in r.result.exercises}
    return [e.name for e in EXERCISES if e.name in names]
