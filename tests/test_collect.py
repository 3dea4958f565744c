"""Collecting a submission: folders, zips and notebooks into a work dir of exercise modules."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.core.collect import MAX_MODULE_BYTES, Collected, SubmissionError, collect
from autograder.registry import EXERCISES

NAMES = [ex.name for ex in EXERCISES]
STRAYS = {
    "conftest.py": "import os; os.system('echo pwned')\n",
    "sitecustomize.py": "raise SystemExit\n",
    "evil.pth": "import os\n",
    "solutions/padding.py": "# the reference solution\n",
    "data.csv": "1,2,3\n",
    "notes/readme.md": "hello\n",
}


def module_text(name: str) -> str:
    return f"# {name}, by a student\nimport numpy as np\n\n\ndef f():\n    return 1\n"


def make_folder(folder: Path, prefix: str = "", names: list[str] | None = None,
                extra: dict[str, str] | None = None) -> Path:
    for name in NAMES if names is None else names:
        path = folder / prefix / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(module_text(name))
    for rel, text in (extra or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def zip_folder(folder: Path, target: Path, *, junk: bool = True) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir():
                archive.writestr(rel + "/", "")
            else:
                archive.write(path, rel)
        if junk:  # what macOS Finder adds
            archive.writestr("__MACOSX/._padding.py", b"\x00\x05\x16\x07")
            archive.writestr(".DS_Store", b"\x00")
    return target


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def expect_all(collected: Collected, workdir: Path) -> None:
    assert collected.missing == {}
    assert collected.modules == {name: workdir / f"{name}.py" for name in NAMES}
    assert listing(workdir) == sorted(f"{name}.py" for name in NAMES)
    for name in NAMES:
        assert (workdir / f"{name}.py").read_text() == module_text(name)
        assert not (workdir / f"{name}.py").is_symlink()


LAYOUTS = ["", "exercises", "alice", "alice/exercises"]


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_a_folder_in_each_layout(tmp_path: Path, prefix: str) -> None:
    submission = make_folder(tmp_path / "sub", prefix)
    expect_all(collect(submission, tmp_path / "work"), tmp_path / "work")


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_a_zip_in_each_layout(tmp_path: Path, prefix: str) -> None:
    archive = zip_folder(make_folder(tmp_path / "sub", prefix), tmp_path / "sub.zip")
    collected = collect(archive, tmp_path / "work")
    expect_all(collected, tmp_path / "work")
    assert any("__MACOSX/" in note for note in collected.notes)


STUB = ('def same_padding(n, k, s=1):\n    """Not done."""\n    # TODO\n'
        '    raise NotImplementedError("same_padding is not implemented yet")\n\n\n'
        'def zero_pad(image, pads):\n    pass\n')
DONE = ("def same_padding(n, k, s=1):\n    return 0, 0\n\n\n"
        "def zero_pad(image, pads):\n    return image\n\n\n"
        "def correlate2d_padded(image, kernel, padding='valid'):\n    return image\n")


def test_each_module_is_taken_from_the_place_that_has_it(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "", names=["padding"])
    make_folder(submission, "exercises", names=[n for n in NAMES if n != "padding"])
    collected = collect(submission, tmp_path / "work")
    expect_all(collected, tmp_path / "work")
    assert "took the modules in exercises/" in collected.notes


def test_a_stray_stub_at_the_top_loses_to_the_finished_module_in_exercises(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "exercises", extra={
        "padding.py": STUB, "exercises/padding.py": DONE})
    collected = collect(submission, tmp_path / "work", exercises=["padding", "stride"])
    assert (tmp_path / "work" / "padding.py").read_text() == DONE
    assert set(collected.modules) == {"padding", "stride"}
    (note,) = [n for n in collected.notes if n.startswith("padding.py:")]
    assert note == ("padding.py: took exercises/padding.py (3 of 3 functions implemented), the "
                    "most complete of its 2 copies, not padding.py (0 of 3 functions implemented)")
    assert not [n for n in collected.notes if n.startswith("ignored") and "padding" in n]


def test_the_finished_module_at_the_top_wins_over_a_stub_in_exercises(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", names=[], extra={
        "padding.py": DONE, "exercises/padding.py": STUB})
    collect(submission, tmp_path / "work", exercises=["padding"])
    assert (tmp_path / "work" / "padding.py").read_text() == DONE


def test_equal_copies_go_to_the_preferred_place_and_a_broken_one_beats_a_stub(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", names=[], extra={
        "padding.py": "# top\n" + STUB, "exercises/padding.py": STUB})
    collect(submission, tmp_path / "tie", exercises=["padding"])
    assert (tmp_path / "tie" / "padding.py").read_text().startswith("# top")
    (submission / "exercises" / "padding.py").write_text(DONE.replace("return 0, 0", "return (0"))
    collected = collect(submission, tmp_path / "broken", exercises=["padding"])
    assert (tmp_path / "broken" / "padding.py").read_text().endswith("return image\n")
    assert any("took exercises/padding.py (does not parse)" in n for n in collected.notes)


def test_an_unreadable_copy_loses_to_a_readable_one(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", names=[], extra={"exercises/padding.py": STUB})
    (submission / "padding.py").symlink_to(submission / "exercises" / "padding.py")
    collected = collect(submission, tmp_path / "work", exercises=["padding"])
    assert collected.modules == {"padding": tmp_path / "work" / "padding.py"}
    assert any("not padding.py (unreadable)" in n for n in collected.notes)


def test_locate_chooses_as_collect_does_and_leaves_the_files_in_place(tmp_path: Path) -> None:
    from autograder.core.collect import locate

    submission = make_folder(tmp_path / "sub", "exercises", extra={
        "padding.py": STUB, "exercises/padding.py": DONE, "big/deep/x.txt": "x",
        "lesson.ipynb": "{}"})
    located = locate(submission)
    collected = collect(submission, tmp_path / "work")
    assert set(located.modules) == set(collected.modules) == set(NAMES)
    assert located.modules["padding"] == submission / "exercises" / "padding.py"
    assert [n for n in located.notes if n.startswith("padding.py:")] == [
        n for n in collected.notes if n.startswith("padding.py:")]
    assert not [n for n in located.notes if n.startswith("ignored")]
    only_a_notebook = locate(make_folder(tmp_path / "nb", names=[], extra={"a.ipynb": "{}"}))
    assert only_a_notebook.modules == {} and set(only_a_notebook.missing) == set(NAMES)


@pytest.mark.parametrize("extra", [{}, {"empty/": ""}, {"other/readme.md": "x"}])
def test_a_shallow_walk_finds_the_same_single_top_folder(tmp_path: Path, extra: dict) -> None:
    from autograder.core.collect import locate

    submission = make_folder(tmp_path / "sub", "alice/exercises")
    for rel in extra:
        (submission / rel).parent.mkdir(parents=True, exist_ok=True)
        if not rel.endswith("/"):
            (submission / rel).write_text(extra[rel])
    collected = collect(submission, tmp_path / "work")
    assert set(locate(submission).modules) == set(collected.modules)


def test_a_single_top_folder_is_only_looked_into_when_it_is_alone(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "alice", extra={"bob/stride.py": "x = 1\n"})
    collected = collect(submission, tmp_path / "work")
    assert collected.modules == {}
    assert collected.missing["padding"] == "no padding.py in the submission"
    assert listing(tmp_path / "work") == []


def test_only_the_exercise_modules_are_copied(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "", extra=STRAYS | {".hidden/x.py": "", "a.pyc": ""})
    collected = collect(submission, tmp_path / "work")
    expect_all(collected, tmp_path / "work")
    (note,) = [n for n in collected.notes if n.startswith("ignored")]
    for rel in [*STRAYS, ".hidden/"]:
        assert rel in note


def test_only_the_exercise_modules_are_copied_from_a_zip(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "alice/exercises",
                             extra={f"alice/{rel}": text for rel, text in STRAYS.items()})
    collected = collect(zip_folder(submission, tmp_path / "sub.zip"), tmp_path / "work")
    expect_all(collected, tmp_path / "work")
    assert any("alice/conftest.py" in note and "alice/evil.pth" in note for note in collected.notes)


def test_many_ignored_files_are_shortened(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", "", extra={f"data/{i:03}.csv": "" for i in range(40)})
    (note,) = [n for n in collect(submission, tmp_path / "work").notes if n.startswith("ignored")]
    assert "ignored 40 file(s)" in note and "and 30 more" in note
    assert len(note) < 400


def test_a_subset_of_exercises(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub")
    collected = collect(submission, tmp_path / "work", exercises=["stride", "padding"])
    assert set(collected.modules) == {"stride", "padding"}
    assert collected.missing == {}
    assert listing(tmp_path / "work") == ["padding.py", "stride.py"]
    with pytest.raises(KeyError, match="unknown exercise"):
        collect(submission, tmp_path / "work2", exercises=["nope"])


def test_module_bytes_are_copied_as_they_are(tmp_path: Path) -> None:
    submission = tmp_path / "sub"
    submission.mkdir()
    data = b"# -*- coding: latin-1 -*-\nname = '\xe9l\xe8ve'\r\n\x00"
    (submission / "padding.py").write_bytes(data)
    collected = collect(submission, tmp_path / "work")
    assert collected.modules["padding"].read_bytes() == data


def test_a_symbolic_link_module_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "instructor" / "padding.py"
    secret.parent.mkdir()
    secret.write_text("# the instructor's solution\n")
    submission = make_folder(tmp_path / "sub", names=["stride"])
    (submission / "padding.py").symlink_to(secret)
    collected = collect(submission, tmp_path / "work")
    assert "symbolic link" in collected.missing["padding"]
    assert "not accepted" in collected.missing["padding"]
    assert listing(tmp_path / "work") == ["stride.py"]


def test_a_symbolic_link_folder_is_not_followed(tmp_path: Path) -> None:
    solutions = make_folder(tmp_path / "solutions")
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "exercises").symlink_to(solutions, target_is_directory=True)
    collected = collect(submission, tmp_path / "work")
    assert collected.modules == {}
    assert listing(tmp_path / "work") == []


def test_a_symbolic_link_submission_is_refused(tmp_path: Path) -> None:
    make_folder(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(SubmissionError, match="symbolic link"):
        collect(tmp_path / "link", tmp_path / "work")


def test_a_fifo_named_like_a_module_does_not_block(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", names=["stride"])
    os.mkfifo(submission / "padding.py")
    collected = collect(submission, tmp_path / "work")
    assert collected.missing["padding"] == "padding.py is not a regular file"


def test_a_module_over_one_mib_is_missing(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub", names=["stride"])
    (submission / "padding.py").write_bytes(b"#" * (2 * MAX_MODULE_BYTES))
    collected = collect(submission, tmp_path / "work")
    assert collected.missing["padding"] == "padding.py is 2.0 MiB; the limit is 1.0 MiB"
    assert listing(tmp_path / "work") == ["stride.py"]

    collected = collect(zip_folder(submission, tmp_path / "sub.zip"), tmp_path / "work2")
    assert collected.missing["padding"] == "padding.py is 2.0 MiB; the limit is 1.0 MiB"
    assert listing(tmp_path / "work2") == ["stride.py"]


def test_a_module_of_exactly_one_mib_is_taken(tmp_path: Path) -> None:
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "padding.py").write_bytes(b"#" * MAX_MODULE_BYTES)
    assert set(collect(submission, tmp_path / "work").modules) == {"padding"}


def zip_bomb(target: Path, *, claimed: int | None = None) -> Path:
    """50 MB of zeros as padding.py (about 50 KB compressed); `claimed`: a header that lies."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("padding.py", "w", force_zip64=False) as member:
            chunk = bytes(1 << 20)
            for _ in range(50):
                member.write(chunk)
        archive.writestr("stride.py", "x = 1\n")
    if claimed is not None:
        data = bytearray(target.read_bytes())
        local = data.index(b"PK\x03\x04")
        struct.pack_into("<I", data, local + 22, claimed)
        central = data.index(b"PK\x01\x02")
        struct.pack_into("<I", data, central + 24, claimed)
        target.write_bytes(bytes(data))
    return target


