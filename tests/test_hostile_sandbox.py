"""Hostile submissions that attack the sandbox itself, graded end to end with the real default
sandbox, in both of its modes.

The cases of `tests/test_hostile.py` attack the verdict; these go for the machinery around the
student's code: calls that swallow the in-process timeout, daemons that outlive the grader,
files dropped in the machine's shared temp folders, writes to the kit's own files, a child that
kills the grader, a daemon that rewrites the results after the grader is done, and hidden
inputs smuggled into the feedback. Where an audit hook refuses the plain route, each case tries
a route that raises no audit event (`_posixsubprocess.fork_exec`, a pidfd, SQLite's `ATTACH`,
readline's `append_history_file`), as a clever student would: what must hold is outside the
process (bubblewrap, the sandbox user, the grader's reaping), not the hook.

Every test runs with bubblewrap (`AUTOGRADER_BWRAP=1`, skipped where it cannot run) and
without it (`AUTOGRADER_BWRAP=0`); graders started in a subprocess inherit the variable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.core.checks import public_checks
from autograder.core.results import SubmissionResult
from autograder.grading.grade import KIT_ROOT, Options, grade
from autograder.grading.hidden import checks_arguments, hidden_checks
from autograder.registry import exercise as lookup
from tests.test_hostile import (  # noqa: F401  (the `hostile` fixture)
    HOSTILE,
    Hostile,
    _find_processes,
    _tree,
    hostile,
)

EXERCISE = "padding"
NUMPY_EXERCISES = ("cross_correlation", "padding", "stride", "pooling")
TIMEOUT_S = 20.0  # small limits where the test is not about the default ones
CASE_TIMEOUT_S = 2.0
# A whole grading of submissions whose every call hangs: a loose bound (the 60 s target for
# the four NumPy exercises is measured in bench/sandbox.py, not in a timed test); a cost per
# case instead of per function would take minutes.
FAST_ENOUGH_S = 120.0



pytestmark = pytest.mark.usefixtures("sandbox_mode")  # tests/conftest.py: both modes


def _quick(*, hidden: bool = True) -> Options:
    return Options(only=(EXERCISE,), timeout_s=TIMEOUT_S, case_timeout_s=CASE_TIMEOUT_S,
                   hidden=hidden)


def _full(exercise: str = EXERCISE) -> float:
    return sum(c.points for c in public_checks(exercise)
               if c.call.function in lookup(exercise).functions)


def _shown(result: SubmissionResult) -> list[tuple[str, str, str]]:
    return [(c.id, c.status, c.message[:100]) for e in result.exercises for c in e.checks]


def _token() -> str:
    return f"autograder-hostile-{secrets.token_hex(6)}"


def _kill(*needles: str) -> None:
    """Ours to clean up if the grader did not."""
    for pid, _ in _find_processes(*needles):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


# --- calls that no in-process timeout can stop ----------------------------------------------

def test_calls_that_swallow_the_alarm_are_killed_from_outside(
        hostile: Callable[..., Hostile]) -> None:
    """Default options: the registry's case timeout, the default budget."""
    case = hostile("swallows-alarm")
    started = time.perf_counter()
    result = grade(case.folder, Options(only=(EXERCISE,)))
    took = time.perf_counter() - started
    assert took < FAST_ENOUGH_S, f"grading took {took:.1f} s: {_shown(result)}"
    assert result.score == 0, _shown(result)
    checks = result.exercises[0].checks
    assert checks and all(c.status != "pass" for c in checks), _shown(result)
    public = [c for c in checks if c.visibility == "public"]
    assert all(c.status in ("timeout", "error") for c in public), _shown(result)
    assert any(c.status == "timeout" for c in public), _shown(result)


