"""Machine load never changes a grade: a case's own limit is CPU time, the wall clock only backs
it up (generously), and a case the wall clock stopped is retried once on its own."""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autograder.core.results import SubmissionResult
from autograder.grading.grade import Options, grade
from autograder.grading.jobs import WALL_FACTOR
from tests.conftest import ROOT

SUBMISSIONS = ROOT / "tests" / "submissions"
CASE_TIMEOUT_S = 0.5
CLASS = {  # name: (folder, exercises)
    "reference": (ROOT / "solutions", ("padding",)),
    "spins-forever": (SUBMISSIONS / "hostile" / "infinite-loop", ("padding",)),
    "waits-forever": (SUBMISSIONS / "load" / "waits-forever", ("padding",)),
    "odd-pixel-first": (SUBMISSIONS / "styles" / "bug-odd-pixel-first-even-kernel", ("padding",)),
}


def _spin() -> None:
    while True:
        pass


@contextmanager
def cpu_hog() -> Iterator[None]:
    """Two busy processes per core, at the grader's own priority."""
    hogs = [multiprocessing.Process(target=_spin, daemon=True)
            for _ in range(2 * (os.cpu_count() or 1))]
    for hog in hogs:
        hog.start()
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.join()


def _grade(name: str, tmp_path: Path) -> SubmissionResult:
    folder, only = CLASS[name]
    copy = tmp_path / name
    if not copy.exists():
        shutil.copytree(folder, copy)
    return grade(copy, Options(only=only, case_timeout_s=CASE_TIMEOUT_S, timeout_s=120.0))


def _batch(top: Path, out: Path) -> dict[str, dict[str, str]]:
    """`autograder batch` through the real CLI; grades.csv without its timing column."""
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "batch", str(top), "--out",
                           str(out), "--only", "padding", "--jobs", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with (out / "grades.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(row for row in handle if not row.startswith("#")))
    return {row["student_id"]: {k: v for k, v in row.items() if "duration" not in k}
            for row in rows}


def test_a_cpu_hog_changes_no_grade(sandbox_mode: str, tmp_path: Path) -> None:
    """The same class graded with the machine idle and with two busy processes per core."""
    top = tmp_path / "class"
    for name in ("reference", "spins-forever", "odd-pixel-first"):
        shutil.copytree(CLASS[name][0], top / name)
    quiet = _batch(top, tmp_path / "quiet")
    with cpu_hog():
        loaded = _batch(top, tmp_path / "loaded")
    assert loaded == quiet
    scores = {name: float(row["score"]) for name, row in quiet.items()}
    assert scores["reference"] == 15 and 0 < scores["spins-forever"] < 15, quiet
    assert quiet["spins-forever"]["status"] == "timeout", quiet


def test_a_case_the_wall_clock_stops_is_retried_once_alone(sandbox_mode: str,
                                                           tmp_path: Path) -> None:
    result = _grade("waits-forever", tmp_path)
    [exercise] = result.exercises
    waiting = [c for c in exercise.checks if c.id.startswith("correlate2d_padded")]
    first = waiting[0]
    assert first.status == "timeout"
    assert "twice (the second time on its own)" in first.message, first
    assert f"{CASE_TIMEOUT_S * WALL_FACTOR:g} s of wall clock" in first.message
    assert f"{first.id} ran past the wall clock once" in exercise.note
    assert all(c.status == "timeout" for c in waiting[1:]), waiting
    assert all(c.status == "pass" for c in exercise.checks if c not in waiting)
    # Two waits of the backstop for the first case, in the public and the hidden workers each;
    # its function's other cases are not run.
    assert result.duration_s < 4 * (CASE_TIMEOUT_S * WALL_FACTOR + 1) + 15


@pytest.mark.parametrize("name", ["spins-forever"])
def test_a_computing_case_is_stopped_by_its_cpu_time(name: str, sandbox_mode: str,
                                                     tmp_path: Path) -> None:
    [exercise] = _grade(name, tmp_path).exercises
    first = next(c for c in exercise.checks if c.id.startswith("correlate2d_padded"))
    assert first.status == "timeout"
    assert f"used more than {CASE_TIMEOUT_S:g} s of CPU time" in first.message, first
    assert "ran past the wall clock" not in exercise.note
