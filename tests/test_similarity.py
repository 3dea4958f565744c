"""`autograder similarity OUT` end to end: a class of five real submissions graded by the real
`autograder batch` (padding only), then the real command over its OUT folder."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.instructor import similarity
from tests.conftest import ROOT, SOLUTIONS

NEEDS_COPYDETECT = pytest.mark.skipif(
    importlib.util.find_spec("copydetect") is None,
    reason="copydetect is not installed (the `similarity` extra: pip install "
           "'autograder[similarity]')")

# An original solution, written with plain loops (not the reference's style).
LOOPS = '''"""Exercise 2, padding: written with plain loops."""

import numpy as np


def _check_size(value, what):
    # a size must be a positive whole number (and not a bool)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(what + " must be an int")
    if value <= 0:
        raise ValueError(what + " must be positive")
    return int(value)


def _as_float_array(data, allowed_dims, what):
    arr = np.array(data)
    if arr.dtype.kind not in ("b", "i", "u", "f"):
        raise ValueError(what + " is not numeric")
    if arr.ndim not in allowed_dims:
        raise ValueError(what + " has the wrong number of dimensions")
    if arr.size == 0:
        raise ValueError(what + " is empty")
    return arr.astype(float)


def same_padding(n, kernel_size, stride=1):
    n = _check_size(n, "n")
    kernel_size = _check_size(kernel_size, "kernel_size")
    stride = _check_size(stride, "stride")
    out_len = (n + stride - 1) // stride
    needed = (out_len - 1) * stride + kernel_size - n
    if needed < 0:
        needed = 0
    before = needed // 2
    after = needed - before
    return (before, after)


def zero_pad(image, pads):
    img = _as_float_array(image, (2, 3), "image")
    try:
        (top, bottom), (left, right) = pads
    except (TypeError, ValueError):
        raise ValueError("pads must be two pairs of ints") from None
    for p in (top, bottom, left, right):
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
            raise ValueError("pads must be non-negative ints")
    rows, cols = img.shape[0], img.shape[1]
    shape = (int(top) + rows + int(bottom), int(left) + cols + int(right)) + img.shape[2:]
    result = np.zeros(shape, dtype=float)
    for r in range(rows):
        for c in range(cols):
            result[top + r, left + c] = img[r, c]
    return result


def correlate2d_padded(image, kernel, padding="valid"):
    if not isinstance(padding, str) or padding not in ("valid", "same"):
        raise ValueError("padding must be 'valid' or 'same'")
    img = _as_float_array(image, (2,), "image")
    ker = _as_float_array(kernel, (2,), "kernel")
    kh, kw = ker.shape
    if padding == "same":
        img = zero_pad(img, (same_padding(img.shape[0], kh), same_padding(img.shape[1], kw)))
    elif kh > img.shape[0] or kw > img.shape[1]:
        raise ValueError("the kernel is larger than the image")
    out_h = img.shape[0] - kh + 1
    out_w = img.shape[1] - kw + 1
    output = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            total = 0.0
            for a in range(kh):
                for b in range(kw):
                    total += img[i + a, j + b] * ker[a, b]
            output[i, j] = total
    return output
'''

# A near-identical copy: one comment changed (to markup the report must escape), whitespace.
NEAR = (LOOPS.replace("# a size must be a positive whole number (and not a bool)",
                      "# </pre><script>alert(1)</script> sizes: positive ints only")
        .replace("    out_h = img", "    out_h=img").replace("    out_w = img", "    out_w=img")
        .replace("    for r in range(rows):", "\n    for r in range(rows):"))

_RENAMES = {"img": "picture", "ker": "filt", "out_h": "height", "out_w": "width", "total": "acc",
            "result": "padded", "_check_size": "_positive", "_as_float_array": "_to_array",
            "needed": "extra", "arr": "values", "out_len": "count"}


def _renamed(source: str) -> str:
    import re

    return re.sub(r"\b(" + "|".join(_RENAMES) + r")\b", lambda m: _RENAMES[m.group(1)], source)


RENAMED = _renamed(LOOPS)

# An independent solution: vectorised, validated in another way.
VECTORISED = '''import math

import numpy as np

MODES = {"valid", "same"}


def same_padding(n, kernel_size, stride=1):
    for name, v in {"n": n, "kernel_size": kernel_size, "stride": stride}.items():
        if type(v) is bool or not np.issubdtype(type(v), np.integer) or v < 1:
            raise ValueError(f"{name}={v!r}: expected a positive integer")
    length = math.ceil(int(n) / int(stride))
    pad = max(0, (length - 1) * int(stride) + int(kernel_size) - int(n))
    return pad // 2, pad - pad // 2


def zero_pad(image, pads):
    x = np.asarray(image)
    if x.ndim not in (2, 3) or x.size == 0 or x.dtype.kind not in "biuf":
        raise ValueError("image must be a non-empty 2D or 3D array of numbers")
    try:
        flat = [v for pair in pads for v in pair]
    except TypeError:
        raise ValueError(f"bad pads {pads!r}") from None
    if len(pads) != 2 or len(flat) != 4 or any(
            type(v) is bool or not np.issubdtype(type(v), np.integer) or v < 0 for v in flat):
        raise ValueError(f"bad pads {pads!r}")
    t, b, lft, r = (int(v) for v in flat)
    h, w = x.shape[:2]
    canvas = np.zeros((h + t + b, w + lft + r, *x.shape[2:]))
    canvas[t:t + h, lft:lft + w] = x
    return canvas


def correlate2d_padded(image, kernel, padding="valid"):
    if not isinstance(padding, str) or padding not in MODES:
        raise ValueError(f"unknown padding {padding!r}")
    x, k = np.asarray(image), np.asarray(kernel)
    for a in (x, k):
        if a.ndim != 2 or a.size == 0 or a.dtype.kind not in "biuf":
            raise ValueError("image and kernel must be non-empty 2D arrays of numbers")
    x, k = x.astype(np.float64), k.astype(np.float64)
    if padding == "same":
        x = zero_pad(x, tuple(same_padding(s, ks) for s, ks in zip(x.shape, k.shape)))
    if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        raise ValueError("kernel does not fit in the image")
    oh, ow = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    out = np.zeros((oh, ow))
    for di, dj in np.ndindex(*k.shape):
        out += k[di, dj] * x[di:di + oh, dj:dj + ow]
    return out
'''

HOSTILE = "<img src=x onerror=alert(1)>"  # a student id that is markup ("/" cannot be in one)
ORIGINAL, NEAR_COPY, RENAMED_COPY, REFERENCE_COPY, INDEPENDENT = (
    "ada", "ben", "cy", HOSTILE, "dee")
STUDENTS = (ORIGINAL, NEAR_COPY, RENAMED_COPY, REFERENCE_COPY, INDEPENDENT)


def _notebook(path: Path, source: str) -> None:
    """The renamed copy handed in as a notebook: prose, the code split over cells, scratch."""
    head, _, rest = source.partition("def same_padding")
    cells = [nbformat.v4.new_markdown_cell("# Padding\nMy solution."),
             nbformat.v4.new_code_cell(head.strip()),
             nbformat.v4.new_code_cell(("def same_padding" + rest).strip()),
             nbformat.v4.new_code_cell("correlate2d_padded([[1, 2], [3, 4]], [[1]], 'same')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def make_class(top: Path) -> Path:
    top.mkdir(parents=True)
    for student, source in ((ORIGINAL, LOOPS), (NEAR_COPY, NEAR), (INDEPENDENT, VECTORISED)):
        (top / student).mkdir()
        (top / student / "padding.py").write_text(source)
    _notebook(top / f"{RENAMED_COPY}.ipynb", RENAMED)
    (top / REFERENCE_COPY).mkdir()
    shutil.copy(SOLUTIONS / "padding.py", top / REFERENCE_COPY / "padding.py")
    return top


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The class graded by `autograder batch`, then `autograder similarity OUT` (OUT beside DIR:
    the command finds DIR by the content hashes the batch recorded)."""
    base = tmp_path_factory.mktemp("similarity")
    top = make_class(base / "class")
    out = base / "out"
    graded = _cli("batch", str(top), "--out", str(out), "--only", "padding", "--jobs", "2")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    before = _tree(out)
    run = _cli("similarity", str(out))
    return {"top": top, "out": out, "before": before, "run": run}


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / similarity.CSV_FILE).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == similarity.CSV_HEADER
        return list(reader)


