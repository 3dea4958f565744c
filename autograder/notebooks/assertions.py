"""The graded test cells: one per public check, asserting it through a setup-cell helper with
its inputs and expected value written as literals, then, between nbgrader's hidden-test markers,
every hidden case of the same function. As in the kit's grader, a failed hidden case costs every
public check of its function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbformat import NotebookNode

from autograder.checks import Check
from autograder.notebooks.cells import graded
from autograder.notebooks.errors import NotebookError
from autograder.notebooks.literals import literal


def check_cell(check: Check, hidden: Sequence[Check], seed: int) -> NotebookNode:
    """The test cell of a public check, with the hidden checks that gate its function; the
    MNIST check hides only its seed (the instructor's), the hidden region of its cell."""
    lines = [f"# {check.id} ({check.points} point{'s' if check.points != 1 else ''}): "
             f"{check.title}", *assertion(check)]
    if check.call.mode == "mnist":
        lines = [lines[0], "mnist_seed = 0  # the grader trains with its own seed",
                 "### BEGIN HIDDEN TESTS", f"mnist_seed = {seed}", "### END HIDDEN TESTS",
                 f"_expect_mnist({check.call.function}, preprocess, seed=mnist_seed)"]
    elif hidden:
        lines += ["### BEGIN HIDDEN TESTS",
                  f"# hidden random cases of {check.call.function}(): if one fails, every test "
                  "cell of the function earns 0"]
        for case in hidden:
            lines += assertion(case)
        lines.append("### END HIDDEN TESTS")
    return graded(check.id, "\n".join(lines), check.points)


def assertion(check: Check) -> list[str]:
    """The helper call that asserts one check."""
    from autograder.hidden import HiddenExpect
    from autograder.judge import ArrayExpect, ExactExpect, ModelExpect, RaisesExpect

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
