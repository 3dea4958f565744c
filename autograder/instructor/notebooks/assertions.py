"""The graded test cells: one per public check, asserting it through a setup-cell helper with
its inputs and expected value written as literals. The hidden cases of a function are written
once, in the hidden region of its first test cell, which runs them all and counts the failed
ones by kind; every test cell of the function then asserts, in its own hidden region, the kinds
that gate it, as the kit's grader (`autograder.grading.steps.gating.gate`) does: a failed case
of the rule withholds every public check of the function, a failed case of bad arguments only
the checks `argument_guarded` names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbformat import NotebookNode

from autograder.core.checks import Check
from autograder.instructor.notebooks.cells import graded
from autograder.instructor.notebooks.errors import NotebookError
from autograder.instructor.notebooks.literals import literal

RULE, ARGUMENTS = "rule", "arguments"  # the kinds of hidden case, keys of `_hidden_failed`


def function_cells(function: str, public: Sequence[Check], hidden: Sequence[Check],
                   seed: int) -> list[NotebookNode]:
    """The test cells of one function's public checks, `hidden` the hidden checks that gate it:
    the first cell runs them, each cell asserts the kinds that gate its points."""
    from autograder.grading.hidden import argument_guarded, checks_arguments

    kinds = {RULE: any(not checks_arguments(h) for h in hidden),
             ARGUMENTS: any(checks_arguments(h) for h in hidden)}
    guarded = {check.id for check in argument_guarded(list(public))}
    gated = [check.id for check in public if check.call.mode != "mnist"]
    cells = []
    for check in public:
        gates = [kind for kind in (RULE, ARGUMENTS) if kinds[kind]
                 and (kind == RULE or check.id in guarded)] if check.id in gated else []
        run = hidden if gated and check.id == gated[0] else ()
        cells.append(check_cell(check, seed, function=function, run=run, gates=gates))
    return cells


def check_cell(check: Check, seed: int, *, function: str | None = None,
               run: Sequence[Check] = (), gates: Sequence[str] = ()) -> NotebookNode:
    """The test cell of a public check: first, hidden, the run of the cases `run` (the first cell
    of a function), then the public assertion, then, hidden, the assertion that no hidden case
    of the kinds `gates` failed. The MNIST check hides only its seed (the instructor's), the
    hidden region of its cell."""
    function = function or check.call.function
    header = (f"# {check.id} ({check.points} point{'s' if check.points != 1 else ''}): "
              f"{check.title}")
    if check.call.mode == "mnist":
        lines = [header, "mnist_seed = 0  # the grader trains with its own seed",
                 "### BEGIN HIDDEN TESTS", f"mnist_seed = {seed}", "### END HIDDEN TESTS",
                 f"_expect_mnist({check.call.function}, preprocess, seed=mnist_seed)"]
        return graded(check.id, "\n".join(lines), check.points)
    lines = [*run_region(function, run), header, *assertion(check)]
    if gates:
        lines += ["### BEGIN HIDDEN TESTS",
                  f"# {' and '.join(gates)}: the hidden cases of {function}() that gate this cell",
                  f"_expect_hidden({function!r}, {tuple(gates)!r})",
                  "### END HIDDEN TESTS"]
    return graded(check.id, "\n".join(lines), check.points)


def run_region(function: str, hidden: Sequence[Check]) -> list[str]:
    """The hidden region that runs every hidden case of `function` once, one case a line. The
    cases' literals stay a few lines away from any statement that can raise, so that a
    traceback's context lines do not reach them."""
    from autograder.grading.hidden import checks_arguments

    if not hidden:
        return []
    lines = ["### BEGIN HIDDEN TESTS", f"_hidden_cases = [  # the hidden cases of {function}()"]
    for case in hidden:
        lines.append(f"    {hidden_case(case, ARGUMENTS if checks_arguments(case) else RULE)},")
    lines += ["]",
              "# Each case is (kind, helper, args, kwargs, options). The kit's grader runs the",
              "# same cases: a failed case of the rule withholds every test cell of the function,",
              "# a failed case of bad arguments the cells of its bad-argument checks.",
              f"_run_hidden({function!r}, {function}, _hidden_cases)",
              "del _hidden_cases",
              "### END HIDDEN TESTS"]
    return lines


def hidden_case(check: Check, kind: str) -> str:
    """A hidden case as the literal tuple `_run_hidden` reads."""
    helper, options = _expectation(check)
    call = check.call
    opts = "{" + ", ".join(f"{k!r}: {v}" for k, v in options.items()) + "}"
    return (f"({kind!r}, {helper}, {literal(tuple(call.args))}, {literal(dict(call.kwargs))}, "
            f"{opts})")


def _expectation(check: Check) -> tuple[str, dict[str, str]]:
    """The setup-cell helper that asserts a check, and its keyword arguments as literals."""
    from autograder.core.judge import ArrayExpect, ExactExpect, ModelExpect, RaisesExpect
    from autograder.grading.hidden import HiddenExpect

    expect: Any = check.expect
    if isinstance(expect, HiddenExpect):
        expect = expect.inner
    if isinstance(expect, RaisesExpect):
        return "_expect_raises", {}
    if isinstance(expect, ArrayExpect):
        dtype = {"dtype": repr(expect.dtype)} if expect.dtype else {}
        return "_expect_array", {"expected": literal(expect.expected), **dtype}
    if isinstance(expect, ExactExpect):
        return "_expect_exact", {"expected": literal(expect.expected)}
    if isinstance(expect, ModelExpect):
        return "_expect_model", {"rule": repr(expect.rule)}
    raise NotebookError(f"check {check.id}: no notebook assertion for {type(expect).__name__}")


def assertion(check: Check) -> list[str]:
    """The helper call that asserts one check."""
    from autograder.core.judge import ArrayExpect, ExactExpect, ModelExpect, RaisesExpect
    from autograder.grading.hidden import HiddenExpect

    call = check.call
    expect: Any = check.expect
    if isinstance(expect, HiddenExpect):
        expect = expect.inner
    args = [f"    {call.function},", f"    args={literal(tuple(call.args))},"]
    if call.kwargs:
        args.append(f"    kwargs={literal(dict(call.kwargs))},")
    if isinstance(expect, RaisesExpect):
        return ["_expect_raises(", *args, ")"]
    if isinstance(expect, ArrayExpect):
        dtype = [f"    dtype={expect.dtype!r},"] if expect.dtype else []
        return ["_expect_array(", *args, f"    expected={literal(expect.expected)},", *dtype, ")"]
    if isinstance(expect, ExactExpect):
        return ["_expect_exact(", *args, f"    expected={literal(expect.expected)},", ")"]
    if isinstance(expect, ModelExpect):
        return ["_expect_model(", *args, f"    rule={expect.rule!r},", ")"]
    if call.mode == "mnist":
        return []
    raise NotebookError(f"check {check.id}: no notebook assertion for {type(expect).__name__}")
