"""`autograder release OUT`: the student bundle, and the proof that it holds no reference code.

    OUT/
      README.md, Makefile, .gitignore   how to set up and run the checks
      pyproject.toml, requirements.txt  the package `cnn-exercises`: the student-side `autograder`
      exercises/                        the stubs, the thin pytest files, conftest.py, README.md
      autograder/                       only the modules the student loop imports (see below)
      notebooks/                        the exercises as notebooks, solutions and hidden tests
                                        removed (when the kit has `autograder.instructor.notebooks`),
                                        each ending with a cell that checks it (`check_cells`)
      .autograder-release               marks OUT as a bundle that a new release may replace

The student side of the package is two of its folders, `core/` and `student/`, plus `cli.py`,
`registry.py` and `__init__.py`: everything `pytest exercises`, `autograder check` and
`autograder data` import lives there (the kit's tests trace a real run in a built bundle and
check). The other folders stay out: `course/` (each exercise's hidden-case plans and its
TensorFlow oracle, answers in effect), `grading/` (the hidden checks, the grader, the sandbox),
`instructor/` and `authoring/`. `cli.py` imports each verb's module lazily, so the instructor
verbs are listed in the bundle's `autograder --help` but cannot run there.

After writing, `release` scans the bundle for the body of every function of `solutions/`
and refuses the bundle if any appears: see `leaks`.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import autograder

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
MARKER = ".autograder-release"
PROJECT_NAME = "cnn-exercises"

# What of `autograder` a student bundle holds: the top-level files the CLI needs, and the two
# packages the student loop is built from (the layout keeps everything they import inside them;
# tests/test_import_contract.py holds them to it).
STUDENT_FILES = ("__init__.py", "cli.py", "registry.py")
STUDENT_PACKAGES = ("core", "student")
# Never in a student bundle (checked after every build): the grader, the exercises' course
# files (hidden-case plans, oracles, mutants), the instructor's tools, the authors' engines,
# and the reference solutions.
INSTRUCTOR_ONLY = ("course", "grading", "instructor", "authoring")


def student_modules(package: Path) -> list[str]:
    """The files of `package` (the kit's `autograder/`) a bundle ships, relative to it."""
    files = [name for name in STUDENT_FILES if (package / name).is_file()]
    for folder in STUDENT_PACKAGES:
        files += sorted(p.relative_to(package).as_posix() for p in (package / folder).rglob("*")
                        if p.is_file() and p.suffix in {".py", ".json"}
                        and not set(p.relative_to(package).parts) & _SKIP_DIRS)
    return files


def _instructor_only(relative: str) -> bool:
    """Whether a bundle path is the reference or a module/package of the instructor's kit."""
    parts = relative.split("/")
    if "solutions" in parts:
        return True
    return len(parts) > 1 and parts[0] == "autograder" and (
        parts[1].removesuffix(".py") in INSTRUCTOR_ONLY)


# The kit's dependencies a student needs (with the kit's version bounds and markers).
STUDENT_DEPENDENCIES = ("numpy", "tensorflow-cpu", "tensorflow", "keras", "pytest", "mlxtend",
                        "nbformat", "watchfiles", "matplotlib")

_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints"}

NotebookBuilder = Callable[[Path], None]  # writes an nbgrader course: out/source/<ex>/<ex>.ipynb


# --- the proof: no reference code in the bundle ------------------------------------------------


@dataclass(frozen=True)
class Body:
    """The normalised source of one reference function's body (docstring left out).

    Normalised: every whitespace character removed, so indentation and line breaks do not
    matter (a body pasted into a notebook cell, or reformatted, still matches). A body is
    searched as it is (comments included) and without its comments; each of its long
    statements is searched on its own too, so a partial copy is also found.
    """

    where: str  # "solutions/<exercise>.py: <function>"
    text: str  # the body from its first statement to its last, comments included
    bare: str  # the same without comments
    statements: tuple[str, ...]  # its long top-level statements, without comments


MIN_BODY_CHARS = 40  # a shorter body (`return k // 2, k // 2`) says nothing about the solution
MIN_STATEMENT_CHARS = 60  # single statements long enough to be telling on their own


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _uncommented(text: str) -> str:
    """`text` without `# ...` to the end of each line, then normalised. Crude on purpose (a
    `#` inside a string cuts the line too), and applied alike to the code searched for and to
    the files searched, so both sides are cut the same way."""
    return _normalise(re.sub(r"#[^\n]*", "", text))


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def _segment(lines: list[str], first: ast.stmt, last: ast.stmt) -> str:
    """The source from the start of `first` to the end of `last`, as written."""
    end_line, end_col = last.end_lineno or last.lineno, last.end_col_offset or 0
    chunk = lines[first.lineno - 1:end_line]
    chunk[-1] = chunk[-1][:end_col] if len(chunk) > 1 else chunk[-1][first.col_offset:end_col]
    if len(chunk) > 1:
        chunk[0] = chunk[0][first.col_offset:]
    return "\n".join(chunk)


def _functions(source: str) -> Iterator[tuple[str, str, str, list[str]]]:
    """(name, body, body without comments, its statements without comments) of every
    function, nested ones too, all normalised."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = _body(node)
            if body:
                text = _segment(lines, body[0], body[-1])
                statements = [_uncommented(_segment(lines, s, s)) for s in body]
                yield node.name, _normalise(text), _uncommented(text), statements


def reference_bodies(solutions: Path = KIT_ROOT / "solutions",
                     stubs: Path = KIT_ROOT / "exercises",
                     course: Path = KIT_ROOT / "autograder" / "course") -> list[Body]:
    """The bodies a student bundle must not contain: every function of `solutions/*.py` and of
    the course files (oracles, hidden-case plans, mutants), except functions the stub module of
    the same name gives away as they are (e.g. `reference_model()` in cnn.py, part of the
    exercise's statement)."""
    bodies = []
    for file in sorted([*solutions.glob("*.py"), *course.glob("*.py")]):
        stub = stubs / file.name
        given = ({(name, bare) for name, _, bare, _ in _functions(stub.read_text())}
                 if stub.is_file() else set())
        for name, text, bare, statements in _functions(file.read_text()):
            if (name, bare) in given:
                continue
            long_statements = tuple(s for s in statements if len(s) >= MIN_STATEMENT_CHARS)
            if len(bare) < MIN_BODY_CHARS and not long_statements:
                continue
            bodies.append(Body(f"{file.parent.name}/{file.name}: {name}", text, bare,
                               long_statements))
    return bodies


def _searchable(file: Path) -> tuple[str, str]:
    """A file's text as code would appear in it (a notebook's cells as well as its JSON),
    normalised as it is and without comments."""
    raw = file.read_bytes().decode("utf-8", errors="replace")
    if file.suffix == ".ipynb":
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            cells = json.loads(raw).get("cells", [])
            raw = "\n".join("".join(c.get("source", "")) for c in cells) + "\n" + raw
    return _normalise(raw), _uncommented(raw)


def leaks(bundle: Path, bodies: Iterable[Body] | None = None) -> list[str]:
    """Where reference code appears in `bundle` (empty: nowhere), plus any instructor-only
    file. A whole body, or one of its long statements, found in any file counts."""
    bodies = list(reference_bodies() if bodies is None else bodies)
    problems = []
    for file in sorted(p for p in bundle.rglob("*") if p.is_file()):
        relative = file.relative_to(bundle).as_posix()
        if _instructor_only(relative):
            problems.append(f"{relative}: an instructor-only file")
        text, bare = _searchable(file)
        for body in bodies:
            if body.text in text or body.bare in bare:
                problems.append(f"{relative}: holds the body of {body.where}")
            elif any(s in bare for s in body.statements):
                problems.append(f"{relative}: holds a statement of {body.where}")
    return problems


# --- notebooks: the release version of nbgrader source notebooks -------------------------------

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


def _replace_regions(lines: list[str], begin: str, end: str, stub: str | None, where: str) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        if begin in line:
            if inside:
                raise ValueError(f"{where}: {begin!r} inside another {begin!r}")
            inside = True
            if stub is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out += [indent + s for s in stub.splitlines()]
        elif end in line:
            if not inside:
                raise ValueError(f"{where}: {end!r} without {begin!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {begin!r} without {end!r}")
    return out


def student_notebook(notebook: Any, where: str = "notebook") -> Any:
    """The release version of an nbgrader source notebook (an nbformat v4 node), as
    `nbgrader generate_assignment` makes it: solution regions replaced by a stub, solution
    cells without markers emptied to the stub, hidden test regions removed, outputs cleared."""
    for index, cell in enumerate(notebook.cells, start=1):
        here = f"{where}, cell {index}"
        lines = cell.source.splitlines()
        code = cell.cell_type == "code"
        stub = CODE_STUB if code else TEXT_STUB
        is_solution = bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
        if any(BEGIN_SOLUTION in line for line in lines):
            lines = _replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, stub, here)
        elif is_solution:
            lines = stub.splitlines()
        elif any(END_SOLUTION in line for line in lines):
            raise ValueError(f"{here}: {END_SOLUTION!r} without {BEGIN_SOLUTION!r}")
        lines = _replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, None, here)
        cell.source = "\n".join(lines) + ("\n" if cell.source.endswith("\n") and lines else "")
        if code:
            cell.outputs = []
            cell.execution_count = None
    return notebook


