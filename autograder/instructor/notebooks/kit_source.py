"""Kit functions copied into a notebook's setup cell as plain code.

A notebook never imports the kit (students may not have it), yet some of its helpers must
decide exactly as the kit does. Those are copied from the kit's own functions when the notebook
is generated, so the logic lives in one place. The copy drops the type annotations: the
notebook has no `from __future__ import annotations` (the kit's grader joins a notebook's cells
into one module, where it could not stand in the middle), so a name such as `Any` would be
looked up, and fail, when the cell runs.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from autograder.instructor.notebooks.errors import NotebookError


class _Unannotated(ast.NodeTransformer):
    """The tree the copy must parse to: the original's, annotations removed."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.Assign:
        assert node.value is not None  # plain_source refuses bare annotations first
        return ast.Assign(targets=[node.target], value=node.value)


def plain_source(function: Callable[..., Any]) -> str:
    """The source of a kit function as written (comments, docstring, layout), its parameter,
    return and variable annotations cut out; NotebookError when that cannot be done cleanly
    (an annotation that spans lines, a variable annotated without a value)."""
    name = function.__qualname__
    text = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(text)
    lines = [line.encode() for line in text.split("\n")]  # ast's offsets count UTF-8 bytes
    cuts: list[tuple[int, int, int]] = []  # (line index, start, end) of the bytes to drop
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            cuts.append(_cut(name, node.annotation, node.lineno,
                             node.col_offset + len(node.arg.encode())))
        elif isinstance(node, ast.AnnAssign):
            if node.value is None or node.target.end_col_offset is None:
                raise NotebookError(f"{name}: cannot copy a variable annotated without a value")
            cuts.append(_cut(name, node.annotation, node.lineno, node.target.end_col_offset))
        elif isinstance(node, ast.FunctionDef) and node.returns is not None:
            line = lines[node.returns.lineno - 1]
            arrow = line.rfind(b"->", 0, node.returns.col_offset)
            if arrow < 0:
                raise NotebookError(f"{name}: its return annotation does not follow `->`")
            cuts.append(_cut(name, node.returns, node.returns.lineno, len(line[:arrow].rstrip())))
    for index, start, end in sorted(cuts, reverse=True):
        lines[index] = lines[index][:start] + lines[index][end:]
    copy = b"\n".join(lines).decode().rstrip("\n")
    if ast.dump(ast.parse(copy)) != ast.dump(_Unannotated().visit(tree)):
        raise NotebookError(f"{name}: its annotations cannot be cut out cleanly")
    return copy


def _cut(name: str, annotation: ast.expr, lineno: int, start: int) -> tuple[int, int, int]:
    """From byte `start` of line `lineno` to the end of `annotation`, which must end there."""
    if not annotation.lineno == annotation.end_lineno == lineno or annotation.end_col_offset is None:
        raise NotebookError(f"{name}: an annotation that spans lines")
    return lineno - 1, start, annotation.end_col_offset
