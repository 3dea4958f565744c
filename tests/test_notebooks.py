"""`autograder notebooks`: the nbgrader course it writes, run through the real nbgrader CLI.

nbgrader's scores of the submissions (the reference, the untouched release, a realistic bug, and
for padding a notebook that only knows the published answers and one that accepts bad
arguments) must equal what the kit's grader gives the same notebooks, check by check and
exercise by exercise.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.core.checks import public_checks
from autograder.grading.grade import Options, grade
from autograder.instructor.notebooks import GRADE_ID, IGNORE_PATTERN, config_text, main
from autograder.registry import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = 4242
FLOW = ("padding", "stride")  # the exercises this test runs through nbgrader (time)

pytestmark = pytest.mark.skipif(
    shutil.which("nbgrader", path=str(BIN)) is None, reason="nbgrader is not installed")

# One realistic bug per exercise: (the reference line, the buggy line).
BUGS = {
    "padding": ("    return total // 2, total - total // 2",
                "    return total - total // 2, total // 2  # odd zero before"),
    "stride": ("    return (n - kernel_size) // stride + 1",
               "    return -(-(n - kernel_size) // stride) + 1  # ceil, not floor"),
    "cross_correlation": ("    return sliding_window_view(x, kernel.shape[0]) @ kernel",
                          "    return sliding_window_view(x, kernel.shape[0]) @ kernel[::-1]"),
    "pooling": ("fill=-np.inf)", "fill=0.0)"),
    "cnn": ("windows, kernels) + bias  # the bias before the activation",
            "windows, kernels)  # bias forgotten"),
}
STUDENTS = ("alice", "bob", "carol")  # the reference, the untouched release, the bug
# padding also gets dave, whose same_padding() knows only the published answers, and erin, whose
# same_padding() is right but accepts bad arguments (no ValueError)
EXTRA = {"padding": ("dave", "erin")}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("course") / "cnn-unit"
    assert main(out, seed=SEED) == 0
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return jupyter_env(tmp_path_factory.mktemp("home"))


def jupyter_env(home: Path) -> dict[str, str]:
    """Nothing touches the user's Jupyter folders; a `python3` kernel runs this interpreter."""
    prefix = home / "kernel-prefix"
    variables = {**os.environ, "HOME": str(home), "JUPYTER_DATA_DIR": str(home / "data"),
                 "JUPYTER_CONFIG_DIR": str(home / "config"),
                 "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                 "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
                 "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                 "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    variables.pop("AUTOGRADER_SEED", None)
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
                    "--name", "python3"], env=variables, check=True, capture_output=True)
    return variables


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    return _run_logged(args, cwd, env)[0]


