"""Check an exercise from inside a notebook: `check("padding")` in a Jupyter or Colab cell.

    from autograder.student.notebook import check
    check("padding")

runs the exercise's public checks against the functions the notebook has defined (the caller's
namespace: a notebook's globals, IPython's `user_ns`), by the rules `autograder check` applies
to a file, which are the grader's (see `autograder.student.loop`):

- the static policy (`autograder.core.policy`) reads the source of each exercise function and of
  the notebook's own functions and classes they use (`inspect.getsource`: IPython keeps every
  cell's source), plus an `import` line for each module or imported function they use (how
  `np`, or a function of an earlier exercise, came into the notebook); a function whose source
  cannot be read is not scanned, and a note says so (the run-time guards below still apply, and
  the grader scans the code handed in);
- each call runs under the forbidden-call guard, with the exercise's forbidden packages refused
  and the grader's time limit (`loop.ExerciseRun`, the loop's own runner, with the namespace as
  the module under test).

The result renders as HTML in IPython (`_repr_html_`: each check passed or failed with its
points, the messages and hints `autograder check` prints, the progress line, the next step)
and as `autograder check`'s text elsewhere (`str`, `repr`). Nothing here imports TensorFlow
unless the exercise does (the CNN), nor IPython: only the student bundle's `core/` and
`student/` are needed.
"""

from __future__ import annotations

import base64
import html
import inspect
import sys
import textwrap
import types
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.core import policy
from autograder.core.checks import public_checks
from autograder.core.judge import Reason, Verdict
from autograder.core.results import CheckResult, ExerciseResult
from autograder.registry import EXERCISES, Exercise
from autograder.registry import exercise as lookup
from autograder.student import loop

WHERE = "this notebook"  # how the results name the code checked


def _call(name: str) -> str:
    return f'check("{name}")'


# --- the notebook's code, for the static policy -----------------------------------------------

@dataclass(frozen=True)
class _Chunk:
    """A piece of the text the policy scans, and how to name a line of it to the student."""

    text: str
    owner: str  # "<function>()" or "`np`, which the notebook imported"
    first: int = 0  # the line of the piece's first line in its cell or file; 0: not numbered
    where: str = ""  # "of its cell", "of helpers.py"

    def name(self, offset: int) -> str:
        if not self.first:
            return self.owner
        return f"{self.owner}, line {self.first + offset} {self.where}".rstrip()


def _code_names(code: types.CodeType) -> Iterator[str]:
    """The global (and attribute) names a code object and the code nested in it read."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


def _reads(value: Any) -> list[str]:
    """The names a function, or a class's methods, read from their globals."""
    if isinstance(value, type):
        functions = [f for f in vars(value).values() if isinstance(f, types.FunctionType)]
    else:
        functions = [inspect.unwrap(value)] if isinstance(value, types.FunctionType) else []
    return list(dict.fromkeys(n for f in functions for n in _code_names(f.__code__)))


def _is_own(value: Any, scope: Mapping[str, Any]) -> bool:
    """Whether `value` is a function or class defined in `scope` (the notebook, or the module
    a function came from), whose source is then scanned too."""
    if isinstance(value, types.FunctionType):
        return value.__globals__ is scope
    return isinstance(value, type) and value.__module__ == scope.get("__name__")


def _scope(value: Any, namespace: Mapping[str, Any]) -> Mapping[str, Any]:
    """Where the names `value` reads are looked up: a function's own globals."""
    if isinstance(value, types.FunctionType):
        return inspect.unwrap(value).__globals__
    return namespace


def _import_line(name: str, value: Any) -> str | None:
    """The import statement that binds `name` to `value` (a module, or a function or class of
    one), as the notebook must have written it; None for anything else."""
    if isinstance(value, types.ModuleType):
        return (f"import {value.__name__}" if value.__name__ == name
                else f"import {value.__name__} as {name}")
    module = getattr(value, "__module__", None)
    attribute = getattr(value, "__name__", None)
    if not (callable(value) and isinstance(module, str) and isinstance(attribute, str)
            and attribute.isidentifier() and module not in {"builtins", "__main__"}
            and all(part.isidentifier() for part in module.split("."))):
        return None
    return (f"from {module} import {attribute}" if attribute == name
            else f"from {module} import {attribute} as {name}")


def _where(code: types.CodeType) -> str:
    file = code.co_filename
    if "ipykernel" in file or file.startswith(("<ipython-input", "<cell")):
        return "of its cell"
    return f"of {Path(file).name}" if file and not file.startswith("<") else ""


