"""`autograder batch` end to end: a folder of real submissions (good, buggy, hostile,
malformed), real sandboxed gradings in a process pool and on a local Dask cluster, real files."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from autograder.core.results import SubmissionResult
from autograder.grading.sandbox import bwrap_status
from autograder.instructor import batch
from autograder.instructor.batch.pipeline import finish
from autograder.instructor.batch.record import load_finished
from autograder.instructor.batch.runner import local_runner
from autograder.instructor.doctor import BANNER_PREFIX
from tests.conftest import ROOT, SOLUTIONS, STUBS

EXAMPLES = ROOT / "tests" / "submissions" / "batch"
ONLY = ("padding",)
TIMEOUT_S = 6.0  # the worker's wall clock: what the submission that hangs gets
REFERENCE = (SOLUTIONS / "padding.py").read_text()
# A known mistake: the odd zero of "same" padding goes before instead of after.
BUGGY = REFERENCE.replace("return total // 2, total - total // 2",
                          "return total - total // 2, total // 2")
HEADER = ["student_id", "score", "max_score", "status", "padding", "duration_s"]
EXPECTED = {  # student -> (score, status); carol's buggy score is checked apart
    "alice": ("15", "graded"),  # the reference, every solution module, flat
    "bob": ("0", "graded"),  # the stubs
    "dan": ("15", "graded"),  # a zip of a folder holding exercises/
    "erin": ("15", "graded"),  # a notebook
    "frank": ("0", "malformed"),  # a .zip that is not a zip
    "gina": ("0", "graded"),  # os._exit while imported
    "hank": ("0", "timeout"),  # hangs at import
}


def _folder(top: Path, name: str, source: str, sub: str = "") -> Path:
    folder = top / name / sub
    folder.mkdir(parents=True)
    (folder / "padding.py").write_text(source)
    return top / name


def _notebook(path: Path) -> None:
    head, _, body = REFERENCE.partition("PADDING_MODES = ")
    cells = [nbformat.v4.new_markdown_cell("# Padding"),
             nbformat.v4.new_code_cell(head.strip()),
             nbformat.v4.new_code_cell("PADDING_MODES = " + body.strip()),
             nbformat.v4.new_code_cell("correlate2d_padded([[1, 2], [3, 4]], [[1]], 'same')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def make_batch(top: Path) -> Path:
    """The batch folder of the tests: one student per kind of submission, plus what is not one."""
    top.mkdir(parents=True)
    shutil.copytree(SOLUTIONS, top / "alice")
    shutil.copytree(STUBS, top / "bob")
    _folder(top, "carol", BUGGY, "exercises")
    with zipfile.ZipFile(top / "dan.zip", "w") as archive:
        archive.writestr("dan/exercises/padding.py", REFERENCE)
    _notebook(top / "erin.ipynb")
    (top / "frank.zip").write_bytes(b"PK\x03\x04 this is not a zip file")
    shutil.copytree(EXAMPLES / "exit-at-import", top / "gina")
    shutil.copytree(EXAMPLES / "hang-at-import", top / "hank")
    # not submissions
    (top / "notes.txt").write_text("grade these by Friday")
    _folder(top, ".git", "x = 1\n")
    _folder(top, "__MACOSX", "x = 1\n")
    return top


def grades(out: Path) -> list[dict[str, str]]:
    with (out / "grades.csv").open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADER
        return list(reader)


def without_duration(out: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "duration_s"} for row in grades(out)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, batch.BatchReport]:
    """The batch graded once, locally, two at a time; OUT lies inside DIR (and is skipped)."""
    top = make_batch(tmp_path_factory.mktemp("batch") / "submissions")
    out = top / "graded"
    report = batch.run(top, out, jobs=2, only=ONLY, timeout_s=TIMEOUT_S)
    return top, out, report


def test_the_gradebook_has_one_exact_row_per_student(graded: tuple[Path, Path, batch.BatchReport]
                                                      ) -> None:
    _, out, report = graded
    rows = {row["student_id"]: row for row in grades(out)}
    assert list(rows) == sorted([*EXPECTED, "carol"])
    for student, (score, status) in EXPECTED.items():
        row = rows[student]
        assert (row["score"], row["status"], row["padding"], row["max_score"]) == \
            (score, status, score, "15"), row
        assert float(row["duration_s"]) >= 0
    carol = rows["carol"]
    assert carol["status"] == "graded" and 0 < float(carol["score"]) < 15
    assert report.graded and sorted(report.graded) == sorted(rows) and not report.resumed
    assert report.skipped_entries == ["notes.txt"]  # hidden entries and OUT: not even listed


def test_every_student_gets_feedback_and_a_finished_mark(
        graded: tuple[Path, Path, batch.BatchReport]) -> None:
    _, out, _ = graded
    students = sorted([*EXPECTED, "carol"])
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == students
    for student in students:
        folder = out / student
        assert sorted(p.name for p in folder.iterdir()) == [
            ".grading.json", "feedback.html", "feedback.md", "result.json", "results.json"]
        result = SubmissionResult.from_dict(json.loads((folder / "result.json").read_text()))
        assert not os.path.isabs(result.submission)  # the name in DIR, not the grader's disk
        state = json.loads((folder / ".grading.json").read_text())
        assert state["result_sha256"] == hashlib.sha256(
            (folder / "result.json").read_bytes()).hexdigest()
    assert "same" in (out / "carol" / "feedback.md").read_text()
    assert "<!DOCTYPE html>" in (out / "gina" / "feedback.html").read_text()
    assert "not a valid zip" in (out / "frank" / "feedback.md").read_text()


def test_the_summary_says_where_the_class_struggled(
        graded: tuple[Path, Path, batch.BatchReport]) -> None:
    _, out, _ = graded
    summary = (out / "summary.md").read_text()
    assert "**8 students**: 6 graded, 1 timeout, 1 malformed." in summary
    assert "Score out of 15, over the 8 students with a result: mean" in summary
    assert " 90–100% | " in summary and "  0–9% | " in summary
    # every student who passed a check: alice, dan, erin and carol (where her bug does not show)
    assert "| padding | `zero_pad-image` | public | 4/8 | 50 |" in summary
    assert "| padding | `same_padding-even-kernel` | public | 3/8 | 38 |" in summary
    assert "| frank | malformed | frank.zip is not a valid zip file |" in summary
    assert "| hank | timeout | " in summary and "took longer than 6 s" in summary
    assert "| gina | padding | the process ended while importing padding.py" in summary


def test_resume_regrades_nothing_then_exactly_what_changed(
        graded: tuple[Path, Path, batch.BatchReport], tmp_path: Path) -> None:
    original, original_out, _ = graded
    top = tmp_path / "submissions"
    shutil.copytree(original, top, symlinks=True)  # OUT comes along: it lies inside DIR
    out = top / "graded"
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")}

    report = batch.run(top, out, jobs=2, resume=True, only=ONLY, timeout_s=TIMEOUT_S)
    assert report.graded == [] and report.resumed == sorted([*EXPECTED, "carol"])
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")} == stamps
    assert without_duration(out) == without_duration(original_out)

    (top / "carol" / "exercises" / "padding.py").write_text(REFERENCE)  # carol fixes her bug
    report = batch.run(top, out, jobs=2, resume=True, only=ONLY, timeout_s=TIMEOUT_S)
    assert report.graded == ["carol"]
    changed = [p.parent.name for p in out.glob("*/result.json") if p.stat().st_mtime_ns != stamps[p]]
    assert changed == ["carol"]
    assert next(r for r in grades(out) if r["student_id"] == "carol")["score"] == "15"

    # other settings are another grade: a different seed would regrade everyone
    state = json.loads((out / "alice" / ".grading.json").read_text())
    digest = batch.content_hash(top / "alice")
    assert load_finished(out / "alice", digest, state["settings"]) is not None
    assert load_finished(out / "alice", digest, {**state["settings"], "seed": 1}) is None
    (out / "alice" / "result.json").write_text("{}")  # a result.json that is not the recorded one
    assert load_finished(out / "alice", digest, state["settings"]) is None


def test_the_dask_cluster_gives_the_same_gradebook(
        graded: tuple[Path, Path, batch.BatchReport], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    top, local_out, _ = graded
    out = tmp_path / "dask-out"
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        report = batch.run(top, out, scheduler=cluster.scheduler_address, only=ONLY,
                           timeout_s=TIMEOUT_S)
    assert report.parallel == 2
    assert without_duration(out) == without_duration(local_out)
    # the same summary, but for its sandbox line: the Dask workers grade with their own
    mine, local = ((o / "summary.md").read_text().splitlines() for o in (out, local_out))
    assert [line for line in mine if not line.startswith(BANNER_PREFIX)] == \
        [line for line in local if not line.startswith(BANNER_PREFIX)]
    assert any(line.startswith(BANNER_PREFIX) and "Dask workers grade with their own" in line
               for line in mine)
    for student in ("carol", "erin", "hank"):  # the feedback, but its footer (start, duration)
        mine, local = ((o / student / "feedback.md").read_text().rpartition("\n---\n")[0]
                       for o in (out, local_out))
        assert mine and mine == local


@pytest.fixture
def sibling_dir() -> Iterator[Path]:
    """A batch folder outside /tmp (bubblewrap gives the sandbox an empty /tmp anyway), so that
    hiding the batch folder itself is what is tested."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="autograder-batch-test-", dir=base) as folder:
        yield Path(folder)