def _pair(rows: list[dict[str, str]], a: str, b: str) -> tuple[int, dict[str, str]]:
    for index, row in enumerate(rows):
        if {row["student_a"], row["student_b"]} == {a, b}:
            return index, row
    raise AssertionError(f"no row for {a} and {b}")


def _score(row: dict[str, str]) -> float:
    return max(float(row["similarity_a_to_b"]), float(row["similarity_b_to_a"]))


@NEEDS_COPYDETECT
def test_copies_are_flagged_and_ranked_above_independent_work(reviewed: dict[str, object]) -> None:
    run = reviewed["run"]
    assert isinstance(run, subprocess.CompletedProcess)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no grade was changed" in run.stdout
    rows = _rows(Path(str(reviewed["out"])))
    assert len(rows) == 10 and {r["exercise"] for r in rows} == {"padding"}  # 5 choose 2
    copies = [_pair(rows, ORIGINAL, NEAR_COPY), _pair(rows, ORIGINAL, RENAMED_COPY),
              _pair(rows, NEAR_COPY, RENAMED_COPY)]
    independent = [_pair(rows, INDEPENDENT, s) for s in STUDENTS if s != INDEPENDENT]
    for _, row in copies:
        assert _score(row) >= similarity.DEFAULT_THRESHOLD and row["flagged"] == "yes", row
        assert row["identical"] == "no", row
    for _, row in independent:
        assert _score(row) < similarity.DEFAULT_THRESHOLD and row["flagged"] == "no", row
    assert max(i for i, _ in copies) < min(i for i, _ in independent)
    assert min(_score(r) for _, r in copies) > max(_score(r) for _, r in independent)