def notebook_source(exercise: Exercise, namespace: Mapping[str, Any]) -> tuple[list[_Chunk], list[str]]:
    """What the policy scans for `exercise` in `namespace`: the source of each exercise
    function, of the notebook's functions and classes they use (followed), and an import line
    per module or imported function they use; and the notes for the functions whose source
    cannot be read."""
    chunks: list[_Chunk] = []
    imports: dict[str, str] = {}
    notes: list[str] = []
    seen: set[int] = set()
    todo = [(name, namespace[name]) for name in exercise.functions if name in namespace]
    while todo:
        name, value = todo.pop(0)
        if id(value) in seen:
            continue
        seen.add(id(value))
        try:
            text = textwrap.dedent(inspect.getsource(value))
        except (OSError, TypeError) as error:
            if name in exercise.functions:
                notes.append(f"the source of {name} could not be read ({error}), so the scan "
                             "for forbidden imports and calls skipped it; the run-time checks "
                             "still apply, and the grader scans the code you hand in")
            continue
        code = getattr(inspect.unwrap(value), "__code__", None)
        first, where = (code.co_firstlineno, _where(code)) if isinstance(code, types.CodeType) \
            else (0, "")
        owner = name if isinstance(value, type) or not callable(value) else f"{name}()"
        chunks.append(_Chunk(text, owner, first, where))
        scope = _scope(value, namespace)
        for read in _reads(value):
            if read not in scope or read in imports:
                continue
            found = scope[read]
            if _is_own(found, scope):
                todo.append((read, found))
            else:
                line = _import_line(read, found)
                if line is not None:
                    imports[read] = line
    chunks += [_Chunk(line, f"`{name}`, which the notebook imported")
               for name, line in imports.items()]
    return chunks, notes


def blocked(exercise: Exercise, chunks: list[_Chunk]) -> dict[str, str]:
    """Exercise function -> why the static policy blocks it (`policy.blocked`'s rule on the
    pieces joined, each message naming the function and line it is about)."""
    lines: list[str] = []
    starts: list[tuple[int, _Chunk]] = []
    for chunk in chunks:
        starts.append((len(lines) + 1, chunk))
        lines += chunk.text.splitlines() or [""]
    costs: dict[str, str] = {}
    for violation in policy.scan("\n".join(lines) + "\n", exercise):
        start, chunk = max(((s, c) for s, c in starts if s <= violation.line),
                           key=lambda pair: pair[0])
        prefix, message = f"line {violation.line}: ", violation.message
        if message.startswith(prefix):
            message = f"{chunk.name(violation.line - start)}: {message.removeprefix(prefix)}"
        for function in violation.functions or exercise.functions:
            costs.setdefault(function, message)
    return costs


# --- running the checks -----------------------------------------------------------------------

@dataclass
class _NotebookRun(loop.ExerciseRun):
    """The loop's runner with the notebook's namespace as the module under test and the
    policy read from the notebook's functions."""

    costs: dict[str, str] = field(default_factory=dict)
    namespace_module: types.ModuleType | None = None

    def blocked(self) -> dict[str, str]:
        return self.costs

    def module(self) -> types.ModuleType | loop.LoadError:
        if self.namespace_module is None:
            return loop.LoadError(f"{WHERE} could not be read")
        return self.namespace_module


def _as_module(exercise: Exercise, namespace: Mapping[str, Any]) -> types.ModuleType:
    """A module holding the notebook's names (its functions keep the notebook as globals)."""
    module = types.ModuleType(f"_notebook_{exercise.name}_{uuid.uuid4().hex[:8]}")
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
    return module


def run_namespace(name: str, namespace: Mapping[str, Any], *,
                  profile: str | None = None) -> tuple[ExerciseResult, list[str]]:
    """Every public check of exercise `name` against the functions in `namespace`; and the
    notes for the student."""
    exercise = lookup(name)
    checks = public_checks(name, profile=profile, seed=loop.GRADER_SEED)
    chunks, notes = notebook_source(exercise, namespace)
    defined = [f for f in exercise.functions if callable(namespace.get(f))]
    missing = [f for f in exercise.functions if f not in defined]
    note = ""
    if not defined:
        note = (f"{WHERE} defines none of {', '.join(exercise.functions)} yet: run the cells "
                f"that define them, then `{_call(name)}` again.")
    elif missing:
        notes.append(f"{WHERE} does not define {', '.join(missing)} yet (run its cell first)")
    cache = loop.MnistCache.beside(Path.cwd()) if exercise.uses_tensorflow else None
    run = _NotebookRun(exercise, loop.Found(Path(WHERE), WHERE), cache, notes=notes,
                       costs=blocked(exercise, chunks),
                       namespace_module=_as_module(exercise, namespace))
    if note:  # nothing to run: every check says why, as for a module that is missing
        results = tuple(CheckResult.of(c, Verdict("error", note, reason=Reason.LOAD_ERROR))
                        for c in checks)
    else:
        results = tuple(run.check(check) for check in checks)
    return ExerciseResult(name, results, note), run.notes


