"""A gradebook safe to open anywhere: a class whose folder names are spreadsheet formulas, HTML,
Markdown links, control characters, commas and quotes, non-ASCII, and the gradebook's own file
names, graded by the real `autograder batch` command; the CSV files read back with a real CSV
parser, every cell checked for a formula; and the progress on a terminal and off one."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from rich.console import Console

from autograder.core.results import SubmissionResult
from autograder.instructor.batch.discover import folder_name, folder_names, shown_id
from autograder.instructor.batch.files import RESERVED_NAMES
from autograder.instructor.batch.gradebook import Row, gradebook_csv
from autograder.instructor.batch.progress import Progress
from autograder.instructor.batch.summary import summary_markdown
from tests.conftest import ROOT, SOLUTIONS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = b"\xef\xbb\xbf"
# folder name -> how grades.csv shows it (shown_id's escapes, then OWASP's leading quote)
HOSTILE = {
    '=HYPERLINK("x.example","y")': '\'=HYPERLINK("x.example","y")',  # a "/" cannot be in a name
    "+1+1": "'+1+1",
    "@SUM(1)": "'@SUM(1)",
    "-2": "'-2",
    "\tleading-tab": "\\x09leading-tab",
    "\rleading-return": "\\x0dleading-return",
    "bell\x07ring": "bell\\x07ring",
    "<img src=x onerror=alert(1)>": "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))": "[x](javascript:alert(1))",
    'Smith, "Bo" Jr': 'Smith, "Bo" Jr',
    "Zoë": "Zoë",
    "grades.csv": "grades.csv",
    "summary.md": "summary.md",
    "grades-per-check.csv": "grades-per-check.csv",
    "lms-canvas.csv": "lms-canvas.csv",
}
# and one whose code crashes at import with a hostile message: its id and the message are in
# summary.md's table of exercises that could not run
BROKEN = "<svg onload=alert(1)>"
BROKEN_SHOWN = "<svg onload=alert(1)>"
CRASH = 'raise RuntimeError("<img src=y onerror=alert(2)> [y](javascript:alert(2)) *b* `c` | d")\n'
STUDENTS = {**HOSTILE, BROKEN: BROKEN_SHOWN}


def _plain_env() -> dict[str, str]:
    """The environment of the command, without what would make rich treat a pipe as a terminal."""
    return {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}


def _command(top: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "batch", str(top), "--out", str(out),
            "--only", "padding", "--jobs", "2", *extra]


def _batch(top: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The real command, its output on pipes (not a terminal)."""
    return subprocess.run(_command(top, out, *extra), cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=_plain_env(), errors="surrogateescape")


def make_class(top: Path) -> Path:
    for name in HOSTILE:
        (top / name).mkdir(parents=True)
        shutil.copy(SOLUTIONS / "padding.py", top / name / "padding.py")
    (top / BROKEN).mkdir()
    (top / BROKEN / "padding.py").write_text(CRASH)
    return top


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    top = make_class(tmp_path_factory.mktemp("hostile") / "class")
    out = top.parent / "out"
    done = _batch(top, out)
    assert done.returncode == 0, done.stderr[-3000:]
    return top, out, done


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM), path  # Excel reads UTF-8 only with it
    body = raw[len(BOM):]
    # RFC 4180: CRLF after every record, no bare line end (no field holds one)
    assert body.endswith(b"\r\n") and body.count(b"\n") == body.count(b"\r\n") == \
        body.count(b"\r"), path
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == body.count(b"\r\n")  # one record a line
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (path.name, cell)
    return rows