def test_a_zip_bomb_fails_fast(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip")
    assert archive.stat().st_size < 1 << 20
    start = time.perf_counter()
    collected = collect(archive, tmp_path / "work")
    assert time.perf_counter() - start < 1.0
    assert collected.missing["padding"] == "padding.py is 50.0 MiB; the limit is 1.0 MiB"
    assert listing(tmp_path / "work") == ["stride.py"]


def test_a_zip_bomb_with_a_lying_header_fails_fast(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip", claimed=100)
    start = time.perf_counter()
    collected = collect(archive, tmp_path / "work")
    assert time.perf_counter() - start < 1.0
    assert collected.missing["padding"].startswith("padding.py could not be read from the zip")
    assert listing(tmp_path / "work") == ["stride.py"]


def test_unsafe_zip_paths_are_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "sub" / "evil.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.py", "print('escaped')\n")
        zf.writestr("../padding.py", "print('escaped')\n")
        zf.writestr("/tmp/abs/stride.py", "print('absolute')\n")
        zf.writestr("exercises/../../pooling.py", "print('escaped')\n")
        zf.writestr("..\\cnn.py", "print('escaped')\n")
        zf.writestr("cross_correlation.py", module_text("cross_correlation"))
    work = tmp_path / "sub" / "work"
    collected = collect(archive, work)
    assert set(collected.modules) == {"cross_correlation"}
    assert set(collected.missing) == {"padding", "stride", "pooling", "cnn"}
    assert listing(tmp_path) == ["sub", "sub/evil.zip", "sub/work", "sub/work/cross_correlation.py"]
    (note,) = [n for n in collected.notes if "unsafe path" in n]
    assert "rejected 5 zip member(s)" in note and "../evil.py" in note


def test_a_symbolic_link_in_a_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("padding.py")
        info.external_attr = (0o120777 << 16)  # a symlink, as `zip --symlinks` stores it
        zf.writestr(info, "/etc/passwd")
        zf.writestr("stride.py", "x = 1\n")
    collected = collect(archive, tmp_path / "work")
    assert "symbolic link" in collected.missing["padding"]
    assert listing(tmp_path / "work") == ["stride.py"]


def test_a_corrupt_zip_is_a_submission_error(tmp_path: Path) -> None:
    for i, data in enumerate([b"PK\x03\x04 this is not a zip", b"", b"just text"]):
        archive = tmp_path / f"bad{i}.zip"
        archive.write_bytes(data)
        with pytest.raises(SubmissionError, match=rf"^bad{i}\.zip is not a valid zip file$"):
            collect(archive, tmp_path / f"work{i}")


def test_a_damaged_member_is_missing_not_fatal(tmp_path: Path) -> None:
    archive = zip_folder(make_folder(tmp_path / "sub", names=["padding", "stride"]),
                         tmp_path / "sub.zip", junk=False)
    data = bytearray(archive.read_bytes())
    start = data.index(b"padding.py") + len("padding.py")  # the local header's name, then data
    data[start + 5:start + 15] = b"\xff" * 10
    archive.write_bytes(bytes(data))
    collected = collect(archive, tmp_path / "work")
    assert set(collected.modules) == {"stride"}
    assert collected.missing["padding"].startswith("padding.py could not be read from the zip")


def test_a_missing_path_and_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"^nothere was not found$"):
        collect(tmp_path / "nothere", tmp_path / "work")
    (tmp_path / "padding.txt").write_text("x")
    with pytest.raises(SubmissionError, match=r"not a folder, a \.zip file or a Jupyter notebook"):
        collect(tmp_path / "padding.txt", tmp_path / "work")


