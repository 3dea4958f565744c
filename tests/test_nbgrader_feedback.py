"""nbgrader's own commands on the course `autograder notebooks` writes, with submissions made
the way students make them (from the release): `nbgrader autograde` raises no false checksum
warning for the kit's test cells, still warns about a test cell a student changed, agrees with
the kit's grader, and `nbgrader generate_feedback` shows no hidden case, neither in a test
cell's source nor in its outputs (a traceback quotes the lines around the failing one)."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.grade import Options, grade
from autograder.grading.hidden import hidden_checks
from autograder.instructor.notebooks import main
from autograder.instructor.notebooks.literals import literal
from tests.test_notebooks import (
    BIN,
    BUGS,
    ROOT,
    SEED,
    VALIDATE,
    _bug,
    _cell_scores,
    _run,
    _run_logged,
    jupyter_env,
)

EXERCISE = "padding"
# fran: the reference typed into the release; gus: the same with a bug that hidden cases catch;
# hal: the untouched release (every cell raises NotImplementedError next to the hidden region);
# ivy: fran's notebook with a published expected value changed in a locked test cell
STUDENTS = ("fran", "gus", "hal", "ivy")

pytestmark = pytest.mark.skipif(
    shutil.which("nbgrader", path=str(BIN)) is None, reason="nbgrader is not installed")


def _filled(course: Path) -> nbformat.NotebookNode:
    """The release with every solution cell's body typed in from the source (no markers)."""
    source = {cell.metadata["nbgrader"]["grade_id"]: cell.source
              for cell in nbformat.read(course / "source" / EXERCISE / f"{EXERCISE}.ipynb",
                                        as_version=4).cells
              if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.read(course / "release" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)
    filled = 0
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = "\n".join(line for line in source[meta["grade_id"]].split("\n")
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
            filled += 1
    assert filled == len(source)
    return notebook


def _tampered(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, str]:
    """The notebook with the published expected value of its first test cell changed."""
    notebook = nbformat.reads(nbformat.writes(notebook), as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert "expected=(1, 1)," in cell.source
    cell.source = cell.source.replace("expected=(1, 1),", "expected=(7, 7),")
    return notebook, cell.metadata["nbgrader"]["grade_id"]


def _by_student(log: str) -> dict[str, str]:
    """nbgrader autograde's log, cut where it starts on each student's submission."""
    parts: dict[str, str] = {}
    student = ""
    for line in log.split("\n"):
        found = re.search(r"Sanitizing .*/submitted/([^/]+)/", line)
        student = found.group(1) if found else student
        parts[student] = parts.get(student, "") + line + "\n"
    assert sorted(parts) == sorted(("", *STUDENTS)), sorted(parts)
    return parts


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The course after generate_assignment, autograde of the four submissions, export and
    generate_feedback (the kit's config, then, in feedback-default/, nbgrader's defaults)."""
    course = tmp_path_factory.mktemp("feedback") / "cnn-unit"
    assert main(course, seed=SEED, only=(EXERCISE,)) == 0
    env = jupyter_env(tmp_path_factory.mktemp("home"))
    _run(["nbgrader", "generate_assignment", EXERCISE, "--force"], course, env)
    (course / "students.csv").write_text("id\n" + "\n".join(STUDENTS) + "\n")
    _run(["nbgrader", "db", "student", "import", "students.csv"], course, env)
    filled = _filled(course)
    paths = {}
    for student in STUDENTS:
        target = course / "submitted" / student / EXERCISE / f"{EXERCISE}.ipynb"
        target.parent.mkdir(parents=True)
        paths[student] = target
    nbformat.write(filled, paths["fran"])
    nbformat.write(filled, paths["gus"])
    nbformat.write(_bug(paths["gus"], EXERCISE), paths["gus"])
    shutil.copy(course / "release" / EXERCISE / f"{EXERCISE}.ipynb", paths["hal"])
    tampered, changed_cell = _tampered(filled)
    nbformat.write(tampered, paths["ivy"])
    # first fran alone with nbgrader's own sanitizing (the kit's RestoreHiddenTests left out),
    # then everyone with the course's config, which grades fran again
    defaults = [f"--Autograde.sanitize_preprocessors=nbgrader.preprocessors.{name}" for name in
                ("ClearOutput", "DeduplicateIds", "OverwriteKernelspec", "OverwriteCells",
                 "CheckCellMetadata")]
    default_log = "\n".join(_run_logged(["nbgrader", "autograde", EXERCISE, "--force",
                                         "--student", "fran", *defaults], course, env))
    out, err = _run_logged(["nbgrader", "autograde", EXERCISE, "--force"], course, env)
    logs = _by_student(out + "\n" + err)
    validated = json.loads(_run([sys.executable, "-c", VALIDATE, *map(str, paths.values())],
                                course, env).strip().splitlines()[-1])
    _run(["nbgrader", "export"], course, env)
    _run(["nbgrader", "generate_feedback", EXERCISE, "--force"], course, env)
    _run(["nbgrader", "generate_feedback", EXERCISE, "--force",
          "--CourseDirectory.feedback_directory=feedback-default",
          "--GenerateFeedback.preprocessors=nbgrader.preprocessors.GetGrades",
          "--GenerateFeedback.preprocessors=nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"],
         course, env)
    return {"course": course, "env": env, "paths": paths, "logs": logs, "validated": validated,
            "changed_cell": changed_cell, "default_log": default_log}


def test_autograde_raises_no_false_checksum_warning(graded: dict) -> None:
    # nbgrader alone warns for every test cell (jupyter/nbgrader#1961): the check is not blind
    source = nbformat.read(graded["course"] / "source" / EXERCISE / f"{EXERCISE}.ipynb",
                           as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    warned = re.findall(r"Attribute 'checksum' for cell (\S+) has changed", graded["default_log"])
    assert set(warned) == tests, graded["default_log"][-3000:]
    logs = graded["logs"]
    for student in ("", "fran", "gus", "hal"):
        assert "checksum" not in logs[student].lower(), (student, logs[student][-3000:])
        assert "has changed" not in logs[student], student
    # a test cell that a student did change is still reported, and graded as the instructor wrote it
    warned = re.findall(r"Attribute '(\w+)' for cell (\S+) has changed", logs["ivy"])
    assert warned == [("checksum", graded["changed_cell"])], logs["ivy"][-3000:]
    # and the student's own `nbgrader validate` sees no changed cell in a notebook made from the release
    for student in ("fran", "gus", "hal"):
        assert "changed" not in graded["validated"][str(graded["paths"][student])], student
    assert "changed" in graded["validated"][str(graded["paths"]["ivy"])]


def test_nbgrader_scores_equal_the_kits(graded: dict) -> None:
    course = graded["course"]
    with open(course / "grades.csv", newline="") as f:
        exported = {row["student_id"]: (float(row["score"]), float(row["max_score"]))
                    for row in csv.DictReader(f) if row["assignment"] == EXERCISE}
    cells = _cell_scores(course, graded["env"])
    for student in ("fran", "gus", "hal"):
        kit = grade(graded["paths"][student], Options(only=(EXERCISE,), seed=SEED)).exercises[0]
        assert exported[student] == (kit.score, kit.max_score), student
        assert cells[student, EXERCISE] == {c.id: c.points for c in kit.checks
                                            if c.visibility == "public"}, student
    best = exported["fran"][1]
    assert exported["fran"][0] == exported["ivy"][0] == best  # ivy: the instructor's test ran
    assert 0 < exported["gus"][0] < best and exported["hal"][0] == 0


def _text(page: str) -> str:
    """What a feedback page shows: its tags cut out, its entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _secrets(course: Path) -> set[str]:
    """Texts that only the hidden tests hold: every line of the test cells' hidden regions and
    the literal arguments of every hidden case, less what the release shows anyway."""
    source = nbformat.read(course / "source" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)
    shown = "\n".join(cell.source for cell in release.cells)
    secrets = set()
    for cell in source.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                inside = "BEGIN" in line
            elif inside and len(line.strip()) >= 12:
                secrets.add(line.strip())
    for case in hidden_checks(EXERCISE, seed=SEED, solutions=ROOT / "solutions"):
        secrets.add(literal(tuple(case.call.args)))
    return {s for s in secrets if len(s) >= 12 and s not in shown}


def _leaks(page: str, secrets: set[str]) -> list[str]:
    text = _text(page)
    found = [s for s in secrets if s in text]
    # the setup cell defines the helpers `_run_hidden` and `_expect_hidden`; only test cells call them
    found += [word for word in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "_hidden_cases",
                                "_run_hidden('", "_expect_hidden('") if word in page or word in text]
    return found


def test_feedback_shows_no_hidden_case(graded: dict) -> None:
    course = graded["course"]
    secrets = _secrets(course)
    assert len(secrets) > 40  # the hidden regions' lines and the cases' argument texts
    for student in STUDENTS:
        page = (course / "feedback" / student / EXERCISE / f"{EXERCISE}.html").read_text()
        leaked = _leaks(page, secrets)
        assert not leaked, f"{student}'s feedback shows hidden tests: {sorted(leaked)[:3]}"
        text = _text(page)
        assert "same_padding-odd-kernel (1 point)" in text  # the public part is there
        if student == "gus":  # the bug: the student reads why the points are withheld
            bug = BUGS[EXERCISE][1].split("#")[0].strip()
            assert bug in text
            assert re.search(r"This published case passes, but \d+ hidden random case\(s\) of "
                             r"same_padding\(\) failed", text), student
        if student == "hal":
            assert "NotImplementedError" in text
    # the check is not blind: nbgrader's default feedback shows the hidden tests
    default = (course / "feedback-default" / "gus" / EXERCISE / f"{EXERCISE}.html").read_text()
    assert len(_leaks(default, secrets)) > 40
