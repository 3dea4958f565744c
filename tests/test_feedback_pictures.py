"""Pictures and grids of failing maps: the text grid, the arrays a result carries (never for a
hidden check), and a real buggy submission's feedback.html rendered in headless Chromium."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.core.calls import Call, Outcome
from autograder.core.checks import Check
from autograder.core.grids import MAX_COLUMNS, grid
from autograder.core.judge import ArrayExpect, Reason, Verdict
from autograder.core.results import CheckResult, ExerciseResult, SubmissionResult
from autograder.grading import render
from autograder.student.loop import format_failure
from tests.conftest import ROOT, SOLUTIONS

PNG = b"\x89PNG\r\n\x1a\n"
IMG = '<img src="data:image/png;base64,'


def _maps(expected: np.ndarray, returned: np.ndarray) -> dict[str, object]:
    maps: dict[str, object] = {"expected": expected.tolist(), "returned": returned.tolist()}
    if expected.shape == returned.shape:
        maps["wrong"] = (expected != returned).tolist()
    return maps


def _check(visibility: str = "public") -> Check:
    image = np.arange(12, dtype=float).reshape(3, 4)
    kernel = np.ones((2, 2))
    expected = np.arange(6, dtype=float).reshape(2, 3)
    return Check("f-case", "padding", 2, "a case", Call("f", (image, kernel, ((1, 1), (0, 0)))),
                 ArrayExpect(expected), visibility=visibility)  # type: ignore[arg-type]


def _wrong_outcome() -> Outcome:
    returned = np.arange(6, dtype=float).reshape(2, 3)
    returned[1, 2] = 9.0
    return Outcome(type_name="ndarray", is_ndarray=True, array=returned)


# --- the grid -----------------------------------------------------------------------------


def test_grid_aligns_the_maps_side_by_side_and_marks_the_wrong_cells() -> None:
    expected = np.array([[1.0, 20.0, -3.0], [4.5, 5.0, 600.0]])
    returned = expected.copy()
    returned[0, 1] = -7.25
    shown = grid(_maps(expected, returned))
    assert shown is not None
    lines = shown.splitlines()
    assert lines[0].startswith("expected (2, 3)") and "returned (2, 3), * = wrong" in lines[0]
    assert len(lines) == 3
    # the returned grid starts at the same column on every line, numbers right-aligned
    start = lines[0].index("returned")
    rows = [line[start:] for line in lines[1:]]
    assert rows[0].split() == ["1", "-7.25*", "-3"] and rows[1].split() == ["4.5", "5", "600"]
    assert len({len(line[:start]) for line in lines}) == 1
    ends = [[m.end() for m in re.finditer(r"-?\d+(\.\d+)?", row)] for row in rows]
    assert ends[0] == ends[1]  # right-aligned columns
    assert shown.count("*") == 2  # the mark and the legend


def test_grid_shows_channels_and_shape_mismatches_without_marks() -> None:
    volume = np.arange(8, dtype=float).reshape(2, 2, 2)
    shown = grid(_maps(volume, volume + (volume > 5)))
    assert shown is not None and "channel 0:" in shown and "channel 1:" in shown
    assert shown.count("*") == 2 + 2  # two wrong cells, one legend per channel
    mismatch = grid(_maps(np.zeros((3, 3)), np.zeros((2, 3))))
    assert mismatch is not None and "*" not in mismatch and "returned (2, 3)" in mismatch


def test_grid_falls_back_for_large_or_missing_maps() -> None:
    wide = np.zeros((2, MAX_COLUMNS + 1))
    assert grid(_maps(wide, wide + 1)) is None
    assert grid(_maps(np.zeros((40, 4)), np.ones((40, 4)))) is None
    assert grid(None) is None and grid({}) is None
    assert grid({"expected": [1.0, 2.0], "returned": [1.0, 3.0]}) is None  # 1-D


# --- the arrays a result carries ------------------------------------------------------------


def test_a_failing_public_check_carries_its_maps_with_the_input_and_kernel() -> None:
    check = _check()
    verdict = check.judge(_wrong_outcome())
    assert verdict.reason is Reason.WRONG_VALUES and verdict.arrays is not None
    result = CheckResult.of(check, verdict)
    assert result.arrays is not None
    assert set(result.arrays) == {"expected", "returned", "wrong", "input", "kernel"}
    assert result.arrays["wrong"] == [[False, False, False], [False, False, True]]
    assert str(result.arrays["kernel"]) == "[[1.0, 1.0], [1.0, 1.0]]"  # pads are not a map
    text = format_failure(result)
    assert "expected (2, 3)" in text and "9*" in text


def test_a_hidden_check_never_carries_arrays() -> None:
    check = _check("hidden")
    verdict = check.judge(_wrong_outcome())
    assert CheckResult.of(check, verdict).arrays is None
    forged = CheckResult("h", "hidden", 0, 0, "fail", "hidden", "wrong", reason="wrong_values",
                         arrays={"expected": [[1.0]], "returned": [[2.0]]})
    assert forged.arrays is None
    data = SubmissionResult("s", (ExerciseResult("padding", (forged,)),)).to_dict()
    assert "arrays" not in data["exercises"][0]["checks"][0]
    data["exercises"][0]["checks"][0]["arrays"] = {"expected": [[1.0]], "returned": [[2.0]]}
    assert SubmissionResult.from_dict(data).exercises[0].checks[0].arrays is None


def test_schema_3_round_trips_the_arrays_and_older_schemas_still_load() -> None:
    check = _check()
    result = SubmissionResult("s", (ExerciseResult("padding", (
        CheckResult.of(check, check.judge(_wrong_outcome())),)),))
    data = json.loads(result.to_json())
    assert data["schema_version"] == 3
    assert SubmissionResult.from_dict(data) == result
    passing = CheckResult.of(check, Verdict("pass"))
    old = SubmissionResult("s", (ExerciseResult("padding", (passing,)),)).to_dict()
    for version in (1, 2):
        assert SubmissionResult.from_dict({**old, "schema_version": version}).exercises


def test_small_maps_only() -> None:
    big = np.zeros((40, 40))
    check = Check("f-big", "padding", 1, "big", Call("f", (big,)), ArrayExpect(big))
    outcome = Outcome(type_name="ndarray", is_ndarray=True, array=big + 1)
    verdict = check.judge(outcome)
    assert verdict.reason is Reason.WRONG_VALUES and verdict.arrays is None


# --- a real buggy submission, graded and rendered --------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`autograder grade` on solutions/padding.py with the odd padding pixel put top/left."""
    root = tmp_path_factory.mktemp("pictures")
    source = (SOLUTIONS / "padding.py").read_text()
    right = "    return total // 2, total - total // 2\n"
    assert source.count(right) == 1
    (root / "submission").mkdir()
    (root / "submission" / "padding.py").write_text(
        source.replace(right, "    return total - total // 2, total // 2\n"))
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade",
                           str(root / "submission"), "--only", "padding", "--out",
                           str(root / "out")], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert (root / "out" / "feedback.html").exists(), done.stderr[-2000:]
    assert "correlate2d_padded-same-even-kernel" in done.stdout and "*" in done.stdout
    return root / "out"