def test_the_work_dir_must_be_fresh(tmp_path: Path) -> None:
    submission = make_folder(tmp_path / "sub")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "old.py").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        collect(submission, tmp_path / "work")
    assert set(collect(submission, tmp_path / "a" / "b").modules) == set(NAMES)


def test_an_empty_submission_misses_everything(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    collected = collect(tmp_path / "sub", tmp_path / "work")
    assert collected.modules == {}
    assert collected.missing == {name: f"no {name}.py in the submission" for name in NAMES}


# --- notebooks ---------------------------------------------------------------------------------


def course_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# Convolutional neural networks\nUse `%matplotlib` and `!pip` freely."),
        new_code_cell("import numpy as np\nimport tensorflow as tf"),
        new_code_cell("%matplotlib inline\n!pip install x\nKERNEL = np.ones(3)"),
        new_markdown_cell("## Cross-correlation"),
        new_code_cell(
            "def correlate1d(x, k):\n"
            "    x, k = np.asarray(x, float), np.asarray(k, float)\n"
            "    return np.array([x[i:i + len(k)] @ k for i in range(len(x) - len(k) + 1)])\n"),
        new_code_cell(
            "def correlate2d(x, k):\n"
            "    h, w = k.shape\n"
            "    return np.array([[np.sum(x[i:i + h, j:j + w] * k)\n"
            "                      for j in range(x.shape[1] - w + 1)]\n"
            "                     for i in range(x.shape[0] - h + 1)])\n"),
        new_markdown_cell("## The CNN"),
        new_code_cell(
            "def relu(x):\n"
            "    return np.maximum(x, 0)\n"
            "\n"
            "def build_cnn(input_shape=(28, 28, 1), num_classes=10):\n"
            "    return tf.keras.Sequential([tf.keras.layers.Input(input_shape),\n"
            "                                tf.keras.layers.Dense(num_classes)])\n"),
    ])


