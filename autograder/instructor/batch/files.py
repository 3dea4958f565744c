"""OUT's own names, and atomic writes: a batch killed at any moment leaves each of OUT's files
whole, old or new."""

from __future__ import annotations

import os
from pathlib import Path

# What a batch writes at the top of OUT, beside one folder per student (discover.folder_name
# keeps every student's folder off these names).
GRADES_CSV = "grades.csv"
SUMMARY_MD = "summary.md"
PER_CHECK_CSV = "grades-per-check.csv"
CANVAS_CSV = "lms-canvas.csv"
GRADEBOOK_FILES = (GRADES_CSV, SUMMARY_MD, PER_CHECK_CSV, CANVAS_CSV)
# The MNIST check's trainings, one per distinct model (autograder.grading.trained); --resume
# reuses them.
TRAINING_CACHE = ".training-cache"
# No student folder takes these either: OUT's files, the class report beside summary.md, the
# similarity review's files (`autograder similarity OUT`), and the files of a student's own
# folder (so that no folder looks like another's content).
RESERVED_NAMES = frozenset(name.casefold() for name in (
    *GRADEBOOK_FILES, "summary.html", "similarity.html", "similarity.csv", "result.json",
    "results.json", "feedback.md", "feedback.html", "error.txt", ".grading.json",
    TRAINING_CACHE))


def write_atomic(path: Path, text: str, *, encoding: str | None = None,
                 newline: str | None = None) -> None:
    """Write `text` to `path` through a temporary file beside it, then rename it over `path`.
    `encoding` and `newline` as for `open` (a CSV file: `newline=""`, its own line ends)."""
    # The rename is atomic within one folder: a reader (or --resume after a kill) sees the old
    # file or the new one, never a part. The pid keeps two writers' temporaries apart.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding=encoding, newline=newline)
    temporary.replace(path)
