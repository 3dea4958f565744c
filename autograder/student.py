"""The student loop: run the public checks in-process on the student's modules.

Used by `autograder check` and, through `make_test`, by the thin pytest files in `exercises/`.
The four NumPy exercises need no TensorFlow here; only the CNN exercise imports it.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.calls import run_call
from autograder.checks import Check, public_checks
from autograder.judge import Verdict
from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup
from autograder.results import CheckResult, ExerciseResult


class LoadError(Exception):
    """The module under test could not be imported; the message says why, for a student."""


def load_module(path: Path) -> ModuleType:
    """Import a module from its file, under a private name so that several can coexist."""
    if not path.is_file():
        raise LoadError(f"{path} not found")
    name = f"_under_test_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # lets the module import its sibling exercises
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise LoadError(f"{path.name} has a syntax error at line {error.lineno}: {error.msg}") from None
    except (Exception, SystemExit) as error:
        raise LoadError(f"importing {path.name} raised {type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(str(path.parent))
    return module


def run_checks(module: ModuleType, checks: Iterable[Check]) -> list[CheckResult]:
    return [CheckResult.of(check, check.judge(run_call(module, check.call))) for check in checks]


def check_exercise(name: str, directory: Path, *, profile: str | None = None) -> ExerciseResult:
    """Every public check of one exercise against `directory/<name>.py`."""
    checks = public_checks(name, profile=profile)
    try:
        module = load_module(directory / lookup(name).module)
    except LoadError as error:
        failed = Verdict("error", str(error))
        return ExerciseResult(name, tuple(CheckResult.of(c, failed) for c in checks), str(error))
    return ExerciseResult(name, tuple(run_checks(module, checks)))


# --- rendering ------------------------------------------------------------------------------

def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def format_failure(result: CheckResult) -> str:
    lines = result.message + (f"\nHint: {result.hint}" if result.hint else "")
    return lines


def render_exercise(result: ExerciseResult, *, verbose: bool = False) -> str:
    exercise = lookup(result.name)
    number = EXERCISES.index(exercise) + 1
    lines = [f"Exercise {number}: {exercise.title} ({result.name}.py): "
             f"{result.score:g}/{result.max_score:g} points"]
    if result.note:
        lines.append(_indent(result.note, "  "))
    for check in result.checks:
        mark = "ok  " if check.status == "pass" else "FAIL"
        lines.append(f"  {mark} {check.id} ({check.max_points:g} pt): {check.name}")
        if (check.status != "pass" and not result.note) or (verbose and check.message):
            lines.append(_indent(format_failure(check)))
    stubbed = all("not implemented" in c.message for c in result.checks if c.status != "pass")
    if not result.passed and not result.note and not stubbed:
        lines.append(_indent(f"About this exercise: {exercise.hint}", "  "))
    return "\n".join(lines)


def progress_line(results: Sequence[ExerciseResult], width: int = 20) -> str:
    """`Progress: [####>----] 2/5 exercises, 37/100 points`."""
    done = sum(r.passed for r in results)
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    filled = round(width * score / total) if total else 0
    bar = "#" * filled + (">" if filled < width else "") + "-" * max(width - filled - 1, 0)
    return (f"Progress: [{bar}] {done}/{len(results)} exercises, "
            f"{score:g}/{total:g} points")


def _check_command(name: str) -> str:
    return f"autograder check {name}"


def next_action(results: Sequence[ExerciseResult],
                rerun: Callable[[str], str] = _check_command) -> str:
    """The one next thing to do; `rerun(name)` is the command that checks one exercise."""
    for result in results:
        if result.passed:
            continue
        failing = [c for c in result.checks if c.status != "pass"]
        where = f"exercises/{result.name}.py"
        if all("not implemented" in c.message for c in failing):
            return (f"Next: implement exercise {result.name} in {where} (start with "
                    f"{failing[0].id.split('-')[0]}), then run `{rerun(result.name)}`.")
        return (f"Next: fix {failing[0].id} in {where} ({failing[0].name}), then run "
                f"`{rerun(result.name)}`.")
    return "All done: every public check passes. Well done!"


def summary(results: Sequence[ExerciseResult],
            rerun: Callable[[str], str] = _check_command) -> str:
    return f"{progress_line(results)}\n{next_action(results, rerun)}"


def main(names: Sequence[str], directory: Path, *, profile: str | None = None,
         verbose: bool = False, quiet: bool = False, out: Callable[[str], Any] = print) -> int:
    """`autograder check`: 0 when every selected exercise passes, 1 otherwise."""
    selected = list(names) or [e.name for e in EXERCISES]
    for name in selected:
        lookup(name)  # fail early on a typo
    results = []
    for name in selected:
        result = check_exercise(name, directory, profile=profile)
        results.append(result)
        text = render_exercise(result, verbose=verbose)
        out(text.splitlines()[0] if quiet else text + "\n")
    out(summary(results))
    return 0 if all(r.passed for r in results) else 1


def make_test(name: str, test_file: str) -> Callable[..., None]:
    """A pytest test function, parametrized over the public checks of exercise `name`, that runs
    them against the module beside `test_file`."""
    import pytest

    directory = Path(test_file).resolve().parent
    checks = public_checks(name)
    loaded: dict[str, ModuleType | LoadError] = {}

    def module() -> ModuleType:
        if name not in loaded:
            try:
                loaded[name] = load_module(directory / lookup(name).module)
            except LoadError as error:
                loaded[name] = error
        found = loaded[name]
        if isinstance(found, LoadError):
            pytest.fail(str(found), pytrace=False)
        return found

    @pytest.mark.parametrize("check", checks, ids=[c.id for c in checks])
    def test(check: Check, record_property: Callable[[str, Any], None]) -> None:
        record_property("exercise", name)
        record_property("points", check.points)
        result = CheckResult.of(check, check.judge(run_call(module(), check.call)))
        record_property("result", result)
        if result.status != "pass":
            pytest.fail(format_failure(result), pytrace=False)

    test.__name__ = f"test_{name}"
    return test
