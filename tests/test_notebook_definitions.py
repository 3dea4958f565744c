"""Notebooks are graded the way their author meant them: each exercise's module is built from the
definitions its graded functions need, so scratch cells, plots, magics, a TensorFlow import used
only at top level and cells that raise cost nothing; the last definition of a name wins; stored
outputs do not count towards the size limit. And a folder submission's own modules import each
other when one exercise is graded alone.

Graded through the public interface (`autograder.grading.grade.grade`, the CLI), with real sandboxed
workers. Only one test grades the CNN exercise (TensorFlow and MNIST training).
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.core.collect import MAX_NOTEBOOK_BYTES, MiB, SubmissionError, collect
from autograder.core.results import SubmissionResult
from autograder.grading.grade import Options, grade
from autograder.registry import EXERCISES
from tests.conftest import ROOT, SOLUTIONS

NUMPY = ("cross_correlation", "padding", "stride", "pooling")
FULL = {"cross_correlation": 20, "padding": 15, "stride": 15, "pooling": 20, "cnn": 30}
STORED = ROOT / "tests" / "submissions" / "notebooks"

IMPORTS = """from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike"""

# Scratch a student leaves in: TensorFlow at top level, plots, magics, a cell that raises.
# Top-level names such as `image` and `kernel` are also the functions' parameters.
SCRATCH = {
    "cross_correlation": "image = np.arange(25).reshape(5, 5)\n"
                         "plt.imshow(correlate2d(image, np.ones((2, 2))))\nplt.title('map')\nplt.show()",
    "padding": "kernel = tf.ones((3, 3))\nimage = tf.random.normal((6, 6))\n"
               "print(correlate2d_padded(image.numpy(), kernel.numpy(), 'same').shape)",
    "stride": "for s in (1, 2, 3):\n    print(s, output_size(28, 3, s, 'same'))",
    "pooling": "x = tf.random.uniform((1, 4, 4, 2))\n"
               "print(tf.keras.layers.MaxPool2D()(x).shape, max_pool2d(x.numpy()[0]).shape)",
    "cnn": "model = build_cnn()\nmodel.summary()",
}

# same_padding with the odd zero before: the mistake the padding checks name.
GOOD_RETURN = "    return total // 2, total - total // 2"
BAD_RETURN = "    return total - total // 2, total // 2  # odd zero first"


def solution_cells(exercise: str) -> list[str]:
    """The reference solution as a student might paste it: one cell per top-level definition,
    the imports left to the notebook's first cell, and the private helpers renamed
    (`_pair` -> `_stride_pair`) so that five exercises can share one namespace."""
    source = (SOLUTIONS / f"{exercise}.py").read_text()
    lines = source.split("\n")
    tree = ast.parse(source)
    private = sorted(n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name[0] == "_")
    rename = re.compile(r"\b(" + "|".join(private) + r")\b") if private else None
    cells = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.If)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            continue  # imports, `if TYPE_CHECKING:`, the module docstring
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        text = "\n".join(lines[first - 1:node.end_lineno])
        cells.append(rename.sub(lambda m: f"_{exercise}{m.group(1)}", text) if rename else text)
    return cells


def cell_of(exercise: str, function: str) -> str:
    return next(c for c in solution_cells(exercise) if c.startswith(f"def {function}("))


def student_notebook(*, before: tuple[str, ...] = (), after: tuple[str, ...] = (),
                     replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """All five exercises solved, between the scratch a student leaves in. `before` and `after`:
    more code cells right after the imports and at the end; `replace`: function -> its cell."""
    replace = replace or {}
    cells = [new_markdown_cell("# CNN unit: my solutions\nRun all cells from the top."),
             new_code_cell(IMPORTS),
             new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt"),
             new_code_cell("!pip install numpy"),
             new_code_cell("import tensorflow as tf\nprint(tf.__version__)\n"
                           "probe = tf.nn.conv2d(tf.ones((1, 5, 5, 1)), tf.ones((3, 3, 1, 1)), 1, 'VALID')"),
             new_code_cell("get_ipython().run_line_magic('config', "
                           "\"InlineBackend.figure_format = 'retina'\")"),
             *map(new_code_cell, before)]
    for exercise in EXERCISES:
        cells.append(new_markdown_cell(f"## {exercise.title}"))
        for cell in solution_cells(exercise.name):
            name = cell.partition("(")[0].removeprefix("def ")
            cells.append(new_code_cell(replace.get(name, cell)))
        cells.append(new_code_cell(SCRATCH[exercise.name]))
    cells.append(new_code_cell("1 / 0  # does Python refuse?"))
    cells += map(new_code_cell, after)
    return new_notebook(cells=cells)


def write(path: Path, notebook: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def scores(result: SubmissionResult) -> dict[str, float]:
    return {e.name: e.score for e in result.exercises}


def cli_grade(path: Path, out: Path, *only: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(path), "--only",
                           ",".join(only), "--out", str(out), "--profile", "mnist-offline"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "result.json").read_text())


# --- notebooks ---------------------------------------------------------------------------------


def test_scratch_plots_magics_and_a_raising_cell_cost_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "alice.ipynb", student_notebook())
    out = tmp_path / "out"
    result = cli_grade(path, out, *NUMPY)
    assert {e["name"]: e["score"] for e in result["exercises"]} == {n: FULL[n] for n in NUMPY}
    hidden = [c for e in result["exercises"] for c in e["checks"] if c["visibility"] == "hidden"]
    assert hidden and all(c["status"] == "pass" for c in hidden)
    notes = result["notes"]
    # the imports cell, then the solution's cells, a run of them; not the demo after them
    assert any(re.fullmatch(r"cross_correlation: built from notebook cells 2 \(in part\), \d+-\d+", n)
               for n in notes), notes
    unused = next(n for n in notes if n.startswith("notebook cells "))
    assert unused.startswith("notebook cells 3-6, ")  # plots, pip, tensorflow, a magic
    assert unused.endswith(" not used: no graded function needs their code (scratch, demos, plots)")
    assert not any("tensorflow" in n for n in notes)
    feedback = (out / "feedback.md").read_text()
    assert "- cross_correlation: built from notebook cells 2 (in part), " in feedback
    assert "- notebook cells 3-6, " in feedback


def test_the_modules_hold_only_what_the_functions_need(tmp_path: Path) -> None:
    collected = collect(write(tmp_path / "nb.ipynb", student_notebook()), tmp_path / "w",
                        exercises=NUMPY)
    for name, path in collected.modules.items():
        text = path.read_text()
        for scratch in ("tensorflow", "tf.", "plt", "get_ipython", "1 / 0", "print(", "\nimage = ",
                        "\nkernel = "):
            assert scratch not in text, (name, scratch)
        compile(text, path.name, "exec")
    padding = collected.modules["padding"].read_text()
    assert "def _padding_real_array(" in padding and "PADDING_MODES = " in padding
    assert "sliding_window_view" in padding and "Callable" not in padding  # cut to what is used


@pytest.mark.parametrize("order", ["buggy-then-fixed", "fixed-then-buggy"])
def test_the_last_definition_wins(tmp_path: Path, order: str) -> None:
    good = cell_of("padding", "same_padding")
    assert GOOD_RETURN in good
    buggy = good.replace(GOOD_RETURN, BAD_RETURN)
    if order == "buggy-then-fixed":
        # the early draft even used TensorFlow: it is not what the notebook ends up with
        draft = buggy.replace("    out = ", "    out = int(tf.math.ceil(n / stride))  # ")
        notebook = student_notebook(before=(draft,))
    else:
        notebook = student_notebook(after=(buggy,))
    result = grade(write(tmp_path / f"{order}.ipynb", notebook), Options(only=("padding",)))
    padding = result.exercises[0]
    failed = {c.id for c in padding.checks if c.status != "pass"}
    if order == "buggy-then-fixed":
        assert padding.score == FULL["padding"], failed
    else:
        assert 0 < padding.score < FULL["padding"]
        assert any(check.startswith("same_padding") for check in failed), failed
        assert all(c.status != "policy" for c in padding.checks)


def test_a_numpy_function_that_really_uses_tensorflow_loses_only_its_exercise(tmp_path: Path) -> None:
    uses_tf = ("def correlate2d(image, kernel):\n"
               "    x = tf.constant(np.asarray(image, np.float64)[None, :, :, None])\n"
               "    k = tf.constant(np.asarray(kernel, np.float64)[:, :, None, None])\n"
               "    return tf.nn.conv2d(x, k, 1, 'VALID').numpy()[0, :, :, 0]")
    notebook = student_notebook(replace={"correlate2d": uses_tf})
    result = grade(write(tmp_path / "tf.ipynb", notebook),
                   Options(only=("cross_correlation", "padding"), hidden=False))
    xcorr, padding = result.exercises
    correlate2d = [c for c in xcorr.checks if c.id.startswith("correlate2d")]
    assert correlate2d and all(c.status == "policy" and c.points == 0 for c in correlate2d)
    assert "tensorflow" in correlate2d[0].message
    assert xcorr.score < FULL["cross_correlation"] and padding.score == FULL["padding"]
    assert any(n.startswith("cross_correlation: correlate2d() needs tf, and `import tensorflow "
                            "as tf` (notebook cell 5) imports tensorflow") for n in result.notes)


def test_a_stored_student_notebook_with_a_fix_in_a_later_cell() -> None:
    """Executed by hand: outputs, an error output, an attachment, `%%time`, TensorFlow to compare,
    a first wrong version of correlate2d_strided and its fix further down."""
    result = grade(STORED / "stride-with-a-fix.ipynb", Options(only=("stride",)))
    assert scores(result) == {"stride": FULL["stride"]}
    assert "stride: built from notebook cells 2 (in part), 6, 10 (in part), 14" in result.notes


def _png_outputs(megabytes: int) -> list[nbformat.NotebookNode]:
    """Embedded figures, as a plotting cell stores them (random bytes: they do not compress)."""
    blob = base64.b64encode(os.urandom(3 * MiB // 4)).decode()  # 1 MiB of base64
    return [new_output("display_data", data={"image/png": blob, "text/plain": "<Figure>"})
            for _ in range(megabytes)]


def test_a_notebook_big_only_because_of_stored_images_is_graded(tmp_path: Path) -> None:
    notebook = student_notebook()
    plots = [c for c in notebook.cells if c.cell_type == "code" and "plt." in c.source]
    plots[0].outputs = _png_outputs(25)
    attachment = base64.b64encode(os.urandom(MiB)).decode()
    notebook.cells[0].attachments = {"figure.png": {"image/png": attachment}}
    path = write(tmp_path / "figures.ipynb", notebook)
    assert path.stat().st_size > 25 * MiB > MAX_NOTEBOOK_BYTES
    result = grade(path, Options(only=("stride",)))
    assert scores(result) == {"stride": FULL["stride"]} and not result.errors
    assert any(re.fullmatch(r"figures\.ipynb is 2\d\.\d MiB, 2\d\.\d MiB of it stored outputs "
                            r"\(images, printed text\), which grading ignores", n)
               for n in result.notes), result.notes


def test_the_size_limit_applies_to_the_code_and_a_raw_ceiling_to_the_file(tmp_path: Path) -> None:
    code = student_notebook(after=("# " + "x" * (MAX_NOTEBOOK_BYTES + MiB),))
    with pytest.raises(SubmissionError, match=r"holds 21\.0 MiB of code and text besides its "
                                              r"stored outputs; the limit is 20\.0 MiB"):
        collect(write(tmp_path / "code.ipynb", code), tmp_path / "w1")
    huge = tmp_path / "huge.ipynb"
    with huge.open("wb") as f:
        f.truncate(300 * MiB)  # sparse: refused by its size, before a byte is read
    with pytest.raises(SubmissionError, match=r"huge\.ipynb is 300\.0 MiB; the limit is 256\.0 MiB"):
        collect(huge, tmp_path / "w2")


def test_a_notebook_of_nothing_but_json_structure_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "brackets.ipynb"
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "x": ['
                    + "[]," * 2_100_000 + "[]]}")
    started = time.perf_counter()
    with pytest.raises(SubmissionError, match="JSON brackets and commas"):
        collect(path, tmp_path / "w")
    assert time.perf_counter() - started < 2


def test_a_notebook_in_a_zip_is_not_held_to_the_zip_total(tmp_path: Path) -> None:
    notebook = student_notebook()
    notebook.cells[-1].outputs = _png_outputs(22)
    folder = tmp_path / "bob"
    write(folder / "bob.ipynb", notebook)
    archive = shutil.make_archive(str(tmp_path / "bob"), "zip", tmp_path, "bob")
    collected = collect(Path(archive), tmp_path / "w", exercises=["stride"])
    assert set(collected.modules) == {"stride"}


# --- folders: a submission's own modules import each other -------------------------------------


def _stride_using_padding() -> str:
    """The reference stride.py, its own padding rule replaced by the student's padding.py, and a
    helper module of the student's for the float conversion."""
    source = (SOLUTIONS / "stride.py").read_text()
    source = source.replace("import numpy as np\n", "import numpy as np\n"
                            "from padding import same_padding\nimport utils\n", 1)
    source = re.sub(r"def _same_pads\(.*?\n\n\n", "", source, flags=re.DOTALL)
    source = source.replace("_same_pads(image.shape[0], kernel.shape[0], sh)",
                            "same_padding(image.shape[0], kernel.shape[0], sh)")
    source = source.replace("_same_pads(image.shape[1], kernel.shape[1], sw)",
                            "same_padding(image.shape[1], kernel.shape[1], sw)")
    source = source.replace("image.astype(np.float64)", "utils.as_float(image)")
    assert "_same_pads" not in source and "utils.as_float" in source
    return source


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "carol"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_only_one_exercise_still_sees_the_submissions_own_modules(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "stride.py": _stride_using_padding(),
        "padding.py": (SOLUTIONS / "padding.py").read_text(),
        "utils.py": "import numpy as np\n\n\ndef as_float(a):\n    return np.asarray(a, np.float64)\n",
        "scratch.py": "import tensorflow\n",  # imported by nothing: not taken
        "conftest.py": "raise SystemExit\n",
    })
    collected = collect(folder, tmp_path / "w", exercises=["stride"])
    assert set(collected.modules) == {"stride"} and set(collected.siblings) == {"padding", "utils"}
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["padding.py", "stride.py",
                                                                  "utils.py"]
    assert "took 2 module(s) that the exercise modules import: padding.py, utils.py" in collected.notes
    result = grade(folder, Options(only=("stride",)))
    assert scores(result) == {"stride": FULL["stride"]}, result.exercises[0].checks[0].message