def _run_logged(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str]:
    """The command's stdout and stderr (nbgrader logs to stderr)."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done.stdout, done.stderr


def _nbgrader_cells(notebook: nbformat.NotebookNode) -> list[dict]:
    return [cell.metadata["nbgrader"] for cell in notebook.cells if "nbgrader" in cell.metadata]


def test_course_layout(course: Path) -> None:
    from traitlets.config import Config

    path = course / "nbgrader_config.py"
    assert path.read_text() == config_text()
    c = Config()
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c, "__file__": str(path)})
    assert c.CourseDirectory.course_id == "cnn-unit"
    assert Path(c.CourseDirectory.root) == course
    assert c.CourseDirectory.db_url == f"sqlite:///{course / 'gradebook.db'}"
    assert c.Execute.timeout >= 600 and c.Execute.kernel_name == "python3"
    assert c.IgnorePattern.enabled and c.IgnorePattern.pattern == IGNORE_PATTERN
    noise = ("2025-01-01 10:00:00.123456: I tensorflow/core/util/port.cc:153] oneDNN custom "
             "operations are on.",
             "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
             "E0000 00:00:1732612345.123456   12345 cuda_dnn.cc:8310] Unable to register cuDNN",
             "/x/site-packages/keras/src/layers/core/input_layer.py:27: UserWarning: Argument "
             "`input_shape` is deprecated.")
    for line in noise:
        assert re.search(IGNORE_PATTERN, f"some output\n{line}\n"), line
    assert not re.search(IGNORE_PATTERN, "Traceback (most recent call last):\nAssertionError: x")
    for exercise in EXERCISES:
        folder = course / "source" / exercise.name
        assert sorted(p.name for p in folder.iterdir()) == [f"{exercise.name}.ipynb"]
        notebook = nbformat.read(folder / f"{exercise.name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        cells = _nbgrader_cells(notebook)
        ids = [c["grade_id"] for c in cells]
        assert len(ids) == len(set(ids)) and all(GRADE_ID.match(i) for i in ids)
        assert all(c["schema_version"] == 3 for c in cells)
        # the test cells of a function follow its solution cell, in the order of the checks
        checks = sorted(public_checks(exercise.name, seed=SEED),
                        key=lambda c: exercise.functions.index(c.call.function))
        tests = [c for c in cells if c["grade"]]
        assert [c["grade_id"] for c in tests] == [c.id for c in checks]
        assert [c["points"] for c in tests] == [c.points for c in checks]
        assert all(c["locked"] and not c["solution"] for c in tests)
        solutions = [c["grade_id"] for c in cells if c["solution"]]
        assert solutions == [f"{f}-solution" for f in exercise.functions]
        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "import autograder" not in code and "from autograder" not in code
    assert not [p for p in (course / "source").rglob("*") if p.suffix != ".ipynb" and p.is_file()]


def test_helpers_copied_from_the_kit_lose_only_their_annotations() -> None:
    """The setup cell copies `_plain` from the kit (the notebook cannot import it): the copy
    parses without `typing`, decides as the kit does, and a copy that cannot be cut cleanly
    is refused."""
    from autograder.core.calls import _NOT_PLAIN, _plain
    from autograder.instructor.notebooks import NotebookError
    from autograder.instructor.notebooks.kit_source import plain_source

    copy = plain_source(_plain)
    assert copy.startswith("def _plain(value):\n") and "Any" not in copy
    namespace = {"np": np, "_NOT_PLAIN": _NOT_PLAIN}
    exec(copy, namespace)
    for value in (3, np.int64(4), 2.5, None, True, "x", (1, np.float32(0.5)), [1, (2, None)],
                  np.zeros(3), tuple(range(65))):
        assert namespace["_plain"](value) == _plain(value), value

    def spread(x: dict[
            str, int]) -> None:
        pass

    with pytest.raises(NotebookError, match="spans lines"):
        plain_source(spread)


def _reference_lines(exercise: str) -> set[str]:
    """The distinctive code lines of the reference solution's function bodies (docstrings,
    comments and lines the stub has too, such as the given `reference_model`, left out)."""
    given = {line.split("  #")[0].strip()
             for line in (ROOT / "exercises" / f"{exercise}.py").read_text().split("\n")}
    text = (ROOT / "solutions" / f"{exercise}.py").read_text().split("\n")
    lines = set()
    for node in ast.parse("\n".join(text)).body:
        if isinstance(node, ast.FunctionDef) and node.name != "reference_model":
            start = node.body[0].end_lineno if ast.get_docstring(node) else node.body[0].lineno - 1
            for line in text[start:node.end_lineno]:
                line = line.split("  #")[0].strip()
                if len(line) > 24 and not line.startswith("#") and line not in given:
                    lines.add(line)
    return lines


def _code_lines(notebook: Path) -> set[str]:
    return {line.split("  #")[0].strip() for cell in nbformat.read(notebook, as_version=4).cells
            if cell.cell_type == "code" for line in cell.source.split("\n")}


def _bug(source: Path, exercise: str, bug: tuple[str, str] | None = None) -> nbformat.NotebookNode:
    """The notebook with one line of a solution cell changed (default: the exercise's bug)."""
    notebook = nbformat.read(source, as_version=4)
    good, bad = bug or BUGS[exercise]
    changed = 0
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and good in cell.source:
            cell.source = cell.source.replace(good, bad)
            changed += 1
    assert changed == 1, f"the bug for {exercise} applies to {changed} cells"
    return notebook


def _memorizer(source: Path) -> nbformat.NotebookNode:
    """padding: a same_padding() that returns the published answers and (0, 0) otherwise."""
    published = {(*c.call.args, *c.call.kwargs.values()): c.expect.expected  # type: ignore[attr-defined]
                 for c in public_checks("padding", seed=SEED) if c.call.function == "same_padding"}
    assert published and all(len(key) in (2, 3) for key in published)
    table = {(*key, 1)[:3]: value for key, value in published.items()}
    return _bug(source, "padding", ("    return total // 2, total - total // 2",
                                    f"    return {table!r}.get((n, kernel_size, stride), (0, 0))"))


def _accepts_bad_arguments(source: Path) -> nbformat.NotebookNode:
    """padding: a right same_padding() that never raises ValueError."""
    return _bug(source, "padding", ('            raise ValueError(f"{name} must be a positive int, '
                                    'got {value!r}")', "            return 1"))


VALIDATE = """
import json, sys
from nbgrader.validator import Validator
print(json.dumps({p: sorted(Validator().validate(p)) for p in sys.argv[1:]}))
"""


def test_nbgrader_scores_equal_the_kits(course: Path, env: dict[str, str]) -> None:
    for exercise in FLOW:
        _run(["nbgrader", "generate_assignment", exercise, "--force"], course, env)
        release = course / "release" / exercise / f"{exercise}.ipynb"
        assert sorted(p.name for p in release.parent.iterdir()) == [release.name]
        text = release.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        reference = _reference_lines(exercise)
        source_code = _code_lines(course / "source" / exercise / f"{exercise}.ipynb")
        assert reference and reference <= source_code  # the probe finds the reference code
        leaked = sorted(reference & _code_lines(release))
        assert not leaked, f"reference code in the release of {exercise}: {leaked[:3]}"
    assert not list((course / "release").rglob("*.py"))

    sources = [str(course / "source" / e / f"{e}.ipynb") for e in FLOW]
    releases = [str(course / "release" / e / f"{e}.ipynb") for e in FLOW]
    validated = json.loads(_run([sys.executable, "-c", VALIDATE, *sources, *releases], course,
                                env).strip().splitlines()[-1])
    for path in sources:
        assert validated[path] == [], f"{path} does not pass nbgrader's validation"
    for path in releases:
        assert validated[path] == ["failed"], f"{path} passes nbgrader's validation"

    (course / "students.csv").write_text("id\n" + "\n".join(STUDENTS) + "\n")
    _run(["nbgrader", "db", "student", "import", "students.csv"], course, env)
    submissions: dict[tuple[str, str], Path] = {}
    for exercise in FLOW:
        for student in STUDENTS + EXTRA.get(exercise, ()):
            target = course / "submitted" / student / exercise / f"{exercise}.ipynb"
            target.parent.mkdir(parents=True)
            source = course / "source" / exercise / f"{exercise}.ipynb"
            if student == "alice":
                shutil.copy(source, target)
            elif student == "bob":
                shutil.copy(course / "release" / exercise / f"{exercise}.ipynb", target)
            elif student == "carol":
                nbformat.write(_bug(source, exercise), target)
            elif student == "dave":
                nbformat.write(_memorizer(source), target)
            else:
                nbformat.write(_accepts_bad_arguments(source), target)
            submissions[student, exercise] = target
        _run(["nbgrader", "autograde", exercise, "--force"], course, env)
    _run(["nbgrader", "export"], course, env)

    with open(course / "grades.csv", newline="") as f:
        exported = {(row["student_id"], row["assignment"]): (float(row["score"]),
                                                              float(row["max_score"]))
                    for row in csv.DictReader(f)}
    cells = _cell_scores(course, env)
    for (student, exercise), path in submissions.items():
        kit = grade(path, Options(only=(exercise,), seed=SEED)).exercises[0]
        assert exported[student, exercise] == (kit.score, kit.max_score), (student, exercise)
        per_check = {c.id: c.points for c in kit.checks if c.visibility == "public"}
        assert cells[student, exercise] == per_check, (student, exercise)
    for exercise in FLOW:
        best = exported["alice", exercise][1]
        assert exported["alice", exercise][0] == best
        assert exported["bob", exercise][0] == 0
        assert 0 < exported["carol", exercise][0] < best
    # the published answers alone: every same_padding() cell earns 0, zero_pad()'s cells their
    # points (correlate2d_padded() calls the student's same_padding(): its cells may fail too);
    # bad arguments accepted: only the argument-guarded cell earns 0
    full = cells["alice", "padding"]
    own = {c.id for c in public_checks("padding", seed=SEED) if c.call.function == "same_padding"}
    memorized = cells["dave", "padding"]
    assert {k: v for k, v in memorized.items() if k in own} == dict.fromkeys(own, 0)
    assert all(memorized[k] == v for k, v in full.items() if k.startswith("zero_pad-"))
    from autograder.grading.hidden import argument_guarded

    guarded = {c.id for c in argument_guarded(
        [c for c in public_checks("padding", seed=SEED) if c.id in own])}
    assert len(guarded) == 1 and guarded < own
    assert cells["erin", "padding"] == {k: 0 if k in guarded else v for k, v in full.items()}


CELL_SCORES = """
import json
from nbgrader.api import Gradebook
scores = {}
with Gradebook("sqlite:///gradebook.db") as gb:
    for assignment in gb.assignments:
        for submission in gb.assignment_submissions(assignment.name):
            for notebook in submission.notebooks:
                scores[f"{submission.student.id}/{assignment.name}"] = {
                    grade.name: grade.score for grade in notebook.grades}
print(json.dumps(scores))
"""


def _cell_scores(course: Path, env: dict[str, str]) -> dict[tuple[str, str], dict[str, float]]:
    """nbgrader's score of every graded cell, by (student, assignment)."""
    out = _run([sys.executable, "-c", CELL_SCORES], course, env).strip().splitlines()[-1]
    return {tuple(key.split("/")): value  # type: ignore[misc]
            for key, value in json.loads(out).items()}