CHECK_MARKDOWN = """## Check your work

The cell below runs the public checks of this exercise on the functions this notebook defines,
by the grader's rules (the same forbidden imports and calls, the same time limits): each check
with its points, what a failing one called, got and expected, the hint when it matches a known
mistake, and your progress. Run the cells above first, then this one, as often as you like. It
needs this bundle's `autograder` package (`pip install -e .` in the bundle's folder: see its
README)."""


def check_cells(exercise: str) -> list[Any]:
    """The two cells every released notebook ends with (nbgrader's source notebooks do not
    have them): how to check the exercise from inside the notebook, and the call."""
    import nbformat

    return [nbformat.v4.new_markdown_cell(CHECK_MARKDOWN, id="check-your-work-md"),
            nbformat.v4.new_code_cell("from autograder.student.notebook import check\n\n"
                                      f'check("{exercise}")', id="check-your-work")]


def _kit_notebook_builder() -> NotebookBuilder | None:
    """`autograder.instructor.notebooks.main` when the kit has it."""
    if importlib.util.find_spec("autograder.instructor.notebooks") is None:
        return None

    def build(out: Path) -> None:
        from autograder.instructor import notebooks  # type: ignore[attr-defined,unused-ignore]

        with contextlib.redirect_stdout(io.StringIO()):
            code = notebooks.main(out)
        if code:
            raise RuntimeError(f"autograder notebooks exited with {code}")

    return build


