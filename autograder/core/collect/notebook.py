"""A Jupyter notebook into one module per exercise: read it, take its code cells, and build
each exercise's module from the definitions its graded functions need.

The steps, in order: `_read_notebook` checks that the bytes are a notebook (UTF-8, JSON, an
nbformat version) and drops the stored outputs and attachments while the JSON is parsed, so that
only the code and text count towards the size limit, then checks what is left against the
notebook format's schema;
`_code_cells` takes each code cell, leaves out nbgrader's test cells, replaces IPython syntax
(magics.py) and splits the cell into top-level statements (cells.py); `_needed`
(definitions.py) follows each exercise's functions to the statements they use; `_module_text`
(assemble.py) writes the module. Nothing is run. The notes say which cells each module was built
from, and which cells no graded function needs (scratch, demos, plots).

A version 4 notebook (what Jupyter, JupyterLab and Colab write) is checked with fastjsonschema
against the schema nbformat ships, without importing nbformat: that import costs over a second
where jsonschema finds its optional format checkers (rfc3987_syntax compiles its grammars on
import, and nbgrader's dependencies install it), and a batch paid it once per worker. Older
notebooks go through nbformat, which converts them to version 4.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograder.core.collect.assemble import _cell_list, _module_notes, _module_text
from autograder.core.collect.cells import _Cell, _statements
from autograder.core.collect.common import (
    MAX_NOTEBOOK_BYTES,
    MAX_NOTEBOOK_PUNCTUATION,
    SubmissionError,
    _Found,
    _listing,
    _show,
    _size,
)
from autograder.core.collect.definitions import _Index, _needed
from autograder.core.collect.magics import _strip_magics
from autograder.registry import Exercise

_Notebook = dict[str, Any]  # the notebook's JSON, as nbformat version 4 defines it

# The keys of a notebook and of its cells that nbformat's schemas define, v3 and v4 (a v3
# notebook keeps its cells in `worksheets`), and the metadata grading reads.
_NOTEBOOK_KEYS = frozenset({"nbformat", "nbformat_minor", "metadata", "cells", "worksheets"})
_NOTEBOOK_METADATA = frozenset({"kernelspec", "language_info"})
_CELL_KEYS = frozenset({"cell_type", "id", "metadata", "source", "attachments", "outputs",
                        "execution_count", "input", "language", "prompt_number", "level",
                        "collapsed"})
_CELL_METADATA = frozenset({"nbgrader"})


def _from_notebook(read: Callable[[], bytes], label: str, wanted: Sequence[Exercise]) -> _Found:
    """`read` gives the notebook's bytes: called here, so that they can be freed as soon as
    they are decoded (a big notebook is then held twice at most, not three times)."""
    notes: list[str] = []
    cells = _code_cells(_read_notebook(read, label, notes), notes)
    index = _Index([s for cell in cells for s in cell.statements])
    modules: dict[str, bytes] = {}
    missing: dict[str, str] = {}
    used: set[int] = set()
    for ex in wanted:
        if not any(index.bound(fn) for fn in ex.functions):
            missing[ex.name] = f"the notebook defines none of: {', '.join(ex.functions)}"
            continue
        needed = _needed(index, ex)
        modules[ex.name] = _module_text(cells, needed).encode("utf-8")
        notes.extend(_module_notes(ex, cells, needed))
        used |= {index.statements[i].cell for i in needed.names}
    unused = [c.number for c in cells if c.number not in used]
    if modules and unused:
        notes.append(f"notebook {_cell_list(unused)} not used: no graded function needs their "
                     "code (scratch, demos, plots)")
    return _Found(modules, missing, notes)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _show(text[0] if text else type(exc).__name__, 200)


def _read_notebook(read: Callable[[], bytes], label: str, notes: list[str]) -> _Notebook:
    text, raw_size = _decode(read(), label)
    document = _without_outputs(text, label)
    del text
    size = len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{label} holds {_size(size)} of code and text besides its stored "
                              f"outputs; the limit is {_size(MAX_NOTEBOOK_BYTES)}")
    if raw_size > MAX_NOTEBOOK_BYTES:
        notes.append(f"{label} is {_size(raw_size)}, {_size(raw_size - size)} of it stored outputs "
                     "(images, printed text), which grading ignores")
    problem: str | None
    if document["nbformat"] == 4:
        notebook, problem = document, _schema_problem(document)
    else:
        notebook, problem = _converted(document, label)
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{label} is not a valid notebook: it has no list of cells")
    if problem:
        notes.append(f"{label} does not fully follow the notebook format ({problem}); read its "
                     "code cells anyway")
    return notebook


def _schema_problem(document: _Notebook) -> str | None:
    """What the notebook format's schema finds wrong with a version 4 notebook, if anything."""
    import fastjsonschema  # imports in milliseconds

    minor = document.get("nbformat_minor")
    try:
        _v4_validator(minor if isinstance(minor, int) else -1)(document)
    except fastjsonschema.JsonSchemaException as exc:
        return _one_line(exc)
    except Exception as exc:  # input the validator chokes on is still read, and said
        return f"it could not be checked: {_one_line(exc)}"
    return None