def write_notebook(path: Path, notebook: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook))
    return path


def test_a_notebook_is_split_into_exercise_modules(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "alice.ipynb", course_notebook())
    collected = collect(notebook, tmp_path / "work")
    assert set(collected.modules) == {"cross_correlation", "cnn"}
    assert listing(tmp_path / "work") == ["cnn.py", "cross_correlation.py"]
    for name in ("padding", "stride", "pooling"):
        functions = next(ex.functions for ex in EXERCISES if ex.name == name)
        assert collected.missing[name] == f"the notebook defines none of: {', '.join(functions)}"

    xcorr = collected.modules["cross_correlation"].read_text()
    assert "tensorflow" not in xcorr  # an import no graded function of it uses is left out
    assert "def correlate1d(x, k):" in xcorr and "def correlate2d(x, k):" in xcorr
    assert "KERNEL" not in xcorr  # so is a constant none of them reads
    assert "def relu" not in xcorr and "build_cnn" not in xcorr
    assert "%matplotlib" not in xcorr and "!pip" not in xcorr
    assert xcorr.splitlines()[:3] == ["# --- notebook cell 2 ---", "import numpy as np",
                                      "# --- notebook cell 5 ---"]
    assert [line for line in xcorr.splitlines() if line.startswith("# --- ")] == [
        f"# --- notebook cell {n} ---" for n in (2, 5, 6)]

    cnn = collected.modules["cnn"].read_text()
    assert "import numpy as np\nimport tensorflow as tf\n" in cnn
    assert "def relu(x):" in cnn and "def build_cnn(" in cnn
    assert "def correlate1d" not in cnn
    assert "%matplotlib" not in cnn and "!pip" not in cnn

    for name, path in collected.modules.items():
        compile(path.read_text(), f"{name}.py", "exec")
    assert "dropped 2 IPython magic/shell line(s): %matplotlib inline, !pip install x" \
        in collected.notes
    assert "cross_correlation: built from notebook cells 2 (in part), 5, 6" in collected.notes
    assert "cnn: built from notebook cells 2, 8" in collected.notes
    assert "notebook cell 3 not used: no graded function needs their code (scratch, demos, " \
        "plots)" in collected.notes