def _write_notebooks(bundle: Path, builder: NotebookBuilder) -> list[str]:
    import nbformat

    with tempfile.TemporaryDirectory(prefix="autograder-notebooks-") as tmp:
        course = Path(tmp) / "course"
        builder(course)
        sources = sorted((course / "source").glob("*/*.ipynb"))
        if not sources:
            raise RuntimeError(f"the notebook builder wrote no {course}/source/*/*.ipynb")
        (bundle / "notebooks").mkdir()
        written = []
        for source in sources:
            notebook = nbformat.read(source, as_version=4)
            student_notebook(notebook, where=f"source/{source.parent.name}/{source.name}")
            notebook.cells += check_cells(source.parent.name)
            target = bundle / "notebooks" / source.name
            nbformat.write(notebook, target)
            written.append(f"notebooks/{source.name}")
    return written


# --- the bundle's own files ------------------------------------------------------------------


def _student_dependencies(kit_pyproject: Path = KIT_ROOT / "pyproject.toml") -> list[str]:
    """The kit's requirements for STUDENT_DEPENDENCIES, bounds and markers as they are."""
    project = tomllib.loads(kit_pyproject.read_text())["project"]
    chosen = []
    for requirement in project["dependencies"]:
        name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()
        if name in STUDENT_DEPENDENCIES:
            chosen.append(requirement)
    names = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in chosen}
    missing = set(STUDENT_DEPENDENCIES) - names
    if missing:
        raise RuntimeError(f"the kit's pyproject.toml lacks {', '.join(sorted(missing))}")
    return chosen