@pytest.mark.parametrize("bwrap", [pytest.param("1", marks=pytest.mark.skipif(
    not bwrap_status()[0], reason="bubblewrap does not work here")), "0"])
def test_a_submission_cannot_copy_a_classmate(sibling_dir: Path, bwrap: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """bwrap hides the batch folder; without it the audit hook refuses reading it (and the
    sandbox user, where the folder is not world-readable)."""
    monkeypatch.setenv("AUTOGRADER_BWRAP", bwrap)
    top = sibling_dir / "submissions"
    _folder(top, "alice", REFERENCE)
    spy = (EXAMPLES / "copies-a-classmate" / "padding.py").read_text()
    _folder(top, "mallory", spy.replace("__CLASSMATE__", str(top / "alice" / "padding.py")))
    report = batch.run(top, sibling_dir / "out", jobs=2, only=ONLY)
    assert {r.student_id: r.score for r in report.rows} == {"alice": 15, "mallory": 0}
    note = report.rows[1].result.exercises[0].note  # type: ignore[union-attr]
    assert any(why in note for why in ("FileNotFoundError", "No such file", "tried reading")), note


def test_a_killed_batch_keeps_every_finished_result_and_resume_finishes(tmp_path: Path) -> None:
    top = tmp_path / "submissions"
    for number in range(8):
        _folder(top, f"s{number}", REFERENCE if number % 2 else BUGGY)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder.cli", "batch", str(top), "--out", str(out),
               "--only", "padding", "--jobs", "1"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("*/.grading.json")) and time.monotonic() < deadline:
            assert process.poll() is None, "the batch ended before it was killed"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and its pool workers, not the sandboxes'
        process.wait()
    finished = sorted(p.parent.name for p in out.glob("*/.grading.json"))
    assert 1 <= len(finished) < 8 and not (out / "grades.csv").exists()
    for student in finished:
        state = json.loads((out / student / ".grading.json").read_text())
        data = (out / student / "result.json").read_bytes()
        assert hashlib.sha256(data).hexdigest() == state["result_sha256"]
        SubmissionResult.from_dict(json.loads(data))

    report = batch.run(top, out, jobs=2, resume=True, only=ONLY)
    assert sorted(report.resumed) == finished
    assert sorted(report.graded) == sorted(set(f"s{n}" for n in range(8)) - set(finished))
    rows = grades(out)
    assert [r["student_id"] for r in rows] == [f"s{n}" for n in range(8)]
    assert all(r["status"] == "graded" for r in rows)
    assert {r["score"] for r in rows[1::2]} == {"15"}
    buggy = {r["score"] for r in rows[::2]}
    assert len(buggy) == 1 and 0 < float(buggy.pop()) < 15