def test_the_policy_accepts_the_split_modules(tmp_path: Path) -> None:
    from autograder.core.policy import scan
    from autograder.registry import BY_NAME

    collected = collect(write_notebook(tmp_path / "nb.ipynb", course_notebook()), tmp_path / "w")
    for name, path in collected.modules.items():
        assert scan(path.read_text(), BY_NAME[name]) == [], name


def test_line_numbers_inside_a_cell_are_kept(tmp_path: Path) -> None:
    cell = ("import numpy as np\n%time x = 1\nimport math; import os; y = 2\n"
            "from collections import (\n    OrderedDict,\n    deque,\n)\n"
            "for i in range(2):\n    !echo {i}\nfiles = !ls\nnp.correlate?\n"
            "total = (1\n         % 2)\ntext = '''\n!not a magic\n'''\n"
            "def correlate1d(x, k):\n    return x, np, OrderedDict, i, files, total, text\n")
    notebook = new_notebook(cells=[new_code_cell("from __future__ import annotations"),
                                   new_code_cell(cell)])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    text = collected.modules["cross_correlation"].read_text()
    lines = text.splitlines()
    assert lines[0] == "from __future__ import annotations"
    own = lines[lines.index("# --- notebook cell 2 ---") + 1:]
    cell_lines = cell.split("\n")
    assert len(own) == len(cell_lines) - 1  # the cell's lines, the empty last one dropped
    for n, (line, original) in enumerate(zip(own, cell_lines, strict=False)):
        if n != 3:  # each line where it was, or empty (or its IPython syntax replaced)
            assert line in (original, "") or "IPython line removed" in line, (line, original)
    assert own[1] == own[2] == own[10] == ""  # `%time x = 1`, `import math ...`: not needed
    assert own[3:7] == ["from collections import OrderedDict", "", "", ""]  # deque is not
    assert own[8] == "    pass  # IPython line removed"
    assert own[9] == "files = None  # IPython line removed"
    assert own[12] == "         % 2)"
    assert own[14] == "!not a magic"
    namespace: dict[str, object] = {}
    exec(compile(text, "cross_correlation.py", "exec"), namespace)  # the test's own notebook
    assert namespace["total"] == 1 and namespace["text"] == "\n!not a magic\n"
    assert "math" not in namespace and "deque" not in namespace and "x" not in namespace


