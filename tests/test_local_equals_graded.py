"""Local = graded: every public check gets the same verdict (status and points) from the student
loop (`autograder check`, `pytest exercises`) as from the grader (`autograder grade`).

Each submission folder under tests/submissions is graded both ways, or named in SKIPPED with
the reason. The student loop runs in a subprocess of its own per submission (it runs the
student's code in-process, as a student's `autograder check` does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.core.calls import Outcome
from autograder.grading import jobs
from autograder.grading.grade import DEFAULT_SEED, Options, grade
from autograder.registry import EXERCISES
from autograder.student import loop as student
from tests.conftest import ROOT, SOLUTIONS

SUBMISSIONS = ROOT / "tests" / "submissions"
NAMES = [e.name for e in EXERCISES]

_SANDBOX = "needs the sandbox to be safe or to be stopped: "
SKIPPED = {
    # Hostile code is the grader's business: in a student's own process it runs with the
    # student's rights, and these do harm there, or defeat the in-process time limit.
    "batch/copies-a-classmate": "a template: tests/test_batch.py fills in the classmate's path",
    "batch/exit-at-import": _SANDBOX + "os._exit() ends the process",
    "hostile/deeply-nested-result-json": _SANDBOX + "os._exit() ends the process",
    "hostile/double-fork-daemon": _SANDBOX + "leaves a daemon behind",
    "hostile/drops-tmp-files": _SANDBOX + "leaves files in /tmp",
    "hostile/every-function-hangs": _SANDBOX + "swallows the alarm in an endless loop",
    "hostile/fake-result-files": _SANDBOX + "writes result files",
    "hostile/fifo-result-file": _SANDBOX + "os._exit() ends the process",
    "hostile/huge-allocation": _SANDBOX + "allocates 8 GiB",
    "hostile/infinite-loop-at-import": _SANDBOX + "ignores SIGALRM while it spins at import",
    "hostile/kills-the-grader": _SANDBOX + "kills its parent processes",
    "hostile/leaks-hidden-inputs": _SANDBOX + "os._exit() ends the process",
    "hostile/monkeypatch-grader": _SANDBOX + "rewrites the kit's code in its process",
    "hostile/monkeypatch-numpy": _SANDBOX + "patches the NumPy the verdict is made with",
    "hostile/non-list-error-types": _SANDBOX + "os._exit() ends the process",
    "hostile/os-exit-at-import": _SANDBOX + "os._exit() ends the process",
    "hostile/outliving-children": _SANDBOX + "leaves processes behind",
    "hostile/prints-megabytes": _SANDBOX + "prints 100 MB",
    "hostile/reads-solutions": _SANDBOX + "reads the kit's solutions, visible to it here",
    "hostile/reads-solutions-from-git": _SANDBOX + "reads the kit's git objects, visible here",
    "hostile/rewrites-results-later": _SANDBOX + "leaves a daemon behind",
    "hostile/smuggles-hidden-inputs": _SANDBOX + "os._exit() ends the process",
    "hostile/socket-to-localhost": _SANDBOX + "opens sockets",
    "hostile/swallows-alarm": _SANDBOX + "swallows the alarm in an endless loop",
    "hostile/writes-kit-files": _SANDBOX + "writes into the kit",
    "notebooks/stride-with-a-fix.ipynb": "a notebook: the student loop checks modules "
                                         "(notebooks check themselves in nbgrader)",
}
# The CNN exercise starts TensorFlow in the grader's workers and trains a model twice (~40 s a
# submission): one of its styles is compared, as a slow test; the others are left to
# tests/test_styles.py, which grades them.
CNN_COMPARED = "keras-functional"
# Their grading waits out the grader's wall-clock limits (and its retries on a busy machine):
# a minute or more each, so they run with the slow tests.
WAITS = ("batch/hang-at-import", "load/")


def _modules(folder: Path) -> list[str]:
    return [n for n in NAMES if (folder / f"{n}.py").is_file()]


def _cases() -> list[object]:
    cases = []
    for folder in sorted(p for group in SUBMISSIONS.iterdir() if group.is_dir()
                         for p in group.iterdir() if p.is_dir() or p.suffix == ".ipynb"):
        rel = folder.relative_to(SUBMISSIONS).as_posix()
        if rel in SKIPPED:
            continue
        names = _modules(folder)
        numpy_only = [n for n in names if n != "cnn"]
        if numpy_only:
            marks = [pytest.mark.slow] if rel.startswith(WAITS) else []
            cases.append(pytest.param(folder, tuple(numpy_only), id=rel, marks=marks))
        elif folder.name == CNN_COMPARED:
            cases.append(pytest.param(folder, ("cnn",), id=rel, marks=pytest.mark.slow))
    return cases


def test_every_submission_folder_is_compared_or_skipped_with_a_reason() -> None:
    compared = {p.id for p in _cases()}  # type: ignore[attr-defined]
    every = {p.relative_to(SUBMISSIONS).as_posix() for group in SUBMISSIONS.iterdir()
             if group.is_dir() for p in group.iterdir() if p.is_dir() or p.suffix == ".ipynb"}
    cnn_only = {rel for rel in every - compared - set(SKIPPED)
                if _modules(SUBMISSIONS / rel) == ["cnn"]}
    assert every - compared - set(SKIPPED) == cnn_only
    assert set(SKIPPED) <= every, set(SKIPPED) - every


_LOCAL = """
import json, sys
from pathlib import Path
from autograder.student import loop as student
folder, names = Path(sys.argv[1]), sys.argv[2].split(",")
found = student.find_modules(folder, names)
verdicts = {}
for name in names:
    result, notes = student.run_exercise(name, folder, found=found[name])
    verdicts.update({c.id: [c.status, c.points] for c in result.checks})
