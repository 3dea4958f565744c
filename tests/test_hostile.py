"""Hostile submissions, graded end to end with the real default sandbox.

Each folder of `tests/submissions/hostile/` is one submission (a `padding.py`, sometimes with
company) that attacks the grader: lying objects, exits, hangs, floods, forged result files,
patched grader code, escaping processes, network, the instructor's files. Each test copies its
folder to `tmp_path`, fills in what is only known at test time (`@@NAME@@` placeholders: the
output folder, a port, a marker folder), grades it with `grade()` (or the CLI) under small
limits, and checks that it earned exactly the points it earned, that every check has a valid
status, and that the grader and the machine are as they were: no new file in the repository,
none in the submission's folder, no temp dir left behind.

Every test runs in both sandbox modes (the autouse `sandbox_mode` fixture): with bubblewrap
(skipped where it cannot run) and without it (`AUTOGRADER_BWRAP=0`: a sandbox user of its own
when the grader is root, as on Gradescope and in Docker). Each mode must keep what it promises;
here, both promise the same outcome. The "control" tests grade the same module with the
in-process double (no sandbox, no audit hook) to show that the attack is real.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.testing
import pytest

from autograder.core import judge
from autograder.core.checks import public_checks
from autograder.core.results import CheckResult, SubmissionResult
from autograder.grading.child import worker
from autograder.grading.grade import Options, grade
from autograder.grading.sandbox import InProcessSandbox, Sandbox
from autograder.registry import exercise as lookup
from tests.conftest import ROOT

HOSTILE = Path(__file__).parent / "submissions" / "hostile"
EXERCISE = "padding"
STATUSES = {"pass", "fail", "error", "timeout", "policy"}
# Small limits: a case that hangs costs seconds, not minutes.
TIMEOUT_S = 20.0  # one worker's wall clock
CASE_TIMEOUT_S = 2.0  # one call (and the import)

# No sandbox and no audit hook: the control that shows an attack is real.
UNGUARDED = InProcessSandbox(lambda argv, job: worker.main(["worker", argv[-1]]))


pytestmark = pytest.mark.usefixtures("sandbox_mode")  # tests/conftest.py: both modes

# The test process's own NumPy and judge, to check that nothing a child did reached them.
ORIGINAL = (np.allclose, np.array_equal, np.isclose, np.testing.assert_allclose,
            judge.ArrayExpect.judge, judge.ExactExpect.judge)


def points(*functions: str) -> int:
    """What the reference earns on the public checks of `functions` (hidden checks carry none)."""
    return sum(c.points for c in public_checks(EXERCISE) if c.call.function in functions)


FULL = points(*lookup(EXERCISE).functions)


# --- helpers ----------------------------------------------------------------------------------

def _git(*args: str) -> str:
    """Read-only git (no optional locks: `status` does not even refresh the index)."""
    return subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def _repository() -> dict[str, int | None]:
    """Every file `git status` can report on (tracked, or untracked and not ignored) with its
    modification time: new, deleted and modified files all show, even one already modified."""
    state: dict[str, int | None] = {}
    for name in filter(None, _git("ls-files", "-z", "--cached", "--others",
                                  "--exclude-standard").split("\0")):
        try:
            state[name] = (ROOT / name).lstat().st_mtime_ns
        except FileNotFoundError:
            state[name] = None
    return state


# Other people may edit the working tree while these tests run. A changed source file that
# holds no fingerprint of what these cases write is taken to be their edit.
_SOURCES = (".py", ".md", ".toml", ".cfg", ".ipynb", ".txt", ".json", ".yml", ".yaml", ".sh")
_FINGERPRINTS = (b"forged_by",)  # what fake-result-files writes


def _could_be_the_child(name: str) -> bool:
    path = ROOT / name
    if not name.endswith(_SOURCES) or not path.is_file():
        return True
    try:
        content = path.read_bytes()
    except OSError:
        return True
    return any(word in content for word in _FINGERPRINTS)


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with its content (None for a folder)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


@dataclass
class Hostile:
    """One hostile case copied into tmp_path, and what must be true after grading it."""

    name: str
    folder: Path  # the copy that is graded
    scratch: Path  # the grader's temp dir for this test (tempfile.tempdir points here)
    before_tree: dict[str, bytes | None]
    repository_changes: list[str] | None = None  # set by watching()

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Note what changes in the repository while the case is graded. (Only then: other
        people may be editing the working tree while the tests run.)"""
        before = _repository()
        try:
            yield
        finally:
            after = _repository()
            self.repository_changes = sorted(
                name for name in before.keys() | after.keys()
                if before.get(name, -1) != after.get(name, -1) and _could_be_the_child(name))

    def grade(self, sandbox: Sandbox | None = None, **options: float) -> SubmissionResult:
        """Grade the copy; `sandbox` None is the real default one (bwrap where it works)."""
        settings = {"timeout_s": TIMEOUT_S, "case_timeout_s": CASE_TIMEOUT_S, **options}
        with self.watching():
            return grade(self.folder, Options(only=(EXERCISE,), **settings),  # type: ignore[arg-type]
                         sandbox=sandbox)

    def check(self, result: SubmissionResult, expected: int) -> list[CheckResult]:
        """The assertions every case shares; returns the exercise's checks."""
        [exercise] = result.exercises
        checks = list(exercise.checks)
        shown = [(c.id, c.status, c.points, c.message[:120]) for c in checks]
        assert result.score == expected, shown
        assert exercise.max_score == FULL
        for c in checks:
            assert c.status in STATUSES, c
            assert c.points == (c.max_points if c.status == "pass" else 0), c
            assert c.status == "pass" or c.message, c  # every failure says why
        assert self.repository_changes == [], "the repository changed while grading"
        assert _tree(self.folder) == self.before_tree, "the submission's folder changed"
        assert not any(self.scratch.iterdir()), f"left behind: {list(self.scratch.iterdir())}"
        assert (np.allclose, np.array_equal, np.isclose, np.testing.assert_allclose,
                judge.ArrayExpect.judge, judge.ExactExpect.judge) == ORIGINAL
        return checks


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Hostile]:
    """`hostile(name, NAME=value, ...)`: the case copied to tmp_path with `@@NAME@@` filled in."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def make(name: str, **placeholders: object) -> Hostile:
        folder = tmp_path / name
        shutil.copytree(HOSTILE / name, folder)
        for path in folder.rglob("*"):
            if path.is_file():
                text = path.read_text()
                for key, value in placeholders.items():
                    text = text.replace(f"@@{key}@@", str(value))
                assert "@@" not in text, f"{path.name}: a placeholder was not filled in"
                path.write_text(text)
        return Hostile(name, folder, scratch, _tree(folder))

    return make


def _find_processes(*needles: str) -> list[tuple[int, str]]:
    """Live processes whose command line contains one of `needles`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(needle in cmdline for needle in needles):
            found.append((int(entry.name), cmdline))
    return found