def test_forbidden_imports_in_shared_cells_keep_the_line_count(tmp_path: Path) -> None:
    shared = ("import numpy as np; import tensorflow as tf; SEED = 1\n"
              "from tensorflow.keras import (\n    layers,\n    models,\n); VALUE = 2\n"
              "try:\n    import torch\nexcept ImportError:\n    torch = None\n")
    notebook = new_notebook(cells=[new_code_cell(shared),
                                   new_code_cell("def correlate1d(x, k):\n"
                                                 "    return x, np, SEED, VALUE\n")])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w",
                        exercises=["cross_correlation"])
    text = collected.modules["cross_correlation"].read_text()
    lines = text.splitlines()
    assert lines[1:7] == [
        "import numpy as np; pass; SEED = 1",
        "pass \\", "\\", "\\", "; VALUE = 2",
        "# --- notebook cell 2 ---",  # the `try: import torch` no function needs: left out
    ]
    namespace: dict[str, object] = {}
    exec(compile(text, "cross_correlation.py", "exec"), namespace)
    assert namespace["SEED"] == 1 and namespace["VALUE"] == 2
    assert "tf" not in namespace and "torch" not in namespace  # `torch = None` never ran


def test_demo_cells_are_left_out_and_helpers_are_followed(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("def correlate2d(x, k):\n    return x"),
        new_code_cell("print(correlate2d(np.ones((3, 3)), np.ones((2, 2))))"),
        new_code_cell("def zero_pad(x, p):\n    return np.pad(x, p)\n"
                      "def correlate2d_padded(x, k):\n    return correlate2d(zero_pad(x, 1), k)"),
        new_code_cell("model = build_cnn()\nmodel.fit()"),  # build_cnn is defined below
        new_code_cell("def build_cnn():\n    return None"),
        new_code_cell("model = build_cnn()"),
        new_code_cell("model.summary()"),
    ])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    cells = {name: [int(line.split()[-2]) for line in path.read_text().splitlines()
                    if line.startswith("# --- notebook cell")]
             for name, path in collected.modules.items()}
    assert cells == {
        "cross_correlation": [2],  # its correlate2d reads nothing; the print demo is left out
        "padding": [1, 2, 4],  # np for zero_pad, cell 2 for correlate2d
        "cnn": [6],  # the model built, fitted and summarised at top level is not graded
    }
    assert "padding: built from notebook cells 1, 2, 4" in collected.notes
    assert "notebook cells 3, 5, 7, 8 not used: no graded function needs their code (scratch, " \
        "demos, plots)" in collected.notes


def test_a_cell_with_a_syntax_error(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("def correlate1d(x, k)\n    return x"),
        new_code_cell("def relu(x):\n    return x"),
        new_code_cell("x = = 1"),
    ])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    assert set(collected.modules) == {"cross_correlation", "cnn"}
    xcorr = collected.modules["cross_correlation"].read_text()
    cnn = collected.modules["cnn"].read_text()
    assert "def correlate1d(x, k)\n" in xcorr and "def correlate1d" not in cnn
    assert "x = = 1" not in xcorr and "x = = 1" not in cnn  # a stray cell costs nothing
    with pytest.raises(SyntaxError) as error:
        compile(xcorr, "cross_correlation.py", "exec")
    assert xcorr.splitlines()[(error.value.lineno or 0) - 1] == "def correlate1d(x, k)"
    assert any("notebook cell 2 has a syntax error" in note for note in collected.notes)