# --- the report -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """One exercise's public checks run in a notebook: HTML in IPython, text elsewhere."""

    result: ExerciseResult
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

    def text(self) -> str:
        """What `autograder check` prints for the exercise, then the progress line."""
        body = loop.render_exercise(self.result, notes=self.notes)
        return f"{body}\n\n{loop.summary([self.result], _call, {self.result.name: WHERE})}"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return render_html(self.result, self.notes)


_OK, _FAIL = "#1a7f37", "#cf222e"  # green and red, always with a word beside them


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _row(check: CheckResult, show_message: bool) -> str:
    passed = check.status == "pass"
    mark = (f'<span style="color:{_OK};font-weight:600">&#10003; ok</span>' if passed
            else f'<span style="color:{_FAIL};font-weight:600">&#10007; FAIL</span>')
    cells = (f"<td style=\"padding:2px 8px;white-space:nowrap\">{mark}</td>"
             f"<td style=\"padding:2px 8px\"><code>{_escape(check.id)}</code></td>"
             f"<td style=\"padding:2px 8px;white-space:nowrap\">{check.points:g}/"
             f"{check.max_points:g} pt</td>"
             f"<td style=\"padding:2px 8px\">{_escape(check.name)}</td>")
    row = f'<tr class="autograder-{"pass" if passed else "fail"}">{cells}</tr>'
    if show_message and (check.message or check.hint):
        text = _escape(loop.format_failure(check))
        row += ('<tr><td></td><td colspan="3" style="padding:0 8px 6px"><pre style="margin:0;'
                f'white-space:pre-wrap;font-size:90%">{text}</pre></td></tr>')
    picture = _picture(check)
    if picture:
        row += (f'<tr><td></td><td colspan="3" style="padding:0 8px 6px"><img alt="{_escape(check.id)}"'
                f' style="max-width:100%" src="data:image/png;base64,{picture}"></td></tr>')
    return row


def _picture(check: CheckResult) -> str:
    """The check's maps (or the trained CNN) as a base64 PNG, as feedback.html shows them; ""
    without matplotlib or without pictures to draw (a passing check of values has none)."""
    if not check.arrays:
        return ""
    try:
        from autograder.core import pictures

        drawn = pictures.draw(check.arrays)
    except ImportError:
        return ""
    return base64.b64encode(drawn).decode("ascii") if drawn else ""


def render_html(result: ExerciseResult, notes: tuple[str, ...] | list[str] = ()) -> str:
    """The report as HTML: the same header, checks, messages, hints, progress line and next
    step as `autograder check`, as a table, with a progress bar."""
    exercise = lookup(result.name)
    number = EXERCISES.index(exercise) + 1
    parts = ['<div class="autograder-check" style="font-family:system-ui,sans-serif;'
             'line-height:1.4">',
             f'<p style="margin:0 0 4px;font-weight:600">Exercise {number}: '
             f"{_escape(exercise.title)} ({_escape(result.name)}): "
             f"{result.score:g}/{result.max_score:g} points</p>"]
    if result.note:
        parts.append(f'<p style="margin:0 0 4px">{_escape(result.note)}</p>')
    parts += [f'<p style="margin:0 0 4px;color:#57606a">Note: {_escape(n)}</p>' for n in notes]
    parts.append('<table style="border-collapse:collapse;text-align:left">')
    parts += [_row(c, c.status != "pass" and not result.note) for c in result.checks]
    parts.append("</table>")
    failing = [c for c in result.checks if c.status != "pass"]
    if failing and not result.note and not all(
            getattr(c, "reason", "") == Reason.NOT_IMPLEMENTED for c in failing):
        parts.append(f'<p style="margin:6px 0 0">About this exercise: {_escape(exercise.hint)}</p>')
    progress = loop.progress_line([result])
    parts.append(f'<p style="margin:6px 0 0"><progress value="{result.score:g}" '
                 f'max="{max(result.max_score, 1):g}" style="vertical-align:middle"></progress> '
                 f"<code>{_escape(progress)}</code></p>")
    step = loop.next_action([result], _call, {result.name: WHERE})
    parts.append(f'<p style="margin:4px 0 0">{_escape(step)}</p></div>')
    return "\n".join(parts)


# --- the entry point --------------------------------------------------------------------------

def check(exercise: str, namespace: Mapping[str, Any] | None = None, *,
          profile: str | None = None) -> Report:
    """Run the public checks of `exercise` ("padding") on the functions defined where this is
    called (a notebook's namespace; or `namespace`), by the grader's rules. Shown as HTML when
    it is a cell's last expression in Jupyter or Colab, as text elsewhere; `.passed`,
    `.score` and `.result` hold the outcome. `profile` picks the MNIST data profile."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    result, notes = run_namespace(exercise, namespace, profile=profile)
    return Report(result, tuple(notes))