@NEEDS_COPYDETECT
def test_the_verbatim_reference_copy_is_flagged_identical_at_the_top(
        reviewed: dict[str, object]) -> None:
    out = Path(str(reviewed["out"]))
    rows = _rows(out)
    for row in rows:
        sides = [s for s, who in (("a", row["student_a"]), ("b", row["student_b"]))
                 if who == REFERENCE_COPY]
        assert row["reference_copy"] == "".join(sides), row
    page = (out / similarity.HTML_FILE).read_text(encoding="utf-8")
    identical = page.index('id="identical"')
    assert identical < page.index('id="exercise-padding"')
    block = page[identical:page.index("</div>", identical)]
    assert "identical to the reference solution" in block
    assert "&lt;img src=x onerror=alert(1)&gt;" in block
    assert "never changes a grade" in page


@NEEDS_COPYDETECT
def test_everything_from_students_is_escaped_in_the_report(reviewed: dict[str, object]) -> None:
    out = Path(str(reviewed["out"]))
    page = (out / similarity.HTML_FILE).read_text(encoding="utf-8")
    assert "<img" not in page and "<script" not in page  # the id and ben's comment
    assert "&lt;/pre&gt;&lt;script&gt;" in page  # ben's comment, side by side with ada's code
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # the top and the table
    # the highlighting is copydetect's
    assert "highlight-red" in page and "highlight-green" in page


@NEEDS_COPYDETECT
def test_it_writes_its_two_files_and_changes_nothing_else(reviewed: dict[str, object]) -> None:
    out = Path(str(reviewed["out"]))
    before = reviewed["before"]
    assert isinstance(before, dict)
    after = _tree(out)
    assert set(after) - set(before) == {similarity.CSV_FILE, similarity.HTML_FILE}
    assert before["grades.csv"] == after["grades.csv"]
    assert {k: v for k, v in after.items() if k in before} == before


@NEEDS_COPYDETECT
def test_out_elsewhere_needs_the_submissions_folder(reviewed: dict[str, object],
                                                    tmp_path: Path) -> None:
    out = tmp_path / "moved"
    shutil.copytree(Path(str(reviewed["out"])), out)
    lost = _cli("similarity", str(out))
    assert lost.returncode == 2 and "--submissions DIR" in lost.stderr, lost.stderr
    found = _cli("similarity", str(out), "--submissions", str(reviewed["top"]), "--top", "3",
                 "--threshold", "0.99")
    assert found.returncode == 0, found.stdout + found.stderr
    page = (out / similarity.HTML_FILE).read_text(encoding="utf-8")
    assert page.count('<td class="num">') == 3 * 3  # three pairs listed: rank, a→b, b→a


def test_without_copydetect_it_says_how_to_install_it(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['copydetect'] = None; from autograder.cli import main; "
            "sys.exit(main(['similarity', sys.argv[1]]))")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "pip install 'autograder[similarity]'" in run.stderr
    assert not list(tmp_path.iterdir())