# --- lying results ----------------------------------------------------------------------------

def test_always_equal_objects_earn_nothing(hostile: Callable[..., Hostile]) -> None:
    case = hostile("always-equal")
    checks = case.check(case.grade(), expected=0)
    assert all(c.status == "fail" for c in checks)


def test_a_lying_ndarray_subclass_is_judged_by_its_data(hostile: Callable[..., Hostile]) -> None:
    case = hostile("lying-ndarray")
    checks = case.check(case.grade(), expected=0)
    zero_pad = next(c for c in checks if c.id == "zero_pad-image")
    assert "-1." in zero_pad.message  # the values underneath, not what the subclass claims


# --- exits and hangs --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "words"), [
    ("os-exit-at-import", "the process ended while importing padding.py (exit code 0)"),
    ("sys-exit-at-import", "importing padding.py raised SystemExit"),
])
def test_exiting_at_import_errors_every_check_with_a_reason(
        hostile: Callable[..., Hostile], name: str, words: str) -> None:
    case = hostile(name)
    result = case.grade()
    checks = case.check(result, expected=0)
    assert all(c.status == "error" for c in checks), checks[0]
    assert all(words in c.message for c in checks if c.visibility == "public"), checks[0]
    assert words in result.exercises[0].note


def test_a_function_that_never_returns_times_out_alone(hostile: Callable[..., Hostile]) -> None:
    case = hostile("infinite-loop")
    case_timeout = 0.5
    result = case.grade(case_timeout_s=case_timeout)
    checks = case.check(result, expected=points("same_padding", "zero_pad"))
    looping = [c for c in checks if c.id.startswith("correlate2d_padded")]
    assert looping and all(c.status == "timeout" for c in looping), looping
    # The first call times out; the function's other cases are not run at all.
    assert "did not finish" in looping[0].message, looping[0]
    assert all("timed out on" in c.message for c in looping[1:]), looping
    assert all(c.status == "pass" for c in checks if c not in looping)
    # Each of its calls costs one case timeout, then the worker carries on: seconds, not forever.
    assert result.duration_s < len(looping) * case_timeout + 10


