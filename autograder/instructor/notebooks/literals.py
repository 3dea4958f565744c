"""Check inputs and expected values written as Python literals that rebuild them exactly
(types, dtypes, shapes and every bit of a float), so a test cell needs no data file."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from autograder.instructor.notebooks.errors import NotebookError

INLINE_LIMIT = 64  # arrays with more elements are written as base64 bytes, not as lists


def _short_floats(array: np.ndarray) -> str:
    """The nested list of a float array, each value written as briefly as its dtype allows
    (float32 0.742, not 0.7419999837875366) when that text still reads back exactly."""
    def text(x: Any) -> str:
        if not np.isfinite(x):
            return literal(float(x))
        short = np.format_float_positional(x, unique=True, trim="0") if 1e-4 <= abs(x) < 1e16 or x == 0 \
            else np.format_float_scientific(x, unique=True, trim="0")
        return short if array.dtype.type(float(short)) == x else repr(float(x))

    def nest(a: np.ndarray) -> str:
        return text(a[()]) if a.ndim == 0 else f"[{', '.join(nest(row) for row in a)}]"

    return nest(array)


def literal(value: Any) -> str:
    """Python source that rebuilds `value` exactly (types, dtypes and shapes kept)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise NotebookError(f"cannot write an array of dtype {value.dtype}")
        shape = literal(tuple(int(n) for n in value.shape))
        if value.size > INLINE_LIMIT:
            raw = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
            return f"_array({base64.b64encode(raw).decode('ascii')!r}, {value.dtype.name!r}, {shape})"
        data = _short_floats(value) if value.dtype.kind == "f" else literal(value.tolist())
        text = f"np.array({data}, dtype={value.dtype.name!r})"
        return text if value.size else f"{text}.reshape({shape})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({literal(value.item())})" if value.dtype.kind != "b" \
            else f"np.bool_({value.item()!r})"
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "float('nan')" if math.isnan(value) else f"float('{'-' if value < 0 else ''}inf')"
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(literal(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise NotebookError(f"cannot write {type(value).__name__} {value!r} as a literal")