def test_a_helper_that_imports_tensorflow_fails_a_numpy_exercise_clearly(tmp_path: Path) -> None:
    padding = (SOLUTIONS / "padding.py").read_text().replace(
        "import numpy as np\n", "import numpy as np\nfrom utils import shout\n", 1)
    folder = _folder(tmp_path, {"padding.py": padding,
                                "utils.py": "import tensorflow as tf\n\n\ndef shout():\n    pass\n"})
    result = grade(folder, Options(only=("padding",), hidden=False))
    checks = result.exercises[0].checks
    assert result.score == 0 and {c.status for c in checks} <= {"error", "policy"}
    assert "tensorflow" in checks[0].message and "padding.py" in checks[0].message
    assert ("padding.py imports utils.py, which imports tensorflow: the padding exercise does not "
            "allow it, so importing padding.py fails") in result.notes


@pytest.mark.slow
def test_cnn_graded_alone_imports_the_students_padding_module(tmp_path: Path) -> None:
    cnn = (SOLUTIONS / "cnn.py").read_text()
    cnn = cnn.replace("import numpy as np\n", "import numpy as np\nfrom padding import same_padding\n", 1)
    cnn = re.sub(r"def _same_pads\(.*?\n\n\n", "", cnn, flags=re.DOTALL)
    cnn = cnn.replace("_same_pads(", "same_padding(")
    assert "from padding import same_padding" in cnn and "def _same_pads" not in cnn
    folder = _folder(tmp_path, {"cnn.py": cnn, "padding.py": (SOLUTIONS / "padding.py").read_text()})
    result = cli_grade(folder, tmp_path / "out", "cnn")
    (cnn_result,) = result["exercises"]
    failing = [(c["id"], c["message"][:200]) for c in cnn_result["checks"] if c["status"] != "pass"]
    assert cnn_result["score"] == FULL["cnn"], failing


