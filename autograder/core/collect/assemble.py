"""One exercise's module, written from the statements of the notebook that it needs.

Each cell that holds a needed statement becomes a chunk: a header comment naming the cell, then
the cell's lines where they were, the lines of statements not needed left empty. So line `k` of
the cell is line `k` after its header, and a traceback's line points at the student's line.
A statement not needed that shares a line with a needed one (`import numpy as np; import
tensorflow as tf`) becomes `pass` on that line, and an import is cut down to the names needed
(`import numpy as np, tensorflow as tf` keeps `numpy`). `from __future__` imports move to the
top, where Python requires them. An import the exercise forbids is written only when a graded
function needs it: the policy check then reports it, and the notes say which function needs it.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Sequence

from autograder.core.collect.cells import _alias_binding, _Cell, _Statement
from autograder.core.collect.common import _listing, _show
from autograder.core.collect.definitions import _Needed
from autograder.registry import Exercise

_LEFT_OUT = "left out: not needed by the graded functions"


def _module_text(cells: Sequence[_Cell], needed: _Needed) -> str:
    futures = [alias.name for cell in cells for s in cell.statements if s.is_future
               for alias in getattr(s.node, "names", ())]
    body: list[str] = []
    for cell in cells:
        if any(s.index in needed.names for s in cell.statements):
            body.append(f"# --- notebook cell {cell.number} ---")
            body.extend(_cell_lines(cell, needed))
    head = [f"from __future__ import {', '.join(dict.fromkeys(futures))}"] if futures else []
    return "\n".join(head + body) + "\n"


def _cell_lines(cell: _Cell, needed: _Needed) -> list[str]:
    """The cell's lines with only the needed statements left (same line count, trailing empty
    lines dropped)."""
    if cell.tree is None:
        return list(cell.lines)
    kept = [s for s in cell.statements if s.index in needed.names]
    taken = {n for s in kept for n in range(s.first, s.last + 1)}
    sharing = [s for s in cell.statements if s.index not in needed.names
               and taken.intersection(range(s.first, s.last + 1))]
    lines = [""] * len(cell.lines)
    for s in (*kept, *sharing):
        lines[s.first - 1:s.last] = cell.lines[s.first - 1:s.last]
    edits: list[tuple[ast.stmt, str, str]] = []
    for s in sharing:
        assert s.node is not None
        edits.append((s.node, "pass", f"moved to the top: {ast.unparse(s.node)}" if s.is_future
                      else _LEFT_OUT))
    for s in kept:
        pruned = _pruned_import(s, needed.names[s.index])
        if pruned is not None and s.node is not None:
            edits.append((s.node, ast.unparse(pruned), ""))
    for node, code, comment in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset),
                                      reverse=True):
        _replace(lines, node, code, comment)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _pruned_import(statement: _Statement, names: set[str]) -> ast.Import | ast.ImportFrom | None:
    """An import cut down to the names needed, or None when it is needed whole."""
    node = statement.node
    if not isinstance(node, (ast.Import, ast.ImportFrom)) or statement.is_star:
        return None
    keep = [alias for alias in node.names if _alias_binding(node, alias) in names]
    if not keep or len(keep) == len(node.names):
        return None
    if isinstance(node, ast.Import):
        return ast.Import(names=keep)
    return ast.ImportFrom(module=node.module, names=keep, level=node.level)


def _written(statement: _Statement, needed: _Needed) -> ast.stmt | None:
    """The statement as the module holds it (an import maybe cut down)."""
    return _pruned_import(statement, needed.names[statement.index]) or statement.node


def _module_notes(ex: Exercise, cells: Sequence[_Cell], needed: _Needed) -> list[str]:
    """For the feedback: the cells the module was built from, and why a forbidden import is
    in it."""
    whole = {c.number: all(s.index in needed.names and _written(s, needed) is s.node
                           for s in c.statements) for c in cells}
    used = sorted({s.cell for c in cells for s in c.statements if s.index in needed.names})
    partial = {n for n in used if not whole[n]}
    notes = [f"{ex.name}: built from notebook {_cell_list(used, partial)}"]
    forbidden = frozenset(ex.forbidden_imports)
    for cell in cells:
        for s in cell.statements:
            written = _written(s, needed) if s.index in needed.names else None
            if written is None:
                continue
            found = next(((n, p) for n in ast.walk(written) if isinstance(n, (ast.Import, ast.ImportFrom))
                          for p in [_forbidden_package(n, forbidden)] if p), None)
            if found is None:
                continue
            (node, package), (root, name) = found, needed.reasons[s.index]
            notes.append(f"{ex.name}: {root}() needs {name}, and `{_show(ast.unparse(node), 60)}` "
                         f"(notebook cell {s.cell}) imports {package}, which this exercise does not "
                         "allow")
    return notes


def _cell_list(numbers: Sequence[int], partial: Collection[int] = ()) -> str:
    """`cells 2 (in part), 8-13, 17`: runs of three or more whole cells shown as ranges."""
    items: list[str] = []
    run: list[int] = []
    for n in [*numbers, None]:
        if run and (n is None or n in partial or n != run[-1] + 1):
            items.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
            run = []
        if n in partial:
            items.append(f"{n} (in part)")
        elif n is not None:
            run.append(n)
    return f"cell{'s' if len(numbers) > 1 else ''} {_listing(items)}"


def _forbidden_package(node: ast.Import | ast.ImportFrom, forbidden: frozenset[str]) -> str | None:
    """The forbidden top-level package the import names, if any."""
    if isinstance(node, ast.ImportFrom):
        top = str(node.module).partition(".")[0] if node.level == 0 and node.module else ""
        return top if top in forbidden else None
    return next((a.name.partition(".")[0] for a in node.names
                 if a.name.partition(".")[0] in forbidden), None)


def _replace(lines: list[str], node: ast.stmt, code: str, comment: str) -> None:
    """Replace a statement by one line of `code` (`pass`, a shorter import) and a comment,
    keeping the line count."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    start, end = node.col_offset, node.end_col_offset or len(lines[last])
    # col offsets count UTF-8 bytes
    head = lines[first].encode("utf-8")[:start].decode("utf-8", "replace")
    tail = lines[last].encode("utf-8")[end:].decode("utf-8", "replace")
    comment = " ".join(comment.split())
    if tail.strip() in ("", ";") or tail.lstrip().startswith("#"):
        lines[first] = f"{head}{code}" + (f"  # {comment}" if comment else "")
        for i in range(first + 1, last + 1):
            lines[i] = ""
    else:  # other statements share the line (`import numpy as np; import tensorflow as tf`)
        lines[first] = f"{head}{code}" + (" \\" if last > first else tail)
        for i in range(first + 1, last + 1):
            lines[i] = "\\" if i < last else tail
