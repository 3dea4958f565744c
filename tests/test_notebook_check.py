"""`check("padding")` inside a notebook: real notebooks executed by a real Jupyter kernel
(nbclient), their outputs read back.

The kernels run as students' do: `from autograder.student.notebook import check` in a cell, the
functions defined in cells above. With the kit (PYTHONPATH = the repository), and from a student
bundle alone (`autograder release`): that kernel runs `python -S` with PYTHONPATH = the bundle,
then this venv's site-packages, so that the kit's editable install cannot supply a module the
bundle lacks (as in tests/test_release.py).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from autograder.core.checks import public_checks
from autograder.instructor import release
from autograder.registry import MISTAKES
from autograder.student.loop import check_exercise
from tests.conftest import ROOT, SOLUTIONS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CHECK_CELL = 'from autograder.student.notebook import check\n\ncheck("padding")'
REFERENCE = (SOLUTIONS / "padding.py").read_text()
# TensorFlow's rule puts the odd pixel after; the classic bug pads k // 2 on both sides.
SYMMETRIC = REFERENCE.replace("return total // 2, total - total // 2",
                              "return kernel_size // 2, kernel_size // 2")
PUBLIC = [c.id for c in public_checks("padding")]


def kernel(tmp: Path, python_path: list[str], isolated: bool) -> tuple[Any, dict[str, str]]:
    """A kernel manager for this venv's Python (`-S` when isolated) and its environment."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = tmp / "kernels" / "kit-python"
    spec.mkdir(parents=True)
    argv = [sys.executable, *(["-S"] if isolated else []), "-m", "ipykernel_launcher", "-f",
            "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "kit", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=os.pathsep.join(python_path), PYTHONDONTWRITEBYTECODE="1",
               AUTOGRADER_CACHE="off")
    manager = KernelManager(kernel_name="kit-python",
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
    return manager, env


def execute(notebook: Any, tmp: Path, *, python_path: list[str], cwd: Path,
            isolated: bool = False, allow_errors: bool = False) -> Any:
    manager, env = kernel(tmp, python_path, isolated)
    client = nbclient.NotebookClient(notebook, km=manager, timeout=240, startup_timeout=120,
                                     allow_errors=allow_errors,
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env)
    return notebook


def outputs(cell: Any) -> tuple[str, str]:
    """A cell's displayed result: (its HTML, its text)."""
    shown = [o for o in cell.outputs if o.get("output_type") in {"execute_result", "display_data"}]
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    assert not errors, "\n".join(errors[0].get("traceback", []))
    assert len(shown) == 1, cell.outputs
    return shown[0]["data"]["text/html"], shown[0]["data"]["text/plain"]


def failing_ids(page: str) -> list[str]:
    return re.findall(r'<tr class="autograder-fail">.*?<code>([^<]+)</code>', page)


def notebook_of(*cells: str) -> Any:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "kit-python", "display_name": "kit",
                                 "language": "python"}})


def test_a_correct_notebook_passes_every_check_with_full_points(tmp_path: Path) -> None:
    notebook = execute(notebook_of(REFERENCE, CHECK_CELL), tmp_path, python_path=[str(ROOT)],
                       cwd=tmp_path)
    page, text = outputs(notebook.cells[-1])
    assert "15/15 points" in page
    assert page.count('<tr class="autograder-pass">') == len(PUBLIC)
    assert failing_ids(page) == [] and "FAIL" not in page
    assert "Progress: [####################] 1/1 exercises, 15/15 points" in html.unescape(page)
    assert "All done" in page and "<progress" in page
    # outside IPython's HTML, the text of `autograder check`
    assert text.startswith("Exercise 2: Zero padding and the 'same' rule (padding.py): 15/15")
    assert "Progress: [####################] 1/1 exercises, 15/15 points" in text


def test_a_buggy_notebook_shows_the_failing_checks_and_the_mistakes_hint(tmp_path: Path) -> None:
    # what `autograder check` says of the same code in a file: the notebook must say the same
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "padding.py").write_text(SYMMETRIC)
    expected = check_exercise("padding", tmp_path / "exercises")
    wrong = [c.id for c in expected.checks if c.status != "pass"]
    assert "same_padding-even-kernel" in wrong and len(wrong) < len(PUBLIC)

    notebook = execute(notebook_of(SYMMETRIC, CHECK_CELL), tmp_path, python_path=[str(ROOT)],
                       cwd=tmp_path)
    page, text = outputs(notebook.cells[-1])
    assert failing_ids(page) == wrong
    assert f"{expected.score:g}/15 points" in page
    hint = MISTAKES["symmetric_same"].hint
    assert html.escape(hint) in page and hint in text
    assert "Called same_padding(10, 4). It returned (2, 2)" in page
    # a failing 2-D map is drawn as in feedback.html, with its grid in the message
    mapped = [c.id for c in expected.checks if c.arrays]
    assert mapped and page.count('src="data:image/png;base64,') == len(mapped)
    assert "Next: fix same_padding-even-kernel in this notebook" in html.unescape(page)
    assert 'then run `check("padding")`' in text


