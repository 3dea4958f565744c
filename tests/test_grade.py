"""`autograder grade` end to end: real submissions, real sandboxed workers, real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.child import worker
from autograder.grading.grade import Options, grade, write_outputs
from autograder.grading.sandbox import InProcessSandbox
from tests.conftest import ROOT, SOLUTIONS, STUBS

NUMPY = ("cross_correlation", "padding", "stride", "pooling")


def autograder(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_reference_numpy_exercises_score_full_marks_with_hidden_checks() -> None:
    result = grade(SOLUTIONS, Options(only=NUMPY))
    assert [(e.name, e.score, e.max_score) for e in result.exercises] == [
        ("cross_correlation", 20, 20), ("padding", 15, 15), ("stride", 15, 15), ("pooling", 20, 20)]
    hidden = [c for e in result.exercises for c in e.checks if c.visibility == "hidden"]
    assert hidden and all(c.status == "pass" for c in hidden)


@pytest.mark.slow
def test_grade_cli_scores_the_reference_100_and_writes_every_file(tmp_path: Path) -> None:
    done = autograder("grade", str(SOLUTIONS), "--out", str(tmp_path / "out"),
                      "--profile", "mnist-offline")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Total: 100/100" in done.stdout
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["score"] == result["max_score"] == 100 and result["schema_version"] == 3
    gradescope = json.loads((tmp_path / "out" / "results.json").read_text())
    assert gradescope["score"] == 100
    assert (tmp_path / "out" / "feedback.md").read_text().count("\n## ") == 5
    assert "<!DOCTYPE html>" in (tmp_path / "out" / "feedback.html").read_text()


def test_grade_the_stubs_scores_zero_with_an_explanation_per_exercise(tmp_path: Path) -> None:
    done = autograder("grade", str(STUBS), "--json", "--only", ",".join(NUMPY), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)  # --json: nothing but the JSON on stdout
    assert result["score"] == 0
    for exercise in result["exercises"]:
        public = [c for c in exercise["checks"] if c["visibility"] == "public"]
        assert all("not implemented yet" in c["message"] for c in public), exercise["name"]


def test_only_grades_a_subset_and_the_rest_is_absent() -> None:
    result = grade(SOLUTIONS, Options(only=("padding",), hidden=False))
    assert [e.name for e in result.exercises] == ["padding"]
    assert result.score == result.max_score == 15


def test_the_same_seed_gives_the_same_hidden_cases_and_another_seed_others() -> None:
    from autograder.grading.hidden import hidden_checks

    def shapes(seed: int) -> list[str]:
        return [c.call.describe() for c in hidden_checks("pooling", seed=seed, solutions=SOLUTIONS)]

    assert shapes(7) == shapes(7) != shapes(8)


def _submission(tmp_path: Path, name: str, source: str, base: str = "padding") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{base}.py").write_text(source)
    return folder


REFERENCE_PADDING = (SOLUTIONS / "padding.py").read_text()


@pytest.mark.parametrize(("name", "source", "status", "words"), [
    ("syntax-error", "def same_padding(n, k, s=1):\n    return (n k)\n", "error", "syntax error"),
    ("missing-function", REFERENCE_PADDING.replace("def zero_pad(", "def zero_padding("),
     "error", "no function zero_pad()"),
    ("wrong-signature", REFERENCE_PADDING.replace(
        "def same_padding(n: int, kernel_size: int, stride: int = 1)",
        "def same_padding(n: int, kernel_size: int)"), "error", "TypeError"),
    ("returns-list", REFERENCE_PADDING.replace(
        "    return np.pad(image, widths, mode=\"constant\", constant_values=0.0)",
        "    return np.pad(image, widths).tolist()"), "fail", "returned a list"),
    ("returns-none", REFERENCE_PADDING.replace(
        "    return np.pad(image, widths, mode=\"constant\", constant_values=0.0)",
        "    np.pad(image, widths)"), "fail", "returned None"),
    ("returns-nan", REFERENCE_PADDING.replace(
        "    return np.pad(image, widths, mode=\"constant\", constant_values=0.0)",
        "    return np.pad(image, widths) * np.nan"), "fail", "NaN"),
    ("wrong-shape", REFERENCE_PADDING.replace(
        "    return np.pad(image, widths, mode=\"constant\", constant_values=0.0)",
        "    return np.pad(image, widths)[:-1]"), "fail", "shape"),
    ("raises", REFERENCE_PADDING.replace(
        "    return np.pad(image, widths, mode=\"constant\", constant_values=0.0)",
        "    raise RuntimeError('oops')"), "error", "RuntimeError: oops"),
])
def test_bad_input_is_a_scored_explained_result(tmp_path: Path, name: str, source: str,
                                                status: str, words: str) -> None:
    result = grade(_submission(tmp_path, name, source), Options(only=("padding",), hidden=False))
    padding = result.exercises[0]
    bad = [c for c in padding.checks if c.status != "pass"]
    assert bad and any(c.status == status and words in c.message for c in bad), \
        [(c.status, c.message) for c in bad]
    if name not in ("syntax-error",):
        assert padding.score > 0  # the rest of the exercise still earns its points


def test_tensorflow_tensor_return_is_explained(tmp_path: Path) -> None:
    source = (SOLUTIONS / "cnn.py").read_text().replace(
        "    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)",
        "    import tensorflow as tf\n    return tf.nn.relu(tf.constant(np.asarray(x, dtype=np.float64)))")
    result = grade(_submission(tmp_path, "tensor", source, "cnn"),
                   Options(only=("cnn",), hidden=False, profile="mnist-offline"))
    relu = next(c for c in result.exercises[0].checks if c.id == "relu-mixed-signs")
    assert relu.status == "fail" and "tf.Tensor" in relu.message


def test_missing_module_and_malformed_notebook(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = grade(empty, Options(only=("stride",), hidden=False))
    assert result.score == 0 and "stride" in result.exercises[0].note
    notebook = tmp_path / "broken.ipynb"
    notebook.write_text("{ this is not json")
    result = grade(notebook, Options(only=("stride",), hidden=False))
    assert result.score == 0 and result.errors


def test_policy_violation_scores_that_exercise_zero_naming_the_line(tmp_path: Path) -> None:
    source = "import scipy.signal\n" + (SOLUTIONS / "cross_correlation.py").read_text()
    result = grade(_submission(tmp_path, "scipy", source, "cross_correlation"),
                   Options(only=("cross_correlation",), hidden=False))
    checks = result.exercises[0].checks
    assert result.score == 0 and all(c.status == "policy" for c in checks)
    assert "line 1" in checks[0].message and "scipy" in checks[0].message


def test_engine_with_the_in_process_double(tmp_path: Path) -> None:
    """The grading engine without subprocesses: fast, and the same verdicts."""
    sandbox = InProcessSandbox(lambda argv, job: worker.main(["worker", argv[-1]]))
    result = grade(SOLUTIONS, Options(only=("stride",)), sandbox=sandbox)
    assert result.score == result.max_score == 15
    assert result.sandbox == "in-process test double (no isolation)"
    write_outputs(result, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "feedback.html", "feedback.md", "result.json", "results.json"]


def test_a_zip_submission(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    shutil.copytree(SOLUTIONS, folder / "exercises")
    archive = shutil.make_archive(str(tmp_path / "alice"), "zip", tmp_path, "alice")
    result = grade(Path(archive), Options(only=("pooling",), hidden=False))
    assert result.score == 20
