"""`autograder gradescope OUT.zip`: the bundle's contents, and `run_autograder` run for real
against a temporary folder laid out like Gradescope's `/autograder` (setup.sh is only
syntax-checked: it installs system packages)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.grading.grade import default_seed
from autograder.instructor import gradescope
from tests.conftest import SOLUTIONS, STUBS

ONLY = ("padding", "stride")
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    assert gradescope.main(out, seed=4242) == 0
    return out


@pytest.fixture(scope="module")
def source(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unzipped, as Gradescope does into /autograder/source."""
    target = tmp_path_factory.mktemp("source")
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(target)
    return target


def layout(tmp_path: Path, source: Path, files: list[Path]) -> Path:
    """`tmp_path/autograder/{source,submission,results}` with the submission's files."""
    root = tmp_path / "autograder"
    shutil.copytree(source, root / "source")
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for file in files:
        shutil.copy(file, root / "submission" / file.name)
    return root


def run_autograder(root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
                   "AUTOGRADER_ONLY": ",".join(ONLY), **env}
    environment.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment,
                          capture_output=True, text=True, timeout=300, cwd=root / "submission")
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    return done, results


def assert_gradescope_schema(results: dict) -> None:
    assert isinstance(results["score"], (int, float))
    assert isinstance(results["output"], str) and results["output"]
    assert isinstance(results.get("execution_time", 0), (int, float))
    assert results.get("stdout_visibility", "hidden") in VISIBILITY
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITY


def test_bundle_holds_the_scripts_and_the_kit_and_nothing_else(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        seed = zf.read("seed").decode()
    names = set(infos)
    assert {"setup.sh", "run_autograder", "seed", "kit/pyproject.toml", "kit/README.md",
            "kit/autograder/__init__.py", "kit/autograder/grading/grade.py",
            "kit/autograder/grading/hidden.py",
            "kit/autograder/core/checks/fixtures/padding.json", "kit/solutions/padding.py"} <= names
    assert {n.split("/")[0] for n in names} == {"setup.sh", "run_autograder", "seed", "kit"}
    assert {n.split("/")[1] for n in names if n.startswith("kit/") and n.count("/") > 1} == {
        "autograder", "solutions"}
    for name in names:
        parts = name.split("/")
        assert "__pycache__" not in parts and not name.endswith(".pyc"), name
        assert not any(p in {".venv", "tests", "exercises", ".git"} for p in parts), name
    for name in ("setup.sh", "run_autograder"):
        mode = infos[name].external_attr >> 16
        assert mode & 0o111 == 0o111, f"{name} is not executable: {oct(mode)}"
    assert seed.strip() == "4242"


def test_bundle_is_reproducible_and_the_default_seed_is_the_graders(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    gradescope.build(first, seed=1)
    gradescope.build(second, seed=1)
    assert first.read_bytes() == second.read_bytes()
    assert gradescope.main(tmp_path / "c.zip") == 0
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        assert int(zf.read("seed")) == default_seed()


def test_main_refuses_a_name_that_is_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gradescope.main(tmp_path / "bundle.tar") == 2
    assert ".zip" in capsys.readouterr().err
    assert not (tmp_path / "bundle.tar").exists()


def test_scripts_are_valid_bash(source: Path) -> None:
    for name in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(source / name)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert (source / name).read_text().startswith("#!/usr/bin/env bash\n")
    setup = (source / "setup.sh").read_text()
    assert "apt-get install -y" in setup and "bubblewrap" in setup
    assert "/autograder/venv" in setup and 'pip install "$SOURCE/kit"' in setup


def test_reference_gets_full_marks(tmp_path: Path, source: Path) -> None:
    root = layout(tmp_path, source, [SOLUTIONS / f"{name}.py" for name in ONLY])
    done, results = run_autograder(root)
    assert_gradescope_schema(results)
    assert results["score"] == 30, results["output"]
    assert results["tests"] and all(t["status"] == "passed" for t in results["tests"])
    assert sum(t["max_score"] for t in results["tests"]) == 30
    assert {t["number"].split(".")[0] for t in results["tests"]} == {"2", "3"}  # padding, stride
    assert any(t["visibility"] == "after_published" for t in results["tests"])  # hidden checks ran
    assert "Total: 30/30" in done.stdout
    # the other outputs of `autograder grade` stay beside it, for the instructor
    assert (root / "results" / "tmp" / "feedback.md").is_file()


def test_hidden_checks_use_the_reference_in_the_bundle(tmp_path: Path, source: Path) -> None:
    """The grader runs the bundle's kit: a broken reference in kit/solutions fails the hidden
    checks of a correct submission."""
    root = layout(tmp_path, source, [SOLUTIONS / "padding.py"])
    broken = root / "source" / "kit" / "solutions" / "padding.py"
    broken.write_text(broken.read_text() + "\n\n_same = same_padding\n\n\n"
                      "def same_padding(n, kernel_size, stride=1):\n"
                      "    before, after = _same(n, kernel_size, stride)\n"
                      "    return after, before  # the odd pixel first: wrong, but it validates\n")
    _, results = run_autograder(root, AUTOGRADER_ONLY="padding")
    hidden = [t for t in results["tests"] if t["visibility"] == "after_published"]
    failed = {t["name"].split("(")[-1].split("-")[0] for t in hidden if t["status"] == "failed"}
    assert "same_padding" in failed, results["output"]
    assert results["score"] < 15


def test_stubs_get_zero(tmp_path: Path, source: Path) -> None:
    root = layout(tmp_path, source, [STUBS / f"{name}.py" for name in ONLY])
    _, results = run_autograder(root)
    assert_gradescope_schema(results)
    assert results["score"] == 0
    assert results["tests"] and all(t["status"] == "failed" for t in results["tests"])
    public = [t for t in results["tests"] if t["visibility"] == "visible"]
    assert all("not implemented yet" in t["output"] for t in public)


def test_an_empty_submission_gets_zero_and_says_why(tmp_path: Path, source: Path) -> None:
    root = layout(tmp_path, source, [])
    _, results = run_autograder(root)
    assert_gradescope_schema(results)
    assert results["score"] == 0
    assert "found none of padding.py, stride.py" in results["output"]


def test_a_crashing_grader_still_writes_results(tmp_path: Path, source: Path) -> None:
    root = layout(tmp_path, source, [SOLUTIONS / "padding.py"])
    (root / "source" / "kit" / "autograder" / "grading" / "grade.py").write_text(
        "raise RuntimeError('a broken kit')\n")
    done, results = run_autograder(root)
    assert_gradescope_schema(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "The autograder failed while grading this submission (exit code 1)" in results["output"]
    assert results["stdout_visibility"] == "hidden"
    assert "a broken kit" in done.stderr  # the traceback is for the instructor's log only
    assert "a broken kit" not in results["output"]


def test_a_missing_interpreter_still_writes_results(tmp_path: Path, source: Path) -> None:
    root = layout(tmp_path, source, [SOLUTIONS / "padding.py"])
    _, results = run_autograder(root, AUTOGRADER_PYTHON=str(tmp_path / "no" / "python"))
    assert_gradescope_schema(results)
    assert results["score"] == 0 and "setup.sh failed" in results["output"]


def test_the_time_budget_still_leaves_results(tmp_path: Path, source: Path) -> None:
    hang = tmp_path / "padding.py"
    hang.write_text("import time\ntime.sleep(60)\n")
    root = layout(tmp_path, source, [hang])
    _, results = run_autograder(root, AUTOGRADER_BUDGET_S="3", AUTOGRADER_ONLY="padding")
    assert_gradescope_schema(results)
    assert results["score"] == 0
    assert "did not finish within the time limit of 3 seconds" in results["output"]


def test_a_bundle_for_some_exercises_grades_and_scores_only_those(tmp_path: Path) -> None:
    """`autograder gradescope OUT --only padding`: the bundle's run_autograder, with nothing in
    its environment to say so, grades padding alone and scores it out of padding's points."""
    bundle = tmp_path / "padding-only.zip"
    built = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope", str(bundle),
                            "--only", "padding", "--seed", "4242"], cwd=Path(gradescope.KIT_ROOT),
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "only (padding)" in built.stdout and "grades and scores only padding" in built.stdout
    with zipfile.ZipFile(bundle) as zf:
        assert zf.read("only").decode() == "padding\n"
        zf.extractall(tmp_path / "unzipped")
    # every solution module is submitted: the others must not be graded
    root = layout(tmp_path, tmp_path / "unzipped", sorted(SOLUTIONS.glob("*.py")))
    done, results = run_autograder(root, AUTOGRADER_ONLY="")
    assert_gradescope_schema(results)
    assert {t["number"].split(".")[0] for t in results["tests"]} == {"2"}  # padding alone
    assert results["score"] == 15 and sum(t["max_score"] for t in results["tests"]) == 15
    assert "Total: 15/15" in results["output"] and "Total: 15/15" in done.stdout

    # the environment still overrides the bundle (as run_autograder documents)
    _, both = run_autograder(layout(tmp_path / "again", tmp_path / "unzipped",
                                    sorted(SOLUTIONS.glob("*.py"))),
                             AUTOGRADER_ONLY="padding,stride")
    assert {t["number"].split(".")[0] for t in both["tests"]} == {"2", "3"}


def test_only_names_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gradescope.main(tmp_path / "b.zip", only=("padding", "nope")) == 2
    assert "unknown exercise 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope",
                           str(tmp_path / "c.zip"), "--only", "nope"], capture_output=True,
                          text=True, timeout=60, cwd=Path(gradescope.KIT_ROOT))
    assert done.returncode == 2 and "unknown exercise 'nope'" in done.stderr
