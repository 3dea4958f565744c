"""IPython syntax in a code cell: which lines are magics or shell escapes, and what replaces them.

A notebook cell is Python plus IPython's extras (`%matplotlib`, `!pip`, `files = !ls`, `np.sum?`,
`%%bash`). The module written from it must be plain Python with the cell's line numbers intact,
so that a traceback points at the student's line: each IPython line becomes `pass` (or
`name = None` for a shell assignment) on the same line, and a cell magic that runs its body as
something other than Python drops the whole cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autograder.core.collect.common import _show

# Cell magics whose body is Python run by the kernel: the first line goes, the body stays.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_MAGIC_START = ("%", "!", "?")
_SHELL_ASSIGN = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=\s*[!%]")
_HELP_SUFFIX = re.compile(r"^\s*[A-Za-z_][\w.]*\?{1,2}\s*$")
_CELL_MAGIC = re.compile(r"^%%(\w*)")


def _statement_starts(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it begins a new statement: not inside brackets, a string or a
    backslash continuation. A small scanner, so that lines that are not Python (magics) do not
    stop it; a line that starts with an IPython escape is not scanned."""
    starts: list[bool] = []
    depth = 0
    quote: str | None = None
    continued = False
    for line in lines:
        start = depth == 0 and quote is None and not continued
        starts.append(start)
        continued = False
        if start and _is_magic(line):
            continue
        i, n = 0, len(line)
        comment = False
        while i < n:
            if quote is not None:
                if line[i] == "\\":
                    i += 2
                elif line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                else:
                    i += 1
                continue
            ch = line[i]
            if ch == "#":
                comment = True
                break
            if ch in "\"'":
                quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else ch
                i += len(quote)
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(depth - 1, 0)
            i += 1
        if not comment and line.endswith("\\"):
            continued = True
        elif quote is not None and len(quote) == 1:
            quote = None  # an unterminated one-line string: a syntax error the import reports
    return starts


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return (stripped.startswith(_MAGIC_START) or bool(_SHELL_ASSIGN.match(line))
            or bool(_HELP_SUFFIX.match(line)))


def _strip_magics(
    lines: list[str], number: int, dropped_lines: list[str], dropped_cells: list[str]
) -> list[str] | None:
    """The cell with IPython-only lines replaced by `pass` (same line count), or None when a
    cell magic runs the whole cell as something other than Python."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        match = _CELL_MAGIC.match(lines[first])
        magic = match.group(1) if match else ""
        if magic not in PYTHON_CELL_MAGICS:
            dropped_cells.append(f"cell {number} (%%{_show(magic, 20)})")
            return None
        dropped_lines.append(lines[first].strip())
        lines = list(lines)
        lines[first] = "pass  # IPython cell magic removed"
    starts = _statement_starts(lines)
    out: list[str] = []
    for line, start in zip(lines, starts, strict=True):
        if start and _is_magic(line):
            indent = line[: len(line) - len(line.lstrip())]
            dropped_lines.append(line.strip())
            assign = _SHELL_ASSIGN.match(line)
            if assign:
                out.append(f"{indent}{assign.group(2)} = None  # IPython line removed")
            else:
                out.append(f"{indent}pass  # IPython line removed")
        else:
            out.append(line)
    return out
