"""A Jupyter notebook into one module per exercise: read it, take its code cells, split them.

The steps, in order: `_read_notebook` checks that the bytes are a notebook (UTF-8, JSON, an
nbformat version) before nbformat parses them; `_code_cells` takes each code cell, leaves out
nbgrader's test cells, replaces IPython syntax (magics.py) and works out what the cell binds and
reads; `_assign` (cells.py) gives each cell its exercises; `_module_text` (assemble.py) writes
each exercise's module. Nothing is run.

nbformat is imported in `_read_notebook` only: it costs most of a second (jsonschema), and
grading a folder of modules, the common case, never needs it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograder.collect.assemble import _module_text
from autograder.collect.cells import _assign, _Cell, _names, _top_defs
from autograder.collect.common import SubmissionError, _Found, _listing, _show
from autograder.collect.magics import _strip_magics
from autograder.registry import EXERCISES, Exercise

if TYPE_CHECKING:
    from nbformat import NotebookNode

# A `def` of a cell that does not parse: enough to send the cell to the right exercise.
_DEF_LINE = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


def _from_notebook(data: bytes, label: str, wanted: Sequence[Exercise]) -> _Found:
    notes: list[str] = []
    cells = _code_cells(_read_notebook(data, label, notes), notes)
    _assign(cells)
    modules: dict[str, bytes] = {}
    missing: dict[str, str] = {}
    for ex in wanted:
        if not any(set(ex.functions) & cell.defines for cell in cells):
            missing[ex.name] = f"the notebook defines none of: {', '.join(ex.functions)}"
            continue
        modules[ex.name] = _module_text(ex, cells, notes).encode("utf-8")
    return _Found(modules, missing, notes)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _show(text[0] if text else type(exc).__name__, 200)


def _read_notebook(data: bytes, label: str, notes: list[str]) -> NotebookNode:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError(f"{label} is not a valid notebook: it is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SubmissionError(f"{label} is not a valid notebook: it is not JSON ({_one_line(exc)})") \
            from None
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int):
        raise SubmissionError(f"{label} is not a valid notebook: it has no nbformat version")

    import nbformat  # here, not at the top: see the module docstring

    captured: dict[str, Exception] = {}
    try:
        notebook = nbformat.reads(text, as_version=4, capture_validation_error=captured)
    except Exception as exc:  # nbformat raises many kinds on malformed input
        raise SubmissionError(f"{label} is not a valid notebook: {_one_line(exc)}") from None
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{label} is not a valid notebook: it has no list of cells")
    if "ValidationError" in captured:
        notes.append(f"{label} does not fully follow the notebook format "
                     f"({_one_line(captured['ValidationError'])}); read its code cells anyway")
    return notebook


def _source(cell: object) -> str | None:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else None


def _is_nbgrader_test(cell: object) -> bool:
    """Whether the cell is one of nbgrader's test cells: graded and not a solution, so it holds
    the instructor's asserts, not the student's code (nbgrader's own reading of the flags)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    if not isinstance(nbgrader, dict):
        return False
    return bool(nbgrader.get("grade", False)) and not nbgrader.get("solution", False)


def _code_cells(notebook: NotebookNode, notes: list[str]) -> list[_Cell]:
    function_names = {fn for ex in EXERCISES for fn in ex.functions}
    cells: list[_Cell] = []
    dropped_lines: list[str] = []
    dropped_cells: list[str] = []
    tests = 0
    for number, raw in enumerate(notebook["cells"], start=1):
        source = _source(raw)
        if source is None:
            continue
        if _is_nbgrader_test(raw):
            tests += 1
            continue
        if not source.strip():
            continue
        raw_lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = _strip_magics(raw_lines, number, dropped_lines, dropped_cells)
        if lines is None:
            continue
        text = "\n".join(lines)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
            message = exc.msg if isinstance(exc, SyntaxError) else (str(exc) or type(exc).__name__)
            defines = frozenset(_DEF_LINE.findall(text)) & function_names
            goes = ("the modules of the functions it defines" if defines
                    else "every module, as a shared cell")
            notes.append(f"notebook cell {number} has a syntax error ({where}{_show(message, 80)}); "
                         f"it goes into {goes}")
            cells.append(_Cell(number, lines, None, defines, frozenset(), frozenset()))
            continue
        binds, uses = _names(text, tree)
        cells.append(_Cell(number, lines, tree, _top_defs(tree) & function_names, binds, uses))
    if tests:
        notes.append(f"skipped {tests} nbgrader test cell{'' if tests == 1 else 's'}")
    if dropped_lines:
        notes.append(f"dropped {len(dropped_lines)} IPython magic/shell line(s): "
                     + _listing([_show(line, 40) for line in dropped_lines]))
    if dropped_cells:
        notes.append(f"dropped {len(dropped_cells)} cell(s) run by a cell magic, not as Python: "
                     + _listing(dropped_cells))
    return cells
