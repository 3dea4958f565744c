"""The student loop as a student meets it: `pytest exercises` and `autograder check` on real
files, in real subprocesses."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.registry import EXERCISES
from autograder.student import check_exercise
from tests.conftest import ROOT, SOLUTIONS

NUMPY_EXERCISES = [e.name for e in EXERCISES if not e.uses_tensorflow]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_pytest_on_fresh_stubs_fails_every_exercise_with_readable_messages(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    done = run(sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider",
               cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for exercise in EXERCISES:
        assert f"test_{exercise.name}.py" in out
    assert "is not implemented yet: replace the `raise NotImplementedError`" in out
    assert "Progress: [>-------------------] 0/5 exercises, 0/100 points" in out
    assert "Next: implement exercise cross_correlation" in out
    assert "pytest exercises/test_cross_correlation.py" in out


def test_pytest_reports_what_was_called_returned_and_expected(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    for name in ("conftest.py", "test_cross_correlation.py"):
        shutil.copy(ROOT / "exercises" / name, tmp_path / "exercises" / name)
    source = (SOLUTIONS / "cross_correlation.py").read_text()
    flipped = source.replace("@ kernel\n", "@ kernel[::-1]\n")
    assert flipped != source
    (tmp_path / "exercises" / "cross_correlation.py").write_text(flipped)
    done = run(sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider",
               cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1
    assert "Called correlate1d([1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1], [2, 0, 2, 1])." in out
    assert "but the check expected np.array([3., 10., 6., 6., 6., 9., 2., 6., 7.])" in out
    assert "Hint: This matches the result with the kernel flipped" in out
    assert "Progress:" in out and "Next: fix correlate1d-lecture-example" in out


def test_autograder_check_on_the_reference_numpy_exercises(tmp_path: Path) -> None:
    done = run(sys.executable, "-m", "autograder.cli", "check", *NUMPY_EXERCISES,
               "--dir", str(SOLUTIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Progress: [####################] 4/4 exercises, 70/70 points" in done.stdout
    assert "All done" in done.stdout


def test_autograder_check_one_exercise_by_name(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    done = run(sys.executable, "-m", "autograder.cli", "check", "padding", cwd=tmp_path)
    assert done.returncode == 1
    assert "Exercise 2: Zero padding" in done.stdout and "0/15 points" in done.stdout
    assert "Next: implement exercise padding" in done.stdout
    unknown = run(sys.executable, "-m", "autograder.cli", "check", "paddin", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown exercise 'paddin'" in unknown.stderr


def test_a_syntax_error_is_reported_on_every_check_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "padding.py").write_text("def same_padding(n, k, s=1):\n    return (n k)\n")
    result = check_exercise("padding", tmp_path)
    assert result.score == 0
    assert all(c.status == "error" for c in result.checks)
    assert "padding.py has a syntax error at line 2" in result.note


def test_numpy_checks_do_not_import_tensorflow() -> None:
    code = ("import sys; from pathlib import Path; from autograder.student import check_exercise;"
            f"[check_exercise(n, Path({str(SOLUTIONS)!r})) for n in {NUMPY_EXERCISES!r}];"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    done = run(sys.executable, "-c", code, cwd=ROOT)
    assert done.returncode == 0, done.stderr
