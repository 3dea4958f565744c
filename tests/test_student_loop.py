"""The student loop as a student meets it: `pytest exercises` and `autograder check` on real
files, in real subprocesses."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.registry import EXERCISES
from autograder.student.loop import check_exercise
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
    code = ("import sys; from pathlib import Path; from autograder.student.loop import check_exercise;"
            f"[check_exercise(n, Path({str(SOLUTIONS)!r})) for n in {NUMPY_EXERCISES!r}];"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    done = run(sys.executable, "-c", code, cwd=ROOT)
    assert done.returncode == 0, done.stderr


# --- local = graded: limits, last lines ----------------------------------------------------------

HANGS = ROOT / "tests" / "submissions" / "hostile" / "infinite-loop" / "padding.py"


def last_lines(text: str, n: int = 2) -> list[str]:
    return [line for line in text.splitlines() if line.strip()][-n:]


def test_autograder_check_stops_a_hanging_function_and_runs_the_other_checks(tmp_path: Path) -> None:
    shutil.copy(HANGS, tmp_path / "padding.py")
    started = time.monotonic()
    done = run(sys.executable, "-m", "autograder.cli", "check", "padding", cwd=tmp_path)
    assert time.monotonic() - started < 60
    assert done.returncode == 1, done.stderr[-3000:]
    out = done.stdout
    assert "11/15 points" in out  # same_padding and zero_pad still checked
    assert "It did not finish: Timeout: the call did not finish in 3 s" in out
    assert "Not run: correlate2d_padded timed out on an earlier case." in out
    assert last_lines(out)[0].startswith("Progress: [")
    assert last_lines(out)[1].startswith("Next: fix correlate2d_padded-lecture-same in padding.py")


def test_pytest_stops_a_hanging_function_and_ends_with_progress_and_next(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    for name in ("conftest.py", "test_padding.py", "test_stride.py"):
        shutil.copy(ROOT / "exercises" / name, tmp_path / "exercises" / name)
    shutil.copy(HANGS, tmp_path / "exercises" / "padding.py")
    shutil.copy(ROOT / "exercises" / "stride.py", tmp_path / "exercises" / "stride.py")
    done = run(sys.executable, "-m", "pytest", "exercises", "-p", "no:cacheprovider", "-ra",
               cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1, out[-3000:] + done.stderr[-3000:]
    assert "did not finish in 3 s" in out
    assert "short test summary info" in out and "failed" in out
    progress, action = last_lines(out)
    assert progress == "Progress: [#######>------------] 0/2 exercises, 11/30 points"
    assert action.startswith("Next: fix correlate2d_padded-lecture-same in exercises/padding.py")


def test_a_call_outside_the_main_thread_is_limited_too() -> None:
    import threading

    from autograder.student import loop as student

    caught: list[BaseException] = []

    def spin() -> None:
        try:
            student.within(0.2, lambda: [time.sleep(0.01) for _ in iter(int, 1)])
        except BaseException as error:
            caught.append(error)

    helper = threading.Thread(target=spin)
    helper.start()
    helper.join(10)
    assert [type(e) for e in caught] == [student.CallTimeout]
    assert str(caught[0]) == "did not finish in 0.8 s on the wall clock"  # 4x, as in the grader
    assert student.within(1, lambda: 42) == 42


def test_an_alarm_set_by_someone_else_keeps_its_deadline() -> None:
    import signal

    from autograder.student import loop as student

    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        assert student.within(5, lambda: 7) == 7
        time.sleep(0.6)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_forbidden_routine_reached_at_run_time_is_a_policy_result(tmp_path: Path) -> None:
    attack = ROOT / "tests" / "submissions" / "styles" / "attack-getattr-computed-correlate"
    shutil.copy(attack / "cross_correlation.py", tmp_path / "cross_correlation.py")
    result = check_exercise("cross_correlation", tmp_path)
    statuses = {c.id: c.status for c in result.checks}
    assert statuses["correlate1d-lecture-example"] == "policy"
    assert statuses["correlate2d-asymmetric-kernel"] == statuses["convolve1d-random"] == "pass"
    (message,) = {c.message for c in result.checks if c.status == "policy"}
    assert "calling numpy.correlate, which correlate1d() may not use" in message


def test_a_computed_import_of_a_forbidden_package_is_refused(tmp_path: Path) -> None:
    loaded_before = "scipy" in sys.modules  # an earlier test may have imported it: kept as is
    source = (SOLUTIONS / "padding.py").read_text() + (
        "\n\ndef _sneak():\n    import importlib\n    return importlib.import_module('sc' + 'ipy')\n")
    (tmp_path / "padding.py").write_text(source.replace(
        "def same_padding(", "def same_padding(*a, **k):\n    _sneak()\n    return _same(*a, **k)"
        "\n\n\ndef _same(", 1))
    result = check_exercise("padding", tmp_path)
    same = [c for c in result.checks if c.id.startswith("same_padding")]
    assert {c.status for c in same} == {"policy"}
    assert "the code tried importing scipy, which the sandbox refused" in same[0].message
    assert {c.status for c in result.checks if c.id.startswith("zero_pad")} == {"pass"}
    assert ("scipy" in sys.modules) == loaded_before
