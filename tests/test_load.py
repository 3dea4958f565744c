"""Machine load never changes a grade: a case's own limit is CPU time, the wall clock only backs
it up (generously), and a case the wall clock stopped is retried once on its own."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autograder.grade import Options, grade
from autograder.jobs import WALL_FACTOR
from autograder.results import SubmissionResult
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


def gradebook(tmp_path: Path) -> dict[str, dict[str, tuple[str, float]]]:
    """Every student's checks: id -> (status, points)."""
    return {name: {c.id: (c.status, c.points) for e in _grade(name, tmp_path).exercises
                   for c in e.checks} for name in CLASS}


def test_a_cpu_hog_changes_no_grade(sandbox_mode: str, tmp_path: Path) -> None:
    quiet = gradebook(tmp_path)
    with cpu_hog():
        loaded = gradebook(tmp_path)
    assert loaded == quiet
    scores = {name: sum(points for _, points in checks.values()) for name, checks in quiet.items()}
    assert scores["reference"] == 15 and 0 < scores["spins-forever"] < 15
    assert scores["waits-forever"] == scores["spins-forever"]


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