print(json.dumps(verdicts))
"""


def local_verdicts(folder: Path, names: tuple[str, ...], cwd: Path) -> dict[str, tuple[str, float]]:
    done = subprocess.run([sys.executable, "-c", _LOCAL, str(folder), ",".join(names)],
                          cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT),
                               student.CACHE_VARIABLE: "off"})
    assert done.returncode == 0, done.stderr[-3000:]
    return {k: (v[0], v[1]) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}


def graded_verdicts(folder: Path, names: tuple[str, ...]) -> dict[str, tuple[str, float]]:
    result = grade(folder, Options(hidden=False, only=names))
    return {c.id: (c.status, c.points) for e in result.exercises for c in e.checks
            if c.visibility == "public"}


@pytest.mark.parametrize(("folder", "names"), _cases())
def test_the_student_loop_gives_the_graders_public_verdicts(folder: Path, names: tuple[str, ...],
                                                            tmp_path: Path) -> None:
    graded = graded_verdicts(folder, names)
    local = local_verdicts(folder, names, tmp_path)
    assert local.keys() == graded.keys()
    differ = {i: {"local": local[i], "graded": graded[i]} for i in local if local[i] != graded[i]}
    assert not differ


def test_a_stray_stub_beside_a_finished_exercises_folder(tmp_path: Path) -> None:
    """The kit's layout: exercises/ complete, an old stub padding.py left at the top. Both
    take exercises/padding.py, and say so."""
    shutil.copytree(SOLUTIONS, tmp_path / "exercises", ignore=shutil.ignore_patterns(
        "__init__.py", "mistakes.py", "__pycache__", "cnn.py"))
    shutil.copy(ROOT / "exercises" / "padding.py", tmp_path / "padding.py")
    numpy_names = tuple(n for n in NAMES if n != "cnn")
    done = _check(tmp_path, *numpy_names)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Progress: [####################] 4/4 exercises, 70/70 points" in done.stdout
    assert ("Note: padding.py: took exercises/padding.py (3 of 3 functions implemented), the "
            "most complete of its 2 copies, not padding.py (0 of 3 functions implemented)"
            ) in done.stdout
    graded = grade(tmp_path, Options(hidden=False, only=numpy_names))
    assert graded.score == graded.max_score == 70
    assert any("took exercises/padding.py" in note for note in graded.notes)


def test_a_padding_module_that_imports_scipy(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    source = (SOLUTIONS / "padding.py").read_text()
    assert "\nimport numpy as np\n" in source
    (tmp_path / "exercises" / "padding.py").write_text(
        source.replace("\nimport numpy as np\n", "\nimport numpy as np\nimport scipy.signal\n"))
    done = _check(tmp_path, "padding")
    assert done.returncode == 1
    assert "0/15 points" in done.stdout and "All done" not in done.stdout
    assert "Not run: line" in done.stdout and "the NumPy exercises may not use scipy" in done.stdout
    graded = grade(tmp_path, Options(hidden=False, only=("padding",)))
    assert graded.score == 0
    message = graded.exercises[0].checks[0].message
    assert message in done.stdout


def _check(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", "check", *names], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_the_loop_keeps_the_graders_limits_seed_and_words() -> None:
    assert student.IMPORT_TIMEOUT_S == jobs.IMPORT_TIMEOUT_S
    assert Options().train_timeout_s == student.TRAIN_TIMEOUT_S
    assert student.GRADER_SEED == DEFAULT_SEED
    for refused in [("importing scipy",), ("calling numpy.correlate, which correlate1d() may "
                                           "not use",), tuple(f"importing m{i}" for i in range(5))]:
        assert student.refusal_verdict(refused) == jobs.refusal_verdict(Outcome(refused=refused))