# --- what a definition brings along ------------------------------------------------------------


def test_helpers_constants_their_changes_and_star_imports_are_followed(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[new_code_cell(source) for source in (
        "import numpy as np, tensorflow as tf",
        "SCALE = 3\nCONFIG = {'scale': 1}\nKERNEL = np.ones(3)",
        "KERNEL[0] = 2\nCONFIG.update(scale=SCALE)\nprint(KERNEL)\nnp.random.seed(0)",
        "try:\n    from scipy.signal import correlate as fast\nexcept ImportError:\n    fast = None",
        "if True:  # a definition inside an `if` is the whole `if`\n"
        "    def helper(x):\n        return x * CONFIG['scale']",
        "def correlate1d(x, kernel):\n    return helper(np.asarray(x, float)) + KERNEL.sum() + OFFSET",
        "OFFSET = 1\nOFFSET = OFFSET * 10",
        "KERNEL = KERNEL + 0  # a new object, made from the changed one",
        "x = tf.ones(3)\nkernel = tf.zeros(3)\ncorrelate1d(x, kernel)",  # the parameters' names
        "from numpy import *",
        "def correlate2d(image, kernel):\n    return zeros((1, 1))",
    )])
    collected = collect(write(tmp_path / "nb.ipynb", notebook), tmp_path / "w",
                        exercises=["cross_correlation"])
    text = collected.modules["cross_correlation"].read_text()
    assert "import numpy as np\n" in text  # cut down: tensorflow is not needed
    for left_out in ("tensorflow", "tf.", "scipy", "print", "seed", "fast"):
        assert left_out not in text, left_out
    namespace: dict[str, object] = {}
    exec(compile(text, "cross_correlation.py", "exec"), namespace)  # the test's own notebook
    correlate1d, correlate2d = namespace["correlate1d"], namespace["correlate2d"]
    assert list(correlate1d([1, 1, 1], [0])) == [3 + 4 + 10] * 3  # type: ignore[operator]
    assert correlate2d(None, None).shape == (1, 1)  # type: ignore[operator]
    assert "cross_correlation: built from notebook cells 1 (in part), 2, 3 (in part), 5-8, 10, 11" \
        in collected.notes


def test_the_kits_nbgrader_notebooks_are_graded_from_their_solution_cells(tmp_path: Path) -> None:
    from autograder.instructor.notebooks import main

    course = tmp_path / "course"
    assert main(course, seed=7) == 0
    for exercise in NUMPY:
        result = grade(course / "source" / exercise / f"{exercise}.ipynb",
                       Options(only=(exercise,), hidden=False))
        assert scores(result) == {exercise: FULL[exercise]}, exercise
    collected = collect(course / "source" / "cnn" / "cnn.ipynb", tmp_path / "w")
    text = collected.modules["cnn"].read_text()
    assert "def build_cnn(" in text and "def reference_model(" not in text
    assert "_expect_array" not in text and "_RUN_TESTS" not in text  # the test cells' helpers
    compile(text, "cnn.py", "exec")
