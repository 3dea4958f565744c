"""summary.html, the class report: the real `autograder batch` on a small class, the page read
back with a real HTML parser (charts are PNGs, links lead to feedback pages, a hostile id stays
text), and rendered in headless Chromium where it is installed."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from autograder.core.results import SubmissionResult
from autograder.instructor.batch.discover import folder_name
from autograder.instructor.batch.gradebook import Row
from autograder.instructor.batch.report import Timing, summary_html
from autograder.registry import MISTAKES
from tests.conftest import ROOT, SOLUTIONS, STUBS

REFERENCE = (SOLUTIONS / "padding.py").read_text()
# The odd zero of "same" padding goes before instead of after: the registry's extra_top_left.
BUGGY = REFERENCE.replace("return total // 2, total - total // 2",
                          "return total - total // 2, total // 2")
HOSTILE = "<img src=x onerror=alert(1)>"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """The images, links and text of a page, and each table's rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        elif tag == "a":
            self.links.append(found.get("href") or "")
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Page]:
    top = tmp_path_factory.mktemp("report")
    klass = top / "class"
    klass.mkdir()
    shutil.copytree(SOLUTIONS, klass / "alice")
    shutil.copytree(STUBS, klass / "bob",
                    ignore=shutil.ignore_patterns("test_*", "conftest.py", "__pycache__"))
    (klass / "carol").mkdir()
    (klass / "carol" / "padding.py").write_text(BUGGY)
    (klass / HOSTILE).mkdir()
    (klass / HOSTILE / "padding.py").write_text(REFERENCE)
    out = top / "out"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "batch", str(klass), "--out",
                           str(out), "--only", "padding", "--jobs", "2"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (out / "summary.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    return out, text, page


def test_the_report_lies_beside_the_summary(report: tuple[Path, str, Page]) -> None:
    out, text, _ = report
    assert (out / "summary.md").is_file()
    assert text.startswith("<!DOCTYPE html>")


def test_it_has_the_charts_as_embedded_pngs(report: tuple[Path, str, Page]) -> None:
    _, _, page = report
    prefix = "data:image/png;base64,"
    charts = [src for src in page.images if src.startswith(prefix)]
    assert len(charts) >= 3, page.images
    assert charts == page.images  # no other image: nothing a student named became one
    for src in charts:
        assert base64.b64decode(src[len(prefix):], validate=True).startswith(PNG_SIGNATURE)


def test_it_links_every_student_to_their_feedback(report: tuple[Path, str, Page]) -> None:
    out, _, page = report
    feedback = [unquote(href) for href in page.links if href.endswith("feedback.html")]
    students = ["alice", "bob", "carol", HOSTILE]
    assert sorted(feedback) == sorted(f"{folder_name(s)}/feedback.html" for s in students)
    for href in feedback:
        assert not href.startswith(("/", "http", "file:")) and ".." not in href
        assert (out / href).is_file(), href


def test_it_counts_the_named_mistake(report: tuple[Path, str, Page]) -> None:
    _, _, page = report
    label = MISTAKES["extra_top_left"].label
    assert [label, "extra_top_left", "1"] in page.rows
    # no other student made a named mistake (the stub raises; the others are right)
    mistakes = [row for row in page.rows if len(row) == 3 and row[1] in MISTAKES]
    assert mistakes == [[label, "extra_top_left", "1"]]


def test_it_shows_the_pass_rate_of_the_checks_and_the_timing(report: tuple[Path, str, Page]
                                                             ) -> None:
    _, _, page = report
    checks = [row for row in page.rows if len(row) == 4 and row[0] == "padding"]
    assert checks and all(row[2].endswith("/4") for row in checks), checks
    cells = {row[0]: row[1] for row in page.rows if len(row) == 2}
    assert cells["total wall time"].endswith(" s") and cells["jobs (at a time)"] == "2"
    assert float(cells["per submission, median"].removesuffix(" s")) > 0


def test_a_hostile_student_id_stays_text(report: tuple[Path, str, Page]) -> None:
    _, text, page = report
    assert HOSTILE not in text and "<img src=x" not in text and "<script" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert HOSTILE in "".join(page.text)  # shown as what it is


def test_without_matplotlib_the_page_has_tables_and_says_so(
        report: tuple[Path, str, Page], monkeypatch: pytest.MonkeyPatch) -> None:
    out, _, _ = report
    students = ["alice", "carol", HOSTILE]
    rows = [Row(s, "graded", SubmissionResult.from_dict(json.loads(
        (out / folder_name(s) / "result.json").read_text()))) for s in students]
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it raises ImportError
    text = summary_html(rows, None, folders={s: folder_name(s) for s in students}, out=out,
                        timing=Timing(wall_s=1.0, jobs=1))
    page = Page()
    page.feed(text)
    assert page.images == [] and "matplotlib cannot be imported" in text
    assert [MISTAKES["extra_top_left"].label, "extra_top_left", "1"] in page.rows
    assert len([h for h in page.links if h.endswith("feedback.html")]) == 3
    assert HOSTILE not in text


def test_the_page_renders_in_headless_chromium(report: tuple[Path, str, Page],
                                               tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed: the page is not rendered")
    out, _, _ = report
    shot = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--disable-gpu", "--no-sandbox",
                    f"--screenshot={shot}", "--window-size=1200,2000",
                    (out / "summary.html").as_uri()], capture_output=True, timeout=120)
    assert shot.is_file() and shot.read_bytes().startswith(PNG_SIGNATURE)