def test_non_python_cell_magics_drop_the_cell(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_code_cell("%%bash\nrm -rf /\n"),
        new_code_cell("%%writefile helper.py\nimport os\n"),
        new_code_cell("%%timeit -n 1\ndef relu(x):\n    return x"),
    ])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    text = collected.modules["cnn"].read_text()
    assert "rm -rf" not in text and "writefile" not in text and "import os" not in text
    assert text.splitlines() == ["# --- notebook cell 3 ---", "", "def relu(x):", "    return x"]
    assert "dropped 2 cell(s) run by a cell magic, not as Python: cell 1 (%%bash), " \
        "cell 2 (%%writefile)" in collected.notes


def nbgrader_cell(source: str, grade_id: str, *, grade: bool, solution: bool,
                  locked: bool) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": grade, "solution": solution,
                                 "locked": locked, "grade_id": grade_id}
    if grade:
        cell.metadata["nbgrader"]["points"] = 1
    return cell


def test_nbgrader_test_cells_are_skipped_and_other_nbgrader_cells_are_code(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        nbgrader_cell("import numpy as np", "setup", grade=False, solution=False, locked=True),
        nbgrader_cell("def relu(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x)\n"
                      "    ### END SOLUTION",
                      "relu", grade=False, solution=True, locked=False),
        nbgrader_cell("assert relu(1) == 1", "test_relu", grade=True, solution=False, locked=True),
        nbgrader_cell("def build_cnn():\n    return None", "build_cnn", grade=True, solution=True,
                      locked=False),  # an autograded answer: the student's code
        nbgrader_cell("assert build_cnn() is None", "test_build_cnn", grade=True, solution=False,
                      locked=True),
        new_code_cell("print(relu(2))"),
    ])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    text = collected.modules["cnn"].read_text()
    assert "def relu(x):" in text and "def build_cnn():" in text and "import numpy as np" in text
    assert "print(relu(2))" not in text  # a demo
    assert "assert relu(1) == 1" not in text and "assert build_cnn() is None" not in text
    assert [line for line in text.splitlines() if line.startswith("# --- ")] == [
        f"# --- notebook cell {n} ---" for n in (1, 2, 4)]  # numbers still count every cell
    assert [n for n in collected.notes if "nbgrader" in n] == ["skipped 2 nbgrader test cells"]


def test_a_notebook_without_nbgrader_test_cells_says_nothing_of_them(tmp_path: Path) -> None:
    collected = collect(write_notebook(tmp_path / "nb.ipynb", course_notebook()), tmp_path / "w")
    assert not [n for n in collected.notes if "nbgrader" in n]


def test_the_public_surface() -> None:
    import autograder.core.collect

    assert sorted(autograder.core.collect.__all__) == sorted([
        "LISTED", "MAX_ENTRIES", "MAX_MODULE_BYTES", "MAX_NOTEBOOK_BYTES", "MAX_NOTEBOOK_RAW_BYTES",
        "MAX_ZIP_READ_BYTES",
        "PYTHON_CELL_MAGICS", "Collected", "Located", "MiB", "SubmissionError", "collect",
        "locate"])
    assert all(hasattr(autograder.core.collect, name) for name in autograder.core.collect.__all__)


@pytest.mark.parametrize("container", ["folder", "nested", "zip"])
def test_a_single_notebook_in_a_folder_or_zip(tmp_path: Path, container: str) -> None:
    folder = tmp_path / "sub"
    prefix = "alice/" if container == "nested" else ""
    write_notebook(folder / f"{prefix}alice.ipynb", course_notebook())
    write_notebook(folder / f"{prefix}.ipynb_checkpoints/alice-checkpoint.ipynb", course_notebook())
    (folder / f"{prefix}README.md").write_text("hi")
    path = zip_folder(folder, tmp_path / "sub.zip") if container == "zip" else folder
    collected = collect(path, tmp_path / "work")
    assert set(collected.modules) == {"cross_correlation", "cnn"}
    assert listing(tmp_path / "work") == ["cnn.py", "cross_correlation.py"]
    assert any("README.md" in note for note in collected.notes)