def test_a_call_stopped_by_the_case_timeout_has_status_timeout(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("infinite-loop")
    checks = case.check(case.grade(case_timeout_s=0.5), expected=points("same_padding", "zero_pad"))
    assert {c.status for c in checks if c.id.startswith("correlate2d_padded")} == {"timeout"}


def test_an_import_that_never_ends_is_stopped_by_the_wall_clock(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("infinite-loop-at-import")  # it ignores the timers: only the wall clock stops it
    timeout = 3.0
    result = case.grade(timeout_s=timeout)
    checks = case.check(result, expected=0)
    assert all(c.status in ("timeout", "error") for c in checks)
    assert all(f"longer than {timeout:g} s" in c.message
               for c in checks if c.visibility == "public"), checks[0]
    assert result.duration_s < timeout + 10


# --- resources --------------------------------------------------------------------------------

def test_an_8_gib_allocation_errors_that_function_only(hostile: Callable[..., Hostile]) -> None:
    case = hostile("huge-allocation")
    checks = case.check(case.grade(), expected=points("same_padding", "correlate2d_padded"))
    zero_pad = [c for c in checks if c.id.startswith("zero_pad")]
    assert all(c.status != "pass" for c in zero_pad), zero_pad
    assert all("MemoryError" in c.message for c in zero_pad if c.visibility == "public"), zero_pad
    assert all(c.status == "pass" for c in checks if c not in zero_pad)


def test_megabytes_of_output_do_not_slow_grading_down(hostile: Callable[..., Hostile]) -> None:
    case = hostile("prints-megabytes")  # 100 MB at import, 4 MB in every call
    result = case.grade(case_timeout_s=10.0, timeout_s=60.0)
    case.check(result, expected=FULL)
    assert result.duration_s < 30


# --- the verdict is made in the parent --------------------------------------------------------

def test_patching_numpy_in_the_child_changes_nothing(hostile: Callable[..., Hostile]) -> None:
    case = hostile("monkeypatch-numpy")
    case.check(case.grade(), expected=0)  # check() also compares our NumPy with ORIGINAL
    assert not np.allclose(0.0, 1.0) and not np.array_equal([0], [1])


def test_forging_the_published_answers_from_the_child_earns_nothing(
        hostile: Callable[..., Hostile]) -> None:
    """The child has only its own copy of the kit's child modules: no checks, no fixtures, no
    judge to patch; and the verdict is made in the parent anyway."""
    case = hostile("monkeypatch-grader")
    checks = case.check(case.grade(), expected=0)
    assert all(c.status in ("error", "policy") for c in checks), checks[0]


# --- the instructor's files, the output folder ------------------------------------------------

def test_the_reference_solutions_are_out_of_reach(hostile: Callable[..., Hostile]) -> None:
    case = hostile("reads-solutions")
    checks = case.check(case.grade(), expected=0)
    assert all(c.status == "policy" and "which the sandbox refused" in c.message
               for c in checks if c.visibility == "public"), checks[0]


def test_control_in_process_the_same_module_does_find_the_reference(
        hostile: Callable[..., Hostile]) -> None:
    """The case above is a real attack: where nothing hides the solutions it scores full marks."""
    case = hostile("reads-solutions")
    case.check(case.grade(sandbox=UNGUARDED), expected=FULL)


def test_the_reference_solutions_are_out_of_reach_through_git(
        hostile: Callable[..., Hostile]) -> None:
    try:
        blob = _git("rev-parse", "HEAD:solutions/padding.py").strip()
    except subprocess.CalledProcessError:
        blob = ""
    if not blob or not (ROOT / ".git" / "objects" / blob[:2] / blob[2:]).is_file():
        pytest.skip("the reference is not a loose git object here (the case reads only those)")
    case = hostile("reads-solutions-from-git")
    case.check(case.grade(), expected=0)


def test_forged_result_files_do_not_survive(hostile: Callable[..., Hostile],
                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()  # an instructor's existing output folder: hidden from the child
    case = hostile("fake-result-files", OUT=out)
    with case.watching():
        done = subprocess.run(
            [sys.executable, "-m", "autograder.cli", "grade", str(case.folder), "--out", str(out),
             "--only", EXERCISE, "--json", "--timeout", str(TIMEOUT_S)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env={**os.environ, "TMPDIR": str(case.scratch)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "feedback.html", "feedback.md", "result.json", "results.json"]
    assert not any("forged_by" in p.read_text() for p in out.iterdir())
    written = json.loads((out / "result.json").read_text())
    assert written == json.loads(done.stdout)
    assert json.loads((out / "results.json").read_text())["score"] == 0  # Gradescope's
    case.check(SubmissionResult.from_dict(written), expected=0)


def test_stray_start_up_files_are_ignored(hostile: Callable[..., Hostile],
                                          tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    case = hostile("stray-conftest-sitecustomize", MARKERS=markers)
    result = case.grade()
    case.check(result, expected=FULL)  # any of them, run, would have cost points
    assert list(markers.iterdir()) == []
    notes = " ".join(result.notes)
    for name in ("conftest.py", "sitecustomize.py", "usercustomize.py", "evil.pth"):
        assert name in notes, notes


# --- processes and network --------------------------------------------------------------------

def test_processes_left_behind_are_refused_and_killed(hostile: Callable[..., Hostile]) -> None:
    token = f"{secrets.randbelow(10**6):06d}"
    sleeps = (f"98765.{token}", f"98766.{token}")  # unique to this run: `sleep` takes decimals
    case = hostile("outliving-children", SLEEP_A=sleeps[0], SLEEP_B=sleeps[1])
    try:
        checks = case.check(case.grade(), expected=0)
        assert all(c.status == "policy" for c in checks), checks[0]
        assert "starting a process" in checks[0].message, checks[0]
        survivors = _find_processes(*sleeps)
        assert not survivors, f"still running after grade() returned: {survivors}"
    finally:
        for pid, _ in _find_processes(*sleeps):  # ours to clean up if the grader did not
            os.kill(pid, 9)


@dataclass
class _Listener:
    """A TCP server on 127.0.0.1 and an abstract Unix socket, recording what they receive."""

    port: int
    abstract: str
    received: list[bytes]


@pytest.fixture
def listener() -> Iterator[_Listener]:
    tcp = socket.create_server(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract = f"autograder-hostile-{secrets.token_hex(8)}"
    unix.bind("\0" + abstract)
    unix.listen()
    received: list[bytes] = []
    stop = threading.Event()

    def serve(server: socket.socket) -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1.0)
                try:
                    received.append(connection.recv(1024))
                except OSError:
                    received.append(b"<connected>")

    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in (tcp, unix)]
    for thread in threads:
        thread.start()
    try:
        yield _Listener(tcp.getsockname()[1], abstract, received)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        tcp.close()
        unix.close()


def test_no_network_to_localhost(hostile: Callable[..., Hostile], listener: _Listener) -> None:
    case = hostile("socket-to-localhost", PORT=listener.port, ABSTRACT=listener.abstract)
    checks = case.check(case.grade(), expected=0)  # the attempt itself costs the points
    assert all(c.status == "policy" for c in checks), checks[0]
    assert all("network" in c.message for c in checks if c.visibility == "public"), checks[0]
    time.sleep(0.2)  # let the server threads record a late connection
    assert listener.received == []


def test_control_in_process_the_listener_does_hear_the_child(
        hostile: Callable[..., Hostile], listener: _Listener) -> None:
    """The case above is a real attack and the listener would notice: with nothing in the way,
    it receives b"pwned" (once per connection: at import and in every call)."""
    case = hostile("socket-to-localhost", PORT=listener.port, ABSTRACT=listener.abstract)
    case.check(case.grade(sandbox=UNGUARDED), expected=FULL)
    time.sleep(0.2)
    assert b"pwned" in listener.received


# --- the exercise's policy -------------------------------------------------------------------

def test_a_forbidden_library_imported_behind_the_blockers_back_earns_nothing(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("forbidden-import-bypass")
    case.check(case.grade(), expected=0)


# --- weaknesses of the parent's reading of the child's files ----------------------------------

_GRADE_AND_PRINT = """
import json, sys
from pathlib import Path
from autograder.grading.grade import Options, grade
print(grade(Path(sys.argv[1]), Options(only=("padding",), timeout_s=20, case_timeout_s=2)).to_json())
"""


def test_a_named_pipe_for_a_result_is_a_failed_check_not_a_hang(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("fifo-result-file")
    try:  # in a subprocess, so that a hang costs seconds (its temp dir stays in scratch)
        with case.watching():
            done = subprocess.run([sys.executable, "-c", _GRADE_AND_PRINT, str(case.folder)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=10,
                                  env={**os.environ, "TMPDIR": str(case.scratch)})
    except subprocess.TimeoutExpired:
        pytest.fail("grading hung on a named pipe the child left behind")
    assert done.returncode == 0, done.stderr[-2000:]
    case.check(SubmissionResult.from_dict(json.loads(done.stdout)), expected=0)


def test_a_deeply_nested_result_file_is_a_failed_check(hostile: Callable[..., Hostile]) -> None:
    case = hostile("deeply-nested-result-json")
    case.check(case.grade(), expected=0)


def test_a_result_file_with_wrong_field_types_is_a_failed_check(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("non-list-error-types")
    case.check(case.grade(), expected=0)


# --- deadlines enforced from outside, and what hidden cases may say ---------------------------

def test_functions_that_swallow_every_alarm_cost_one_case_limit_each(
        hostile: Callable[..., Hostile]) -> None:
    case = hostile("swallows-alarm")
    limit = 1.0
    result = case.grade(case_timeout_s=limit)
    checks = case.check(result, expected=0)
    assert all(c.status == "timeout" for c in checks), checks
    functions = lookup(EXERCISE).functions
    # One worker per function gives up on its swallowed timeout (the function's other cases are
    # "not run"), hidden ones not run at all: about (limit + the grace + a worker's start) per
    # function, not per case, and no wall-clock backstop waited.
    assert result.duration_s < len(functions) * (limit + worker.SWALLOW_GRACE_S + 3), \
        result.duration_s
    stopped = [c for c in checks if f"used more than {limit:g} s of CPU time" in c.message]
    assert len(stopped) == len(functions), [c.message for c in checks]


def test_hidden_cases_say_nothing_the_student_code_controls(
        hostile: Callable[..., Hostile]) -> None:
    token = f"LEAK{secrets.token_hex(4)}"
    case = hostile("leaks-hidden-inputs", TOKEN=token)
    result = case.grade()
    checks = case.check(result, expected=0)
    hidden = [c for c in checks if c.visibility == "hidden"]
    assert hidden
    for check in hidden:
        for leak in (token, "Shape_", "array(", "dtype", "ValueError", "Exception"):
            assert leak not in check.message, check
        assert check.message.startswith(f"A hidden random case of {check.name.split()[-1]}()") \
            or check.message.startswith("Not run"), check
    public = [c for c in checks if c.visibility == "public"]
    assert any(token in c.message for c in public)  # the student's own, published cases
