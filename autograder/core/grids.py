"""A failed check's maps as plain text: the expected and the returned map side by side, aligned,
the wrong cells marked with `*`.

Read by the student loop (`autograder check`, pytest) and the grader's feedback.md and terminal
views, from a check's `arrays` (`autograder.core.judge.ArrayExpect.maps`). Plain text only, no
colour; NumPy and the standard library only (this module ships to students).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["MAX_COLUMNS", "MAX_ROWS", "MAX_WIDTH", "grid"]

MAX_ROWS = 12  # per map (per channel of a 3-D map)
MAX_COLUMNS = 10
MAX_CHANNELS = 4
MAX_WIDTH = 110  # characters of one line, both maps and the gap
MARK = "*"
_GAP = "    "


def _number(value: float) -> str:
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def _block(array: np.ndarray, wrong: np.ndarray | None, width: int) -> list[str]:
    """One 2-D map's rows: numbers right-aligned to `width`, each followed by its mark."""
    rows = []
    for i, row in enumerate(array):
        cells = [_number(float(v)).rjust(width)
                 + (MARK if wrong is not None and wrong[i, j] else " ")
                 for j, v in enumerate(row)]
        rows.append(" ".join(cells).rstrip() if wrong is None else " ".join(cells))
    return rows


def _side_by_side(left: Sequence[str], right: Sequence[str]) -> list[str]:
    width = max((len(line) for line in left), default=0)
    lines = []
    for k in range(max(len(left), len(right))):
        a = left[k] if k < len(left) else ""
        b = right[k] if k < len(right) else ""
        lines.append(f"{a.ljust(width)}{_GAP}{b}".rstrip())
    return lines


def _channels(array: np.ndarray) -> list[np.ndarray]:
    return [array] if array.ndim == 2 else [array[:, :, c] for c in range(array.shape[2])]


def grid(arrays: Mapping[str, Any] | None) -> str | None:
    """The expected and the returned map side by side, wrong cells marked `*` (one pair of
    grids per channel of a 3-D map), or None when there is nothing small enough to show: no
    maps, more than MAX_ROWS x MAX_COLUMNS cells (x MAX_CHANNELS), or lines over MAX_WIDTH."""
    if not arrays or "expected" not in arrays or "returned" not in arrays:
        return None
    try:
        expected = np.asarray(arrays["expected"], dtype=np.float64)
        returned = np.asarray(arrays["returned"], dtype=np.float64)
        wrong = np.asarray(arrays["wrong"], dtype=bool) if arrays.get("wrong") is not None else None
    except (TypeError, ValueError):
        return None
    for array in (expected, returned):
        if (array.ndim not in (2, 3) or array.size == 0 or array.shape[0] > MAX_ROWS
                or array.shape[1] > MAX_COLUMNS
                or (array.ndim == 3 and array.shape[2] > MAX_CHANNELS)):
            return None
    if expected.ndim != returned.ndim:
        return None
    if wrong is not None and wrong.shape != returned.shape:
        wrong = None
    width = max(len(_number(float(v))) for v in np.concatenate([expected.ravel(), returned.ravel()]))
    marked = f", {MARK} = wrong" if wrong is not None and wrong.any() else ""
    lines: list[str] = []
    pairs = list(zip(_channels(expected), _channels(returned), strict=False))
    masks = _channels(wrong) if wrong is not None else [None] * len(pairs)
    for c, ((e, r), mask) in enumerate(zip(pairs, masks, strict=False)):
        if expected.ndim == 3:
            lines.append(f"channel {c}:")
        left = [f"expected {expected.shape}", *_block(e, None if mask is None else
                                                       np.zeros_like(mask), width)]
        right = [f"returned {returned.shape}{marked}", *_block(r, mask, width)]
        lines += _side_by_side(left, right)
    if expected.ndim == 3 and expected.shape[2] != returned.shape[2]:
        lines.append(f"(expected {expected.shape[2]} channels, returned {returned.shape[2]})")
    if any(len(line) > MAX_WIDTH for line in lines):
        return None
    return "\n".join(lines)