def test_nbgrader_layout_and_the_command_output(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    course = tmp_path / "course"
    _folder(course / "submitted", "dave", REFERENCE, "cnn-unit")
    _folder(course / "submitted", "erin", (STUBS / "padding.py").read_text(), "cnn-unit")
    _folder(course / "source", "cnn-unit", REFERENCE)  # the instructor's: not a student
    (course / "gradebook.db").write_bytes(b"")
    out = tmp_path / "out"
    assert batch.main(course, out=out, jobs=2, resume=False, scheduler=None, only=ONLY, seed=None,
                      profile=None, timeout_s=TIMEOUT_S) == 0
    printed = capsys.readouterr()
    assert [(r["student_id"], r["score"], r["max_score"]) for r in grades(out)] == [
        ("dave", "15", "15"), ("erin", "0", "15")]
    assert re.search(r"\n  dave +15/15  graded\n  erin +0/15  graded\n", printed.out), printed.out
    assert f"Wrote {out}/grades.csv" in printed.out
    assert "[2/2]" in printed.err and "done" in printed.err  # progress: plain lines, not a tty
    result = json.loads((out / "dave" / "result.json").read_text())
    assert result["submission"] == "submitted/dave/cnn-unit"


def test_usage_errors_grade_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def main(directory: Path, **options: object) -> int:
        settings: dict[str, object] = {"jobs": 1, "resume": False, "scheduler": None,
                                       "only": ONLY, "seed": None, "profile": None,
                                       "timeout_s": TIMEOUT_S, **options}
        return batch.main(directory, out=tmp_path / "out", **settings)  # type: ignore[arg-type]

    assert main(tmp_path / "missing") == 2
    assert "is not a folder" in capsys.readouterr().err
    top = tmp_path / "twice"
    _folder(top, "alice", REFERENCE)
    with zipfile.ZipFile(top / "alice.zip", "w") as archive:
        archive.writestr("padding.py", REFERENCE)
    assert main(top) == 2
    assert "alice: alice, alice.zip" in capsys.readouterr().err
    (top / "alice.zip").unlink()
    assert main(top, profile="imagenet", only=("cnn",)) == 2
    assert "unknown data profile 'imagenet'" in capsys.readouterr().err
    assert main(top, jobs=0) == 2
    (top / "alice" / "padding.py").unlink()
    (top / "alice").rmdir()
    assert main(top) == 2
    assert "no submissions" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_grading_that_fails_is_an_error_row_and_the_batch_goes_on(tmp_path: Path) -> None:
    """A bug in the grader, provoked with options no command line would pass: the real process
    pool reports it per submission; the row says so, error.txt keeps the traceback, nothing is
    marked finished (so --resume retries it), and the gradebook and summary still come out."""
    top = tmp_path / "submissions"
    submissions = [batch.Submission("zoe", _folder(top, "zoe", REFERENCE), "zoe")]
    options = {"exercises": list(ONLY), "seed": "not a number", "profile": "", "timeout_s": 5}
    outcomes = list(local_runner(1)(submissions, options))
    assert len(outcomes) == 1 and outcomes[0][1] is None and "ValueError" in outcomes[0][2]
    out = tmp_path / "out"
    (out / "zoe").mkdir(parents=True)
    (out / "zoe" / "result.json").write_text("{}")  # stale, from an earlier run
    row = finish(out / "zoe", submissions[0], "digest", {}, None, outcomes[0][2])
    assert row.status == "error" and row.error.startswith("ValueError: invalid literal for int()")
    assert sorted(p.name for p in (out / "zoe").iterdir()) == ["error.txt"]
    assert "Traceback" in (out / "zoe" / "error.txt").read_text()
    good = batch.Row("amy", "graded", SubmissionResult.from_dict(
        batch.grade_one(str(SOLUTIONS), {**options, "seed": 1}, "amy/")))
    assert batch.gradebook_csv([row, good]).splitlines() == [
        "student_id,score,max_score,status,padding,duration_s",
        f"amy,15,15,graded,15,{good.duration_s:.2f}",
        "zoe,0,15,error,,0.00"]
    summary = batch.summary_markdown([row, good])
    assert "**2 students**: 1 graded, 1 error." in summary
    assert "| zoe | error | ValueError: invalid literal for int() with base 10: 'not a number' |" \
        in summary


def test_a_stopped_batch_marks_its_gradebook_and_summary_incomplete() -> None:
    """The files a stopped batch writes (the real Ctrl-C is in tests/test_interrupt.py):
    grades.csv stays a plain CSV whose ungraded students say `pending`, with no score."""
    good = batch.Row("amy", "graded", SubmissionResult.from_dict(
        batch.grade_one(str(SOLUTIONS), {"exercises": list(ONLY), "seed": 1, "profile": "",
                                         "timeout_s": 5}, "amy/")))
    rows = [good, batch.Row("zed", "pending")]
    text = batch.gradebook_csv(rows, {"exercises": list(ONLY)})
    assert list(csv.DictReader(text.splitlines())) == [
        {"student_id": "amy", "score": "15", "max_score": "15", "status": "graded",
         "padding": "15", "duration_s": f"{good.duration_s:.2f}"},
        {"student_id": "zed", "score": "", "max_score": "15", "status": "pending", "padding": "",
         "duration_s": ""}]
    summary = batch.summary_markdown(rows, sandbox="Sandbox here: a line.")
    assert summary.startswith("# Batch summary\n\n**INCOMPLETE**: the batch was stopped (Ctrl-C) "
                              "before it graded everyone: 1 of 2 students graded, 1 not graded "
                              "yet (status `pending` in grades.csv, no score): zed. Run the same "
                              "command with `--resume`")
    assert "\nSandbox here: a line.\n" in summary and "**2 students**: 1 graded, 1 pending." in summary
    assert "| zed |" not in summary  # named once, in the INCOMPLETE line
    assert "INCOMPLETE" not in batch.summary_markdown([good])