def test_every_function_of_every_exercise_hanging_still_grades_quickly(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("every-function-hangs")
    started = time.perf_counter()
    result = grade(case.folder, Options(only=NUMPY_EXERCISES))
    took = time.perf_counter() - started
    assert took < FAST_ENOUGH_S, f"grading four hanging exercises took {took:.1f} s"
    assert [e.name for e in result.exercises] == list(NUMPY_EXERCISES)
    assert result.score == 0, f"took {took:.1f} s: {_shown(result)}"
    assert all(c.status != "pass" for e in result.exercises for c in e.checks), _shown(result)


# --- processes left behind ------------------------------------------------------------------

def test_a_double_forked_daemon_with_an_empty_environment_does_not_survive(
        hostile: Callable[..., Hostile]) -> None:
    sleep = f"97531.{secrets.randbelow(10**6):06d}"  # unique to this run: sleep takes decimals
    case = hostile("double-fork-daemon", SLEEP=sleep)
    try:
        result = grade(case.folder, _quick())
        time.sleep(1.0)  # a daemon still on its way to exec would show by now
        survivors = _find_processes(sleep)
        assert not survivors, f"still running after grade() returned: {survivors}"
        # Refusing the attempt costs the points, or the module is simply graded: both are fine.
        assert result.score in (0, _full()), _shown(result)
        assert result.score == int(result.score)
    finally:
        _kill(sleep)


# --- files ----------------------------------------------------------------------------------

def test_no_files_are_left_in_the_shared_temp_folders(hostile: Callable[..., Hostile]) -> None:
    token = _token()
    paths = [Path(f"/tmp/{token}-a"), Path(f"/var/tmp/{token}-b"), Path(f"/dev/shm/{token}-c")]
    case = hostile("drops-tmp-files", TOKEN=token)
    try:
        result = grade(case.folder, _quick())
        left = [str(p) for p in paths if p.exists()]
        assert not left, f"left behind by the student's code: {left} ({_shown(result)[:3]})"
    finally:
        for path in paths:
            path.unlink(missing_ok=True)


MARK = b"# hostile-was-here"
PROTECTED = ("autograder", "solutions")


def _kit_files() -> dict[Path, bytes]:
    return {p: p.read_bytes() for top in PROTECTED for p in sorted((KIT_ROOT / top).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _strip_mark(path: Path) -> None:
    """Undo the attack's appends only: other people may be editing these files right now, so
    neither a snapshot nor `git checkout` is written back over their work."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(line for line in lines if line.rstrip(b"\r\n") != MARK))


def test_the_kits_own_files_cannot_be_written(hostile: Callable[..., Hostile]) -> None:
    """The case appends to the real kit's judge.py and solutions/padding.py (where the grader
    imports them from); the test restores them if it succeeds."""
    case = hostile("writes-kit-files", KIT=KIT_ROOT)
    before = _kit_files()
    marked: list[Path] = []
    try:
        result = grade(case.folder, _quick())
        after = _kit_files()
        marked = [p for p, content in after.items() if MARK in content]
        # A changed file without the mark is taken to be someone else's edit (as test_hostile
        # does); a new or vanished file that is not a source file is not.
        changed = sorted(str(p.relative_to(KIT_ROOT)) for p in before.keys() | after.keys()
                         if before.get(p) != after.get(p)
                         and (p in marked or not p.name.endswith((".py", ".md", ".json"))))
        assert not marked, f"the student's code wrote to {[str(p) for p in marked]}"
        assert not changed, f"the kit's files changed while grading: {changed}"
        assert result.score in (0, _full()), _shown(result)
    finally:
        for path in marked or [p for p in _kit_files() if MARK in p.read_bytes()]:
            _strip_mark(path)


# --- the grader itself ----------------------------------------------------------------------

_GRADE_AND_PRINT = """
import sys
from pathlib import Path
from autograder.grading.grade import Options, grade
print(grade(Path(sys.argv[1]), Options(only=("padding",), timeout_s=20, case_timeout_s=2)).to_json())
"""


def test_the_child_cannot_kill_the_grader(hostile: Callable[..., Hostile]) -> None:
    token = _token()
    case = hostile("kills-the-grader", TOKEN=token)
    done = subprocess.run([sys.executable, "-c", _GRADE_AND_PRINT, str(case.folder), token],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(case.scratch)})
    assert done.returncode == 0, f"the grader ended with {done.returncode}: {done.stderr[-1500:]}"
    result = SubmissionResult.from_dict(json.loads(done.stdout))
    assert result.score in (0, _full()), _shown(result)


@pytest.fixture
def reaper() -> Iterator[list[str]]:
    """Needles of processes to kill after the test, whatever happened."""
    needles: list[str] = []
    yield needles
    _kill(*needles)


def test_a_daemon_cannot_rewrite_the_results_after_grading(
        hostile: Callable[..., Hostile], tmp_path: Path, reaper: list[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    token = _token()
    reaper.append(token)
    case = hostile("rewrites-results-later", OUT=out, TOKEN=token)
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", str(case.folder), "--out", str(out),
         "--only", EXERCISE, "--json", "--timeout", str(TIMEOUT_S)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(case.scratch)})
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout)
    time.sleep(5.0)  # the daemon starts writing 3 s after the import, for ten seconds
    forged = [p.name for p in out.iterdir() if p.is_file() and "forged_by" in p.read_text()]
    assert not forged, f"rewritten after grading: {forged}"
    assert json.loads((out / "result.json").read_text()) == printed
    assert json.loads((out / "results.json").read_text())["score"] == printed["score"]
    assert not _find_processes(token), "the daemon is still running"


# --- hidden inputs --------------------------------------------------------------------------

_LEAKS = ("Shape_", "Args_", "ValueError", "array(")
_DIMS = re.compile(r"\dx\d")


@pytest.mark.parametrize("name", ["leaks-hidden-inputs", "smuggles-hidden-inputs"])
def test_hidden_inputs_do_not_reach_the_feedback(hostile: Callable[..., Hostile],
                                                 name: str) -> None:
    token = _token()
    case = hostile(name, TOKEN=token)
    result = grade(case.folder, _quick(hidden=True))
    [exercise] = result.exercises
    hidden = [c for c in exercise.checks if c.visibility == "hidden"]
    assert hidden, "no hidden checks were graded"
    assert result.score == 0
    # Its ValueError(repr(args)) is right on bad arguments; every case of the rules fails.
    arguments = {c.id for c in hidden_checks(EXERCISE, seed=_quick().seed,
                                             solutions=KIT_ROOT / "solutions") if checks_arguments(c)}
    for check in hidden:
        assert check.status != "pass" or check.id in arguments, check
        for word in (*_LEAKS, token):
            assert word not in check.message, (word, check)
        assert not _DIMS.search(check.message), check
    assert token not in exercise.note, exercise.note[:2000]
    # Public checks may quote the student's own words; nothing else in the result may.
    public_messages = [c.message for c in exercise.checks if c.visibility == "public"]
    rest = result.to_json()
    for message in public_messages:
        rest = rest.replace(json.dumps(message)[1:-1], "")
    assert token not in rest, "the student's stderr reached the result outside public checks"