def test_modules_win_over_a_notebook_and_two_notebooks_are_an_error(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "sub", names=["padding"])
    write_notebook(folder / "alice.ipynb", course_notebook())
    collected = collect(folder, tmp_path / "w1")
    assert set(collected.modules) == {"padding"}
    assert any("alice.ipynb" in note for note in collected.notes)

    two = tmp_path / "two"
    write_notebook(two / "a.ipynb", course_notebook())
    write_notebook(two / "b.ipynb", course_notebook())
    with pytest.raises(SubmissionError, match=r"2 notebooks \(a.ipynb, b.ipynb\): submit one"):
        collect(two, tmp_path / "w2")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not a valid notebook: "),
        ('{"cells": []}', "is not a valid notebook: "),
        ('["a", "list"]', "is not a valid notebook: "),
        ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 3}',
         "is not a valid notebook: "),
    ],
)
def test_a_malformed_notebook_is_a_submission_error(tmp_path: Path, content: str, reason: str) -> None:
    notebook = tmp_path / "bad.ipynb"
    notebook.write_text(content)
    with pytest.raises(SubmissionError) as error:
        collect(notebook, tmp_path / "work")
    message = str(error.value)
    assert message.startswith(f"bad.ipynb {reason}")
    assert "\n" not in message and len(message) < 300


def test_a_notebook_in_a_zip_that_is_malformed(tmp_path: Path) -> None:
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("alice/alice.ipynb", b"\xff\xfe not utf-8")
    with pytest.raises(SubmissionError, match=r"^alice/alice.ipynb is not a valid notebook: it is "
                                              r"not UTF-8 text$"):
        collect(archive, tmp_path / "work")


def test_a_notebook_that_does_not_validate_is_still_read(tmp_path: Path) -> None:
    notebook = course_notebook()
    notebook.cells[1]["unexpected"] = "field"  # dropped while reading: not graded
    notebook.cells[2]["execution_count"] = "three"  # against the schema: said, and read
    path = tmp_path / "nb.ipynb"
    path.write_text(nbformat.writes(notebook, validate=False) if "validate" in
                    nbformat.writes.__code__.co_varnames else nbformat.writes(notebook))
    collected = collect(path, tmp_path / "work")
    assert set(collected.modules) == {"cross_correlation", "cnn"}
    [note] = [n for n in collected.notes if "does not fully follow" in n]
    assert note.startswith("nb.ipynb does not fully follow the notebook format (")
    assert note.endswith("); read its code cells anyway")


def test_a_notebook_with_a_very_deep_expression(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_code_cell("import numpy as np\nTOTAL = " + " + ".join(["1"] * 2500)),
        new_code_cell("x = " + "(" * 300 + ")" * 300),
        new_code_cell("def relu(x):\n    return np.maximum(x, 0)"),
    ])
    collected = collect(write_notebook(tmp_path / "nb.ipynb", notebook), tmp_path / "w")
    assert set(collected.modules) == {"cnn"}
    assert any("notebook cell 2 has a syntax error" in note for note in collected.notes)


def test_nbformat_is_imported_only_for_a_notebook() -> None:
    # it costs most of a second; grading a folder of modules must not pay for it
    code = "import sys, autograder.core.collect; print('nbformat' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_an_older_notebook_is_converted_and_read(tmp_path: Path) -> None:
    """Version 4 notebooks are read without nbformat (it is slow to import); an older one,
    version 3 with its worksheets, still goes through nbformat's conversion."""
    from nbformat import v3

    source = "".join(cell.source for cell in course_notebook().cells if cell.cell_type == "code"
                     and "%" not in cell.source)
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input=source)])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(old))
    assert '"worksheets"' in path.read_text()
    collected = collect(path, tmp_path / "work")
    assert set(collected.modules) == {"cross_correlation", "cnn"}
    assert "def correlate2d" in collected.modules["cross_correlation"].read_text()


def test_a_notebook_does_not_import_nbformat(tmp_path: Path) -> None:
    """Grading a version 4 notebook leaves nbformat (and jsonschema, whose optional format
    checkers take over a second to import) unimported."""
    path = write_notebook(tmp_path / "nb.ipynb", course_notebook())
    code = ("import sys; from pathlib import Path; from autograder.core.collect import collect; "
            f"collect(Path({str(path)!r}), Path({str(tmp_path / 'work')!r})); "
            "print(sorted(m for m in ('nbformat', 'jsonschema') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == "[]"