def test_the_notebook_gets_the_graders_policy_and_time_limits(tmp_path: Path) -> None:
    forbidden = REFERENCE.replace("import numpy as np\n",
                                  "import numpy as np\nfrom scipy import signal\n")
    endless = REFERENCE.replace('    n = _positive_int(n, "n")\n', "    while True:\n        pass\n")
    assert endless != REFERENCE
    notebook = execute(notebook_of(forbidden, "signal.correlate2d  # used below\n"
                                   "def zero_pad(image, pads):\n    return signal.correlate2d(image, image)",
                                   CHECK_CELL, endless, CHECK_CELL),
                       tmp_path, python_path=[str(ROOT)], cwd=tmp_path)
    policy_page, _ = outputs(notebook.cells[2])
    assert set(failing_ids(policy_page)) == set(PUBLIC)  # one forbidden import costs them all
    assert "Not run: `signal`, which the notebook imported: `import scipy.signal as signal`: " \
           "the NumPy exercises may not use scipy" in html.unescape(policy_page)
    timeout_page, _ = outputs(notebook.cells[4])
    # the grader's limit: 3 s of CPU time (or its wall-clock backstop on a very busy machine)
    assert re.search(r"did not finish in [\d.]+ s", timeout_page), timeout_page
    assert "same_padding-odd-kernel" in failing_ids(timeout_page)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "bundle"
    assert release.main(out) == 0
    return out


def test_the_released_notebook_checks_itself_from_the_bundle_alone(bundle: Path,
                                                                   tmp_path: Path) -> None:
    notebook = nbformat.read(bundle / "notebooks" / "padding.ipynb", as_version=4)
    assert [c.source for c in notebook.cells[-2:]] == [
        c.source for c in release.check_cells("padding")]
    assert notebook.cells[-1].source == CHECK_CELL
    where = ("import autograder, importlib.util\n"
             "print(autograder.__file__, importlib.util.find_spec('autograder.grading'))")
    # the untouched release first (its test cells fail on the stubs: allowed here), then the
    # reference pasted in above the check cells, and the check run again
    cells = notebook.cells
    notebook.cells = [*cells, nbformat.v4.new_code_cell(where),
                      nbformat.v4.new_code_cell(REFERENCE), copy.deepcopy(cells[-1])]
    site = list(dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]))
    execute(notebook, tmp_path, python_path=[str(bundle), *site], cwd=bundle / "notebooks",
            isolated=True, allow_errors=True)
    stub_page, _ = outputs(notebook.cells[len(cells) - 1])
    assert "0/15 points" in stub_page and "is not implemented yet" in stub_page
    assert "Next: implement exercise padding in this notebook" in stub_page
    printed = "".join(o.get("text", "") for o in notebook.cells[len(cells)].outputs)
    location, grading = printed.split()
    assert Path(location).resolve() == (bundle / "autograder" / "__init__.py").resolve()
    assert grading == "None"  # the bundle has no grader, and the kit cannot leak in
    page, _ = outputs(notebook.cells[-1])
    assert "15/15 points" in page and failing_ids(page) == []


# --- in this process: the namespace's code, read for the policy --------------------------------


def _namespace(tmp: Path, name: str, source: str) -> dict[str, Any]:
    """The globals of code run from a file, as a notebook's are (its functions' sources can
    be read)."""
    from autograder.student.loop import load_module

    (tmp / f"{name}.py").write_text(source)
    return vars(load_module(tmp / f"{name}.py"))


def test_a_forbidden_call_is_named_with_its_function_and_line(tmp_path: Path) -> None:
    from autograder.student import notebook

    source = (SOLUTIONS / "cross_correlation.py").read_text().replace(
        "    return sliding_window_view(x, kernel.shape[0]) @ kernel\n",
        "    return np.correlate(x, kernel, 'valid')\n")
    namespace = _namespace(tmp_path, "mine", source)
    report = notebook.check("cross_correlation", namespace)
    blocked = {c.id.split("-")[0]: c.message for c in report.result.checks if c.status == "policy"}
    line = source[:source.index("np.correlate(x, kernel")].count("\n") + 1
    assert blocked["correlate1d"].startswith(
        f"Not run: correlate1d(), line {line} of mine.py: `np.correlate(x, kernel, 'valid')`: "
        "correlate1d may not use numpy.correlate")
    # convolve1d calls correlate1d: it runs, and the call guard catches the routine at run time
    assert "while this call ran, the code was calling numpy.correlate" in blocked["convolve1d"]
    assert not report.passed and "FAIL" in str(report) and "FAIL" in report._repr_html_()


def test_code_without_a_source_still_runs_with_a_note_and_missing_functions_are_named() -> None:
    from autograder.student import notebook

    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(REFERENCE.replace("def correlate2d_padded(", "def _unused("), "<no file>", "exec"),
         namespace)
    report = notebook.check("padding", namespace)
    assert any("the source of zero_pad could not be read" in n for n in report.notes)
    assert any("does not define correlate2d_padded yet" in n for n in report.notes)
    failing = {c.id.split("-")[0] for c in report.result.checks if c.status != "pass"}
    assert failing == {"correlate2d_padded"}
    assert notebook.check("padding", {}).result.note.startswith("this notebook defines none of")