def as_dicts(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def test_grades_csv_reads_back_with_every_student_once_and_no_formula(graded: tuple) -> None:
    _, out, _ = graded
    rows = read_csv(out / "grades.csv")
    assert rows[0] == ["student_id", "score", "max_score", "status", "padding", "duration_s"]
    ids = [row[0] for row in rows[1:]]
    assert sorted(ids) == sorted(STUDENTS.values()) and len(set(ids)) == len(STUDENTS)
    book = as_dicts(rows)
    for student in HOSTILE.values():
        assert (book[student]["score"], book[student]["status"]) == ("15", "graded"), student
    assert (book[BROKEN_SHOWN]["score"], book[BROKEN_SHOWN]["status"]) == ("0", "graded")
    assert "Zoë" in book and "Smith, \"Bo\" Jr" in book  # non-ASCII, a comma and quotes intact
    assert '"Smith, ""Bo"" Jr"' in (out / "grades.csv").read_text(encoding="utf-8-sig")


def test_the_gradebook_s_own_files_are_not_overwritten(graded: tuple) -> None:
    top, out, _ = graded
    for name in ("grades.csv", "summary.md", "grades-per-check.csv", "lms-canvas.csv"):
        assert (out / name).is_file(), name
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == len(STUDENTS)
    # the ids are kept as they are in each student's mark; each has a folder of its own
    recorded = {json.loads((p / ".grading.json").read_text())["student_id"]: p.name for p in folders}
    assert sorted(recorded) == sorted(STUDENTS)
    assert len({name.casefold() for name in recorded.values()}) == len(STUDENTS)
    for student, name in recorded.items():
        assert re.fullmatch(r"[\w.~-]+", name) and ".." not in name, name
        assert name.casefold() not in RESERVED_NAMES and not name.startswith(("-", ".")), name
        assert (out / name / "feedback.md").is_file() and (out / name / "result.json").is_file()
        assert name == folder_name(student)
    assert recorded["Zoë"] == "Zoë"  # a plain name is its own folder
    assert (top / "grades.csv" / "padding.py").is_file()  # DIR untouched


def test_summary_renders_what_students_wrote_as_text(graded: tuple) -> None:
    _, out, _ = graded
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for raw in ("<img", "<svg", "](javascript:", "[y]", "`c`", "*b*", "\x07", "\r"):
        assert raw not in summary, raw
    # the broken student is named in the table of exercises that could not run, escaped
    line = next(line for line in summary.splitlines() if "svg" in line)
    assert line.startswith("| &lt;svg onload=alert(1)&gt; | padding | ")
    assert "RuntimeError: &lt;img src=y onerror=alert(2)&gt; &#91;y&#93;(javascript:alert(2)) " \
           "&#42;b&#42; &#96;c&#96; &#124; d" in line
    assert line.count("|") == 4  # the student's | did not add a cell


def test_per_check_and_canvas_exports_hold_the_same_scores(graded: tuple) -> None:
    _, out, _ = graded
    book = as_dicts(read_csv(out / "grades.csv"))
    per_check = read_csv(out / "grades-per-check.csv")
    header = per_check[0]
    assert header[:3] == ["student_id", "score", "status"] and len(header) > 3
    assert all(column.startswith(("same_padding-", "zero_pad-", "correlate2d_padded-"))
               for column in header[3:])
    for student, row in as_dicts(per_check).items():
        assert (row["score"], row["status"]) == (book[student]["score"], book[student]["status"])
        assert sum(float(row[c]) for c in header[3:]) == float(row["score"]), student
    canvas = read_csv(out / "lms-canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "Section", "CNN exercises (padding)"]
    assert {row[0]: row[4] for row in canvas[1:]} == {s: r["score"] for s, r in book.items()}
    assert all(row[0] == row[2] and row[1] == row[3] == "" for row in canvas[1:])


def test_what_the_command_prints_is_escaped_and_plain_off_a_terminal(graded: tuple) -> None:
    _, _, done = graded
    for text in (done.stdout, done.stderr):
        assert "\x07" not in text and "\x1b" not in text and "\r" not in text
    assert re.search(r"\n  \\x09leading-tab +15/15  graded\n", done.stdout), done.stdout
    assert "lms-canvas.csv (Canvas gradebook import)" in done.stdout
    lines = re.findall(r"^\[(\d+)/16\] (.+): (\S+) (\w+) \((\d+)/16 graded(?:, \d+ errors?)?, "
                       r"(.+)\)$", done.stderr, re.M)
    assert [int(n) for n, *_ in lines] == list(range(1, 17)), done.stderr
    assert sorted(line[1] for line in lines) == sorted(shown_id(s) for s in STUDENTS)
    assert lines[-1][-1] == "done" and "Grading 16 submission(s), 2 at a time" in done.stderr


def test_resume_finds_every_student_s_folder_again(graded: tuple, tmp_path: Path) -> None:
    top, out, _ = graded
    again = tmp_path / "out"
    shutil.copytree(out, again)
    done = _batch(top, again, "--resume")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "16 students: graded now 0, unchanged 16" in done.stdout
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in out.iterdir())


def test_folder_names_are_safe_unique_and_never_the_gradebook_s_files() -> None:
    ids = ["bob", "Zoë", "a/b", "a\\b", "..", "../etc", "x..y", "trailing.", "CON", "nul.txt",
           "alice", "Alice", "grades.csv", "GRADES.CSV", "summary.md", "summary.html", "result.json",
           "", "-rf", "~", "bob~1", "\x00\x1b[2J", "\udcff", "a" * 300]
    names = folder_names(ids)
    assert names == folder_names(reversed(ids))  # the same whatever the order: --resume finds them
    assert names["bob"] == "bob" and names["Zoë"] == "Zoë" and names["x..y"] != "x..y"
    assert len({n.casefold() for n in names.values()}) == len(ids)  # unique, even ignoring case
    for student, name in names.items():
        assert re.fullmatch(r"[\w.~-]{1,60}", name), (student, name)
        assert ".." not in name and not name.startswith((".", "-", "~")), name
        assert name.casefold() not in RESERVED_NAMES and not name.endswith(".")
    assert names["Alice"] != names["alice"]  # one folder each on a case-insensitive disk too


def test_a_separator_or_line_end_in_an_id_stays_in_its_own_cell() -> None:
    result = SubmissionResult(submission="x", exercises=())
    rows = [Row(s, "graded", result) for s in ("a/b", "line\nbreak", "=1+1\r\n=2", "@x", "ok")]
    text = gradebook_csv(rows, {"exercises": ["padding"]})
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in parsed[1:]] == ["'=1+1\\x0d\\x0a=2", "'@x", "a/b", "line\\x0abreak",
                                              "ok"]
    assert text.count("\r\n") == len(parsed) and "\n" not in text.replace("\r\n", "")
    summary = summary_markdown([Row("<b>\n#x", "pending"), Row("ok", "pending")])
    assert "&lt;b&gt;\\x0a#x" in summary.replace("&#92;", "\\")