def _pyproject(dependencies: list[str]) -> str:
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)
    return f"""[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{PROJECT_NAME}"
version = "{autograder.__version__}"
description = "Exercises of the Convolutional Neural Networks unit, with their public checks."
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{deps}]

[project.scripts]
autograder = "autograder.cli:main"

[tool.setuptools.packages.find]
include = ["autograder*"]

[tool.setuptools.package-data]
autograder = ["core/checks/fixtures/*.json"]

[tool.pytest.ini_options]
testpaths = ["exercises"]
pythonpath = ["."]
"""


def _requirements(dependencies: list[str]) -> str:
    return ("# The same as pyproject.toml: `pip install -r requirements.txt`, then run the checks\n"
            "# from this folder (`pytest exercises`, `python -m autograder.cli check`).\n"
            + "".join(f"{d}\n" for d in dependencies))


MAKEFILE = """\
# `make test` runs every public check; `make demo` shows the progress line. Both create .venv.
PYTHON ?= python3
BIN := .venv/bin
STAMP := .venv/.installed

.PHONY: test demo

$(STAMP): pyproject.toml
\ttest -x $(BIN)/python || $(PYTHON) -m venv .venv
\t$(BIN)/python -m pip install --quiet -e .
\ttouch $(STAMP)

test: $(STAMP)
\t$(BIN)/python -m pytest exercises

demo: $(STAMP)
\t@$(BIN)/autograder check --quiet; test $$? -le 1
"""

GITIGNORE = (".venv/\n__pycache__/\n*.pyc\n*.egg-info/\n.pytest_cache/\n.ipynb_checkpoints/\n"
             ".autograder-cache/\n")


def _readme(notebooks: list[str]) -> str:
    if notebooks:
        names = ", ".join(f"`{Path(n).name}`" for n in notebooks)
        notes = (f"`notebooks/` holds the same exercises as Jupyter notebooks ({names}), if your "
                 "course hands them in as notebooks: fill in the cells that say "
                 "`raise NotImplementedError()`. The last cell of each runs the exercise's "
                 "public checks on the notebook's functions, with the same messages.")
    else:
        notes = ("(The notebook versions of the exercises are not part of this bundle: this kit "
                 "has no notebook builder. Work in the `.py` files.)")
    return f"""# CNN exercises

The exercises of the unit "Convolutional Neural Networks": you implement cross-correlation,
padding, stride, pooling and a small CNN in NumPy and Keras. Start with
[`exercises/README.md`](exercises/README.md): the order, the conventions, the MNIST check.

## Set up, once

With Python 3.11 or newer:

```sh
python3 -m venv .venv
.venv/bin/pip install -e .          # installs NumPy, TensorFlow, Keras, pytest, ... (a few minutes)
. .venv/bin/activate                # once per terminal
```

(`make test` does the same the first time. Without a virtual environment,
`pip install -r requirements.txt` works too; then run `python -m autograder.cli` where this
README says `autograder`.)

## Check your work

Run these from this folder:

```sh
pytest exercises                    # every public check, then your progress and the next step
pytest exercises/test_padding.py    # one exercise
autograder check                    # the same checks, with a progress bar
autograder check padding            # one exercise
autograder watch padding            # the same, again each time you save a .py file (Ctrl-C stops)
autograder data                     # which MNIST data the CNN check uses here
```

Every failing check says what was called, what came back, what was expected, and names the
likely mistake when your result matches a known one.

## What is here

- `exercises/`: the modules you complete (`cross_correlation.py`, `padding.py`, `stride.py`,
  `pooling.py`, `cnn.py`) and their checks (`test_*.py`).
- `autograder/`: the public checks, their expected values (computed with TensorFlow/Keras) and
  the code that runs them. Your instructor grades with these checks plus hidden random cases of
  the same functions, so make your code work for any valid input, not only these.
- {notes}
"""