def test_feedback_html_has_pictures_for_failing_public_maps_only(graded: Path) -> None:
    page = (graded / "feedback.html").read_text()
    result = json.loads((graded / "result.json").read_text())
    checks = result["exercises"][0]["checks"]
    with_maps = [c["id"] for c in checks if "arrays" in c]
    assert "correlate2d_padded-same-even-kernel" in with_maps
    assert all(c["visibility"] == "public" and c["status"] != "pass"
               for c in checks if "arrays" in c)
    assert any(c["visibility"] == "hidden" and c["status"] == "fail" for c in checks)
    assert page.count(IMG) == len(with_maps)
    items = re.findall(r'<li class="check.*?</li>', page, re.S)
    for item in items:
        hidden = item.startswith('<li class="check hidden')
        shows = IMG in item
        assert shows == (not hidden and any(f"<code>{i}</code>" in item for i in with_maps))
    for data in re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', page):
        assert base64.b64decode(data).startswith(PNG)


def test_feedback_md_and_terminal_show_the_text_grid(graded: Path) -> None:
    feedback = (graded / "feedback.md").read_text()
    assert "returned (5, 6), * = wrong" in feedback
    assert re.search(r"-?\d+\*", feedback)
    result = SubmissionResult.from_dict(json.loads((graded / "result.json").read_text()))
    assert "returned (5, 6), * = wrong" in render.terminal(result)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (.ci/install-system installs it)")
    return found


def _run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_chromium(), "--headless", "--disable-gpu", "--no-sandbox",
                           "--hide-scrollbars", "--window-size=1200,2000", *args],
                          capture_output=True, text=True, timeout=120)


def test_chromium_renders_the_page_with_pictures_and_no_overflow(graded: Path,
                                                                  tmp_path: Path) -> None:
    shot = tmp_path / "feedback.png"
    done = _run_chromium(f"--screenshot={shot}", (graded / "feedback.html").as_uri())
    assert shot.exists(), done.stderr[-2000:]
    picture = shot.read_bytes()
    assert picture.startswith(PNG) and len(picture) > 20_000  # a blank page is a few KB
    width, height = int.from_bytes(picture[16:20], "big"), int.from_bytes(picture[20:24], "big")
    assert (width, height) == (1200, 2000)

    probe = tmp_path / "probe.html"
    script = ("<script>window.addEventListener('load', () => { const images = "
              "[...document.images]; document.title = 'fits=' + "
              "(document.documentElement.scrollWidth <= window.innerWidth) + ' images=' + "
              "images.filter(i => i.complete && i.naturalWidth > 0).length + ' widest=' + "
              "Math.max(0, ...images.map(i => i.getBoundingClientRect().right)); });</script>")
    page = (graded / "feedback.html").read_text()
    probe.write_text(page.replace("</body>", script + "</body>"))
    done = _run_chromium("--run-all-compositor-stages-before-draw",
                         "--virtual-time-budget=2000", "--dump-dom", probe.as_uri())
    title = re.search(r"<title>(.*?)</title>", done.stdout, re.S)
    assert title is not None, done.stderr[-2000:]
    facts = dict(part.split("=") for part in title.group(1).split())
    assert facts["fits"] == "true", title.group(1)
    assert int(facts["images"]) == page.count(IMG) > 0
    assert float(facts["widest"]) <= 1200