# --- progress --------------------------------------------------------------------------------


def _row(student: str, status: str = "graded", seconds: float = 1.0) -> Row:
    return Row(student, status, SubmissionResult(submission=student, exercises=(),
                                                 duration_s=seconds))


def test_a_terminal_gets_a_bar_with_rate_and_time_left() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=140, color_system=None)
    progress = Progress(4, 2, None, console=console)
    progress.start(resumed=1)
    progress.advance(_row("alice"))
    time.sleep(0.3)
    progress.advance(_row("[bold]bob\x07", "timeout"))  # markup and a control character: text
    drawn = buffer.getvalue()
    assert "1 unchanged submission(s) kept" in drawn and "Grading 4 submission(s)" in drawn
    assert "━" in drawn and "2/4" in drawn and "/min" in drawn
    assert re.search(r"ETA \d+:\d\d:\d\d", drawn), drawn
    assert "[bold]bob\\x07: 0/0 timeout" in drawn and "\x07" not in drawn  # the line above the bar
    assert "[2/4]" not in drawn  # not the plain lines
    progress.advance(_row("carol"))
    progress.advance(_row("dan"))
    assert re.search(r"4/4 .*/min \d+:\d\d:\d\d done", buffer.getvalue()), buffer.getvalue()
    progress.close()


def test_anything_else_gets_the_plain_lines() -> None:
    buffer = io.StringIO()
    progress = Progress(2, 1, None, console=Console(file=buffer, force_terminal=False))
    progress.start(resumed=0)
    progress.advance(_row("alice", seconds=2.0))
    progress.advance(Row("bob", "error", error="boom"))
    progress.close()
    assert buffer.getvalue().splitlines() == [
        "Grading 2 submission(s), 1 at a time",
        "[1/2] alice: 0/0 graded (1/2 graded, ~2 s left)",
        "[2/2] bob: - error (2/2 graded, 1 error, done)"]


def test_the_command_on_a_pseudo_terminal_draws_the_bar(tmp_path: Path) -> None:
    top = tmp_path / "class"
    for student in ("amy", "ben"):
        (top / student).mkdir(parents=True)
        shutil.copy(SOLUTIONS / "padding.py", top / student / "padding.py")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    process = subprocess.Popen(_command(top, tmp_path / "out"), cwd=ROOT, env=_plain_env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=follower)
    os.close(follower)
    seen = b""
    try:
        while True:  # read as it comes: a full terminal buffer would block the command
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the command's end of the terminal is closed, all is read
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=300) == 0, seen.decode(errors="replace")[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))  # no colours
    assert "Grading 2 submission(s), 2 at a time" in drawn
    assert "━" in drawn and re.search(r"2/2 .*/min \d+:\d\d:\d\d done", drawn), drawn
    assert "[1/2]" not in drawn  # the plain lines are for what is not a terminal