# --- building -----------------------------------------------------------------------------------


def _copy_tree_files(source: Path, target: Path) -> Iterator[Path]:
    for file in sorted(source.rglob("*")):
        relative = file.relative_to(source)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if file.is_symlink() or not file.is_file() or file.suffix in {".pyc", ".pyo"}:
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target / relative)
        yield target / relative


def build(out: Path, *, kit_root: Path = KIT_ROOT,
          notebook_builder: NotebookBuilder | None = None) -> list[str]:
    """Write the bundle into `out` (which must not exist); returns its files, relative."""
    out.mkdir(parents=True)
    package = kit_root / "autograder"
    missing = [name for name in STUDENT_FILES if not (package / name).is_file()]
    if missing:
        raise RuntimeError(f"the kit has no autograder/{missing[0]}")
    for name in student_modules(package):
        (out / "autograder" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(package / name, out / "autograder" / name)
    list(_copy_tree_files(kit_root / "exercises", out / "exercises"))
    notebooks = _write_notebooks(out, notebook_builder) if notebook_builder else []
    dependencies = _student_dependencies(kit_root / "pyproject.toml")
    (out / "pyproject.toml").write_text(_pyproject(dependencies))
    (out / "requirements.txt").write_text(_requirements(dependencies))
    (out / "README.md").write_text(_readme(notebooks))
    (out / "Makefile").write_text(MAKEFILE)
    (out / ".gitignore").write_text(GITIGNORE)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    (out / MARKER).write_text(json.dumps({"kit_version": autograder.__version__,
                                          "files": files}, indent=1) + "\n")
    return sorted([*files, MARKER])


def _is_previous_bundle(out: Path) -> bool:
    return (out / MARKER).is_file()


def main(out: Path, *, notebook_builder: NotebookBuilder | bool | None = True) -> int:
    """`autograder release OUT`. `notebook_builder`: True (default) uses the kit's
    `autograder.instructor.notebooks` when it exists, False leaves the notebooks out, or a callable."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        print(f"autograder release: {out} is a file, not a folder", file=sys.stderr)
        return 2
    if out.is_dir() and any(out.iterdir()) and not _is_previous_bundle(out):
        print(f"autograder release: {out} is not empty and is not a previous student bundle "
              f"(no {MARKER} in it): choose a new or empty folder", file=sys.stderr)
        return 2
    builder: NotebookBuilder | None
    if notebook_builder is True:
        builder = _kit_notebook_builder()
    elif notebook_builder is False:
        builder = None
    else:
        builder = notebook_builder
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as tmp:
        staging = Path(tmp) / "bundle"
        try:
            files = build(staging, notebook_builder=builder)
        except (RuntimeError, ValueError, OSError) as error:
            print(f"autograder release: {error}", file=sys.stderr)
            return 1
        problems = leaks(staging)
        if problems:
            print("autograder release: refused, the bundle would hold reference code:\n  "
                  + "\n  ".join(problems), file=sys.stderr)
            return 1
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    checked = len(reference_bodies())
    tops: dict[str, int] = {}
    for name in files:
        top = name.split("/")[0] + ("/" if "/" in name else "")
        tops[top] = tops.get(top, 0) + 1
    print(f"Wrote the student bundle {out}/ ({len(files)} files):")
    for top, count in tops.items():
        print(f"  {top}" + (f" ({count} files)" if top.endswith("/") else ""))
    if not builder:
        print("  (no notebooks: this kit has no autograder.instructor.notebooks)")
    print(f"Checked: none of the {checked} function bodies of solutions/ and autograder/course/ "
          "appears in it, and it holds no instructor-only module.")
    return 0
