"""`autograder release OUT`: the student bundle holds no reference code, and works on its own.

How the bundle is run without the kit: this venv has the kit installed in editable mode, and
setuptools' editable finder (installed by a `.pth` file when `site` starts) would resolve any
`autograder.*` module the bundle lacks from the kit itself, so a missing module would go
unnoticed. The bundle's runs therefore use `python -S` (no `site`: no `.pth` file runs, so no
editable finder) with PYTHONPATH = the bundle, then this venv's site-packages: third-party
packages import as usual, `autograder` can only come from the bundle (checked below).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.core.checks import public_checks
from autograder.instructor import release
from autograder.registry import EXERCISES
from tests.conftest import ROOT, SOLUTIONS, STUBS

HAS_NOTEBOOKS = importlib.util.find_spec("autograder.instructor.notebooks") is not None
PUBLIC_CHECKS = sum(len(public_checks(e.name)) for e in EXERCISES)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "bundle"
    assert release.main(out) == 0
    return out


@pytest.fixture()
def fresh(bundle: Path, tmp_path: Path) -> Path:
    """A fresh copy of the bundle, as a student unpacks it (nothing built in it yet)."""
    return Path(shutil.copytree(bundle, tmp_path / "cnn-exercises"))


def bundle_env(bundle: Path) -> dict[str, str]:
    site_packages = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(bundle), *site_packages])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def in_bundle(bundle: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-S", *args], cwd=bundle, env=bundle_env(bundle),
                          capture_output=True, text=True, timeout=timeout)


# --- what is in it ------------------------------------------------------------------------------


def test_bundle_holds_exactly_the_student_files(bundle: Path) -> None:
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    exercises = {f"exercises/{p.name}" for p in STUBS.iterdir() if p.is_file()}
    assert {f"exercises/{e.name}.py" for e in EXERCISES} <= exercises
    assert {f"exercises/test_{e.name}.py" for e in EXERCISES} <= exercises
    assert {"exercises/conftest.py", "exercises/README.md"} <= exercises
    notebooks = {f"notebooks/{e.name}.ipynb" for e in EXERCISES} if HAS_NOTEBOOKS else set()
    expected = ({"README.md", "Makefile", ".gitignore", "pyproject.toml", "requirements.txt",
                 release.MARKER} | exercises | notebooks
                | {f"autograder/{m}" for m in release.student_modules(ROOT / "autograder")})
    assert files == expected
    for name in files:
        parts = name.split("/")
        assert "solutions" not in parts and "__pycache__" not in parts and "tests" not in parts
    # core/ (the checks, the layout rules, the policy) and student/ ship: the student loop
    # applies them as the grader does; the grader's and the instructor's side never does
    assert {p.name for p in (bundle / "autograder").iterdir()} == {
        "__init__.py", "cli.py", "registry.py", "core", "student"}
    assert (bundle / "autograder/core/checks/fixtures/padding.json").is_file()
    assert ("notebook versions of the exercises are not part of this bundle"
            in (bundle / "README.md").read_text()) is not HAS_NOTEBOOKS


def test_pyproject_and_requirements_mirror_the_kits_dependencies(bundle: Path) -> None:
    project = tomllib.loads((bundle / "pyproject.toml").read_text())
    kit = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    meta = project["project"]
    assert meta["name"] == "cnn-exercises"
    assert meta["scripts"] == {"autograder": "autograder.cli:main"}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["autograder*"]
    names = {re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0] for d in meta["dependencies"]}
    assert names == set(release.STUDENT_DEPENDENCIES)
    assert set(meta["dependencies"]) <= set(kit)  # the same bounds and markers as the kit
    assert any("tensorflow-cpu" in d and "platform_machine" in d for d in meta["dependencies"])
    requirements = [line for line in (bundle / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert requirements == meta["dependencies"]


def test_the_bundle_builds_a_wheel_of_just_the_student_package(fresh: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(tmp_path / "dist"), str(fresh)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("cnn_exercises-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {n for n in names if not n.startswith("cnn_exercises-")} == {
        f"autograder/{m}" for m in release.student_modules(ROOT / "autograder")}
    assert "autograder = autograder.cli:main" in entry_points


# --- (a) no reference code --------------------------------------------------------------------


def _strip(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"#[^\n]*", "", text))


def _bodies(path: Path) -> dict[str, str]:
    """{function name: its body without docstring, comments and whitespace} of a module."""
    source = path.read_text()
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            found[node.name] = _strip("\n".join(ast.get_source_segment(source, s) or "" for s in body))
    return found


def _haystack(file: Path) -> str:
    text = file.read_text(errors="replace")
    if file.suffix == ".ipynb":
        text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
    return _strip(text)


def test_no_function_body_of_the_solutions_appears_in_the_bundle(bundle: Path) -> None:
    """Written independently of `release.leaks`: every body of solutions/*.py (the reference)
    and of the course files (the oracles, hidden-case plans and mistake mutants) with at least
    two statements or 40 characters, except functions the stub gives away unchanged, searched
    in every file (notebooks: in their cells)."""
    files = {p: _haystack(p) for p in bundle.rglob("*") if p.is_file()}
    checked = 0
    for module in sorted([*SOLUTIONS.glob("*.py"), *(ROOT / "autograder" / "course").glob("*.py")]):
        given = _bodies(STUBS / module.name) if (STUBS / module.name).is_file() else {}
        for name, body in _bodies(module).items():
            if given.get(name) == body or len(body) < 40:
                continue
            checked += 1
            for file, text in files.items():
                assert body not in text, f"{file.relative_to(bundle)} holds {module.name}:{name}()"
    assert checked >= 40  # the reference of every exercise function, its helpers, the mutants
    assert release.leaks(bundle) == []


def test_the_proof_finds_reference_code_when_it_is_there(bundle: Path, tmp_path: Path) -> None:
    """Not vacuous: a solution copied over a stub, or one reference body pasted into a notebook
    cell at another indentation, is found."""
    leaky = Path(shutil.copytree(bundle, tmp_path / "leaky"))
    shutil.copy(SOLUTIONS / "padding.py", leaky / "exercises" / "padding.py")
    problems = release.leaks(leaky)
    assert any("exercises/padding.py: holds the body of solutions/padding.py: zero_pad" in p
               for p in problems)
    source = (SOLUTIONS / "stride.py").read_text()
    function = next(n for n in ast.parse(source).body
                    if isinstance(n, ast.FunctionDef) and n.name == "correlate2d_strided")
    body = "\n".join(ast.get_source_segment(source, s) or "" for s in function.body[1:])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def mine(image, kernel, stride=1, padding='valid'):\n    "
        + body.replace("\n", "\n    "))])
    (leaky / "exercises" / "padding.py").write_text((STUBS / "padding.py").read_text())
    nbformat.write(notebook, leaky / "extra.ipynb")
    assert [p for p in release.leaks(leaky) if "correlate2d_strided" in p] == [
        "extra.ipynb: holds the body of solutions/stride.py: correlate2d_strided"]
    (leaky / "autograder" / "grading").mkdir(parents=True)
    (leaky / "autograder" / "grading" / "hidden.py").write_text("")
    assert "autograder/grading/hidden.py: an instructor-only file" in release.leaks(leaky)


def test_release_refuses_a_bundle_with_reference_code(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A notebook builder that forgets the solution markers: no bundle is written."""
    def careless(out: Path) -> None:
        text = (SOLUTIONS / "padding.py").read_text()
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)])
        (out / "source" / "padding").mkdir(parents=True)
        nbformat.write(notebook, out / "source" / "padding" / "padding.ipynb")

    assert release.main(tmp_path / "out", notebook_builder=careless) == 1
    assert "refused" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left behind


# --- notebooks ------------------------------------------------------------------------------------


def test_student_notebook_removes_solutions_and_hidden_tests() -> None:
    new = nbformat.v4
    notebook = new.new_notebook(cells=[
        new.new_code_cell("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return x + 1\n"
                          "    ### END SOLUTION\n", outputs=[new.new_output("stream", text="hi")],
                          execution_count=3),
        new.new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 6\n"
                          "### END HIDDEN TESTS\n"),
        new.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
        new.new_code_cell("secret = 42", metadata={"nbgrader": {"solution": True}}),
    ])
    released = release.student_notebook(notebook)
    sources = [c.source for c in released.cells]
    assert sources == [
        "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
        "assert f(1) == 2\n",
        "Why?\nYOUR ANSWER HERE",
        "# YOUR CODE HERE\nraise NotImplementedError()",
    ]
    assert released.cells[0].outputs == [] and released.cells[0].execution_count is None
    for broken in ("### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                   "### BEGIN HIDDEN TESTS\nassert True"):
        with pytest.raises(ValueError, match="without"):
            release.student_notebook(new.new_notebook(cells=[new.new_code_cell(broken)]))


@pytest.mark.skipif(not HAS_NOTEBOOKS, reason="the kit has no autograder.instructor.notebooks yet")
def test_released_notebooks_equal_what_nbgrader_would_release(bundle: Path, tmp_path: Path) -> None:
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    from autograder.instructor import notebooks  # type: ignore[attr-defined,unused-ignore]

    assert notebooks.main(tmp_path / "course") == 0
    for exercise in EXERCISES:
        source = nbformat.read(tmp_path / "course" / "source" / exercise.name
                               / f"{exercise.name}.ipynb", as_version=4)
        theirs, resources = copy.deepcopy(source), dict[str, object]()
        for step in (preprocessors.ClearSolutions, preprocessors.ClearHiddenTests,
                     preprocessors.ClearOutput):
            theirs, resources = step().preprocess(theirs, resources)
        ours = nbformat.read(bundle / "notebooks" / f"{exercise.name}.ipynb", as_version=4)
        # nbgrader's release, then the two cells that check the exercise inside the notebook
        assert [c.source for c in ours.cells] == [c.source for c in theirs.cells] + [
            c.source for c in release.check_cells(exercise.name)], exercise.name
        text = "\n".join(c.source for c in ours.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text


# --- (b) it runs on its own -----------------------------------------------------------------------


def test_the_bundle_imports_its_own_autograder_and_nothing_of_the_kit(fresh: Path) -> None:
    done = in_bundle(fresh, "-c", "import importlib.util, autograder; print(autograder.__file__); "
                     "print([m for m in ('autograder.grading', 'autograder.instructor',"
                     " 'autograder.authoring', 'solutions') if importlib.util.find_spec(m)])")
    assert done.returncode == 0, done.stderr
    where, found = done.stdout.splitlines()
    assert Path(where).resolve() == (fresh / "autograder" / "__init__.py").resolve()
    assert found == "[]"


def test_pytest_in_a_fresh_copy_fails_on_the_stubs_with_the_kits_messages(fresh: Path) -> None:
    done = in_bundle(fresh, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{PUBLIC_CHECKS} failed" in done.stdout
    assert "is not implemented yet" in done.stdout
    assert "CNN exercise kit" in done.stdout
    assert "Progress: [" in done.stdout and f"0/{len(EXERCISES)} exercises, 0/100 points" in done.stdout
    assert "Next: implement exercise cross_correlation" in done.stdout
    assert not list(fresh.rglob("__pycache__"))  # it ran from the copy, which it left alone


def test_autograder_check_works_in_a_fresh_copy(fresh: Path) -> None:
    done = in_bundle(fresh, "-m", "autograder.cli", "check", "padding")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Exercise 2: Zero padding and the 'same' rule (padding.py): 0/15 points" in done.stdout
    assert "is not implemented yet" in done.stdout
    assert "Progress: [" in done.stdout and "Next: implement exercise padding" in done.stdout
    # the reference, copied in by hand, passes there: the checks are complete
    shutil.copy(SOLUTIONS / "padding.py", fresh / "exercises" / "padding.py")
    done = in_bundle(fresh, "-m", "autograder.cli", "check", "padding")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "15/15 points" in done.stdout


def test_the_bundle_ships_every_module_the_student_loop_imports(fresh: Path) -> None:
    script = (
        "import sys, contextlib, io, pytest\n"
        "from autograder import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    pytest.main(['exercises', '-q', '-p', 'no:cacheprovider'])\n"
        "    cli.main(['check', 'padding'])\n"
        "    cli.main(['data'])\n"
        "print(sorted(m.__file__ for n, m in list(sys.modules.items())\n"
        "             if n.split('.')[0] == 'autograder' and getattr(m, '__file__', None)))\n")
    done = in_bundle(fresh, "-c", script)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {Path(f).resolve().relative_to((fresh / "autograder").resolve()).as_posix()
                for f in ast.literal_eval(done.stdout.strip().splitlines()[-1])}
    shipped = {m for m in release.student_modules(ROOT / "autograder") if m.endswith(".py")}
    assert imported <= shipped
    # and the loop is built from what ships, not from a corner of it
    assert {"cli.py", "student/loop.py", "core/judge.py", "core/checks/padding.py",
            "core/collect/pipeline.py"} <= imported


def test_instructor_verbs_fail_with_a_clear_message_in_the_bundle(fresh: Path) -> None:
    """The bundle's cli has the instructor verbs, but not their modules: a clear refusal."""
    for verb in (["grade", "exercises"], ["batch", "exercises", "--out", "out"],
                 ["gradescope", "out.zip"], ["notebooks", "out"], ["release", "out"]):
        done = in_bundle(fresh, "-m", "autograder.cli", *verb)
        assert done.returncode != 0, verb
        assert "not part of the student bundle" in done.stderr, verb
        assert "Traceback" not in done.stderr, verb


# --- main() -----------------------------------------------------------------------------------------


def test_main_refuses_a_folder_that_is_not_a_bundle(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "work"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert release.main(out, notebook_builder=False) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    (tmp_path / "plain").write_text("x")
    assert release.main(tmp_path / "plain", notebook_builder=False) == 2


def test_main_replaces_a_previous_bundle_and_says_what_it_wrote(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle"
    out.mkdir()  # an empty folder is fine
    assert release.main(out, notebook_builder=False) == 0
    (out / "exercises" / "stale.py").write_text("")
    assert release.main(out, notebook_builder=False) == 0
    assert not (out / "exercises" / "stale.py").exists()
    printed = capsys.readouterr().out
    assert f"Wrote the student bundle {out}/" in printed
    assert "exercises/ (" in printed and "autograder/ (" in printed and "pyproject.toml" in printed
    assert "none of the" in printed and "function bodies of solutions/" in printed
    assert "notebook versions of the exercises are not part of this bundle" in (
        out / "README.md").read_text()
    marker = json.loads((out / release.MARKER).read_text())
    assert "exercises/padding.py" in marker["files"]