@functools.cache
def _v4_validator(minor: int) -> Callable[[object], object]:
    """The schema of version 4.`minor` (the newest one for a minor version nbformat does not
    know, as nbformat itself does), found where nbformat is installed, without importing it."""
    import fastjsonschema

    spec = importlib.util.find_spec("nbformat")
    assert spec is not None and spec.origin is not None, "nbformat is a dependency of the kit"
    folder = Path(spec.origin).parent / "v4"
    schema = folder / f"nbformat.v4.{minor}.schema.json"
    if not schema.is_file():
        schema = folder / "nbformat.v4.schema.json"
    validate: Callable[[object], object] = fastjsonschema.compile(
        json.loads(schema.read_text(encoding="utf-8")))
    return validate


def _converted(document: _Notebook, label: str) -> tuple[_Notebook, str | None]:
    """A notebook of another version, converted to version 4 by nbformat."""
    import nbformat  # here only: see the module docstring

    captured: dict[str, Exception] = {}
    try:
        notebook = nbformat.reads(json.dumps(document, ensure_ascii=False), as_version=4,
                                  capture_validation_error=captured)
    except Exception as exc:  # nbformat raises many kinds on malformed input
        raise SubmissionError(f"{label} is not a valid notebook: {_one_line(exc)}") from None
    error = captured.get("ValidationError")
    return notebook, None if error is None else _one_line(error)


def _decode(data: bytes, label: str) -> tuple[str, int]:
    """(the notebook's text, its size in bytes), after a check of its JSON structure."""
    punctuation = data.count(b"{") + data.count(b"[") + data.count(b",")
    if punctuation > MAX_NOTEBOOK_PUNCTUATION:  # counted in C, before anything is parsed
        raise SubmissionError(f"{label} is not read: it holds {punctuation:,} JSON brackets and "
                              f"commas, more than the {MAX_NOTEBOOK_PUNCTUATION:,} a notebook may")
    try:
        return data.decode("utf-8-sig"), len(data)
    except UnicodeDecodeError:
        raise SubmissionError(f"{label} is not a valid notebook: it is not UTF-8 text") from None


def _without_outputs(text: str, label: str) -> _Notebook:
    """The notebook's JSON, only what grading reads: no stored outputs, attachments or widget
    state, no keys the notebook format does not define."""
    try:
        document = json.loads(text, object_pairs_hook=_stripped)
    except (ValueError, RecursionError) as exc:
        raise SubmissionError(f"{label} is not a valid notebook: it is not JSON ({_one_line(exc)})") \
            from None
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int):
        raise SubmissionError(f"{label} is not a valid notebook: it has no nbformat version")
    return document


def _stripped(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object as it is parsed: an output reduced to its type, a cell's outputs and
    attachments emptied (the bulk of a big notebook: embedded images), a cell's and the
    notebook's keys and metadata cut to what grading reads. Each output is freed as soon as it
    is parsed, so parsing holds one at a time."""
    found = dict(pairs)
    if isinstance(found.get("output_type"), str):
        return {"output_type": found["output_type"]}
    if "cell_type" in found:
        return {key: [] if key == "outputs" else {} if key == "attachments"
                else _only(value, _CELL_METADATA) if key == "metadata" else value
                for key, value in found.items() if key in _CELL_KEYS}
    if "nbformat" in found:
        return {key: _only(value, _NOTEBOOK_METADATA) if key == "metadata" else value
                for key, value in found.items() if key in _NOTEBOOK_KEYS}
    return found


def _only(metadata: object, keys: frozenset[str]) -> object:
    return {k: v for k, v in metadata.items() if k in keys} if isinstance(metadata, dict) else metadata


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


def _code_cells(notebook: _Notebook, notes: list[str]) -> list[_Cell]:
    cells: list[_Cell] = []
    count = 0
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
        cell = _Cell(number, lines, _parse(lines, number, notes))
        cell.statements = _statements(cell, count)
        count += len(cell.statements)
        cells.append(cell)
    if tests:
        notes.append(f"skipped {tests} nbgrader test cell{'' if tests == 1 else 's'}")
    if dropped_lines:
        notes.append(f"dropped {len(dropped_lines)} IPython magic/shell line(s): "
                     + _listing([_show(line, 40) for line in dropped_lines]))
    if dropped_cells:
        notes.append(f"dropped {len(dropped_cells)} cell(s) run by a cell magic, not as Python: "
                     + _listing(dropped_cells))
    return cells


def _parse(lines: list[str], number: int, notes: list[str]) -> ast.Module | None:
    """The cell's tree, or None (and a note) when it does not parse."""
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
        message = exc.msg if isinstance(exc, SyntaxError) else (str(exc) or type(exc).__name__)
        notes.append(f"notebook cell {number} has a syntax error ({where}{_show(message, 80)}); "
                     "it is used only where a graded function needs a name it defines")
        return None
