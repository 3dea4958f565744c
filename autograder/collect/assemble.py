"""One exercise's module, written from its notebook cells.

The module keeps each cell's lines where they were (a cell header comment, then the cell), so a
line number in a traceback is the line in the cell. `from __future__` imports move to the top,
where Python requires them; an import the exercise forbids that comes from a cell it does not
own (a shared `import tensorflow as tf`) is replaced by `pass`, since the student could not
have avoided it, and the notes say so. An exercise's own forbidden imports stay, for the policy
check to report.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from autograder.collect.cells import _Cell, _members
from autograder.collect.common import _show
from autograder.registry import Exercise


def _module_text(ex: Exercise, cells: Sequence[_Cell], notes: list[str]) -> str:
    futures: list[str] = []
    body: list[str] = []
    forbidden = frozenset(ex.forbidden_imports)
    for cell in _members(ex, cells, notes):
        lines = list(cell.lines)
        if cell.tree is not None:
            edits: list[tuple[ast.stmt, str]] = []
            for stmt in cell.tree.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                    futures.extend(alias.name for alias in stmt.names)
                    edits.append((stmt, f"moved to the top: {ast.unparse(stmt)}"))
            if cell.owners != {ex.name}:
                # not the exercise's own code: its forbidden imports are another exercise's
                for node in ast.walk(cell.tree):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_any(node, forbidden):
                        statement = ast.unparse(node)
                        edits.append((node, f"removed: {statement} (not allowed in this exercise)"))
                        notes.append(f"{ex.name}: removed `{_show(statement, 80)}` of notebook cell "
                                     f"{cell.number} (not allowed in this exercise)")
            for node, comment in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset),
                                        reverse=True):
                _replace(lines, node, comment)
        body.append(f"# --- notebook cell {cell.number} ---")
        body.extend(lines)
    head = [f"from __future__ import {', '.join(dict.fromkeys(futures))}"] if futures else []
    return "\n".join(head + body) + "\n"


def _imports_any(node: ast.Import | ast.ImportFrom, forbidden: frozenset[str]) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and bool(node.module) and \
            str(node.module).partition(".")[0] in forbidden
    return any(alias.name.partition(".")[0] in forbidden for alias in node.names)


def _replace(lines: list[str], node: ast.stmt, comment: str) -> None:
    """Replace a statement by `pass  # <comment>`, keeping the line count."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    start, end = node.col_offset, node.end_col_offset or len(lines[last])
    # col offsets count UTF-8 bytes
    head = lines[first].encode("utf-8")[:start].decode("utf-8", "replace")
    tail = lines[last].encode("utf-8")[end:].decode("utf-8", "replace")
    comment = " ".join(comment.split())
    if tail.strip() in ("", ";") or tail.lstrip().startswith("#"):
        lines[first] = f"{head}pass  # {comment}"
        for i in range(first + 1, last + 1):
            lines[i] = ""
    else:  # other statements share the line (`import numpy as np; import tensorflow as tf`)
        lines[first] = f"{head}pass" + (" \\" if last > first else tail)
        for i in range(first + 1, last + 1):
            lines[i] = "\\" if i < last else tail
