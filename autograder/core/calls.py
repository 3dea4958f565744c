"""What a check asks of student code, and what came back.

A `Call` names a function and its inputs. `invoke` runs it on fresh copies of the inputs and
turns whatever came back into an `Outcome`: plain data (a base ndarray, ints, tuples, strings),
never the student's own objects, so that an object with a lying `__eq__` or an ndarray subclass
that overrides comparisons cannot influence the verdict. The same code runs in-process for the
student loop and inside the sandbox child for grading.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Python values an Outcome may hold besides arrays: what the exact checks compare.
Plain = int | float | str | None | tuple["Plain", ...]


@dataclass(frozen=True)
class Call:
    """`function(*args, **kwargs)` on the module under test.

    `mode` says how the child uses the function: "value" returns what it returns; "model" and
    "mnist" are probes of a function that builds a Keras model (see `autograder.core.probes`).
    """

    function: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "value"

    def describe(self) -> str:
        parts = [describe_value(a) for a in self.args]
        parts += [f"{k}={describe_value(v)}" for k, v in self.kwargs.items()]
        return f"{self.function}({', '.join(parts)})"


@dataclass(frozen=True)
class Outcome:
    """What one call gave back, as plain data.

    `type_name` is the type that came back (or "" when the call raised); `array` holds the
    value as a base ndarray when it is array-like; `value` holds it as plain Python data when it
    is a scalar, None or a tuple/list of scalars; `error` is "ExceptionType: message".
    """

    type_name: str = ""
    is_ndarray: bool = False  # an np.ndarray (or subclass) came back, not a list or a tensor
    array: np.ndarray | None = None
    value: Plain = None
    error: str | None = None
    error_types: tuple[str, ...] = ()  # the exception's class and bases, for `raises` checks
    modified: tuple[str, ...] = ()  # the inputs the call changed in place
    details: str = ""  # a short traceback tail or probe note, shown to the student
    data: Mapping[str, Any] | None = None  # JSON-able findings of a probe (see autograder.core.probes)
    refused: tuple[str, ...] = ()  # what the sandbox's audit hook refused during the call

    @property
    def raised(self) -> bool:
        return self.error is not None


def describe_value(value: Any, *, limit: int = 12) -> str:
    """A short, readable rendering of an input or output for failure messages."""
    if isinstance(value, np.ndarray):
        if value.size > limit * 4:
            return f"<{value.dtype} array of shape {value.shape}>"
        text = np.array2string(value, separator=", ", threshold=limit * 4, precision=6,
                               suppress_small=True, max_line_width=120).replace("\n", "")
        dtype = "" if value.dtype in (np.float64, np.int64) else f", dtype=np.{value.dtype}"
        return f"np.array({' '.join(text.split()).replace('[ ', '[')}{dtype})"
    if isinstance(value, (list, tuple)) and len(value) > limit * 4:
        return f"<{type(value).__name__} of length {len(value)}>"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    if module.startswith("tensorflow"):
        return "tf.Tensor" if "Tensor" in cls.__name__ else f"tensorflow {cls.__name__}"
    return cls.__name__ if module == "builtins" else f"{module}.{cls.__qualname__}"


_NOT_PLAIN: Any = object()  # what _plain returns for values that are not plain data


def _plain(value: Any) -> Any:
    """`value` as plain data if it is a scalar, None or a short sequence of those, else
    `_NOT_PLAIN`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (tuple, list)) and len(value) <= 64:
        items = [_plain(v) for v in value]
        if all(i is not _NOT_PLAIN for i in items):
            return tuple(items)
    return _NOT_PLAIN


def _as_array(value: Any) -> np.ndarray | None:
    """A base ndarray copy of an array-like result, or None when it is not one."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        if isinstance(value, np.ndarray):
            # np.array(..., subok=False) drops subclasses; copying detaches from student memory.
            array = np.array(value, subok=False, copy=True)
        elif hasattr(value, "numpy") and callable(value.numpy):  # a tf.Tensor / Variable
            array = np.array(value.numpy(), subok=False, copy=True)
        else:
            array = np.array(value, subok=False, copy=True)
    except Exception:
        return None
    if array.dtype.kind not in "biufc":
        return None
    return array


def outcome_of(result: Any, modified: tuple[str, ...] = ()) -> Outcome:
    """Turn a returned object into an Outcome (plain data only)."""
    plain = _plain(result)
    array = None if isinstance(result, (int, float, bool, type(None))) else _as_array(result)
    return Outcome(
        type_name=_type_name(result),
        is_ndarray=isinstance(result, np.ndarray),
        array=array,
        value=None if plain is _NOT_PLAIN else plain,
        modified=modified,
        details="" if plain is not _NOT_PLAIN or array is not None
        else describe_value(result)[:200],
    )


def error_outcome(error: BaseException) -> Outcome:
    tail = traceback.format_exception(type(error), error, error.__traceback__)[-3:]
    return Outcome(
        error=f"{type(error).__name__}: {error}"[:500],
        error_types=tuple(cls.__name__ for cls in type(error).__mro__),
        details="".join(tail)[-800:],
    )


def _same(a: Any, b: Any) -> bool:
    """Whether input `a` still equals its pristine copy `b` (arrays compared by value)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def invoke(function: Callable[..., Any], call: Call) -> Outcome:
    """Call `function` on fresh copies of the call's inputs and record what came back."""
    args = copy.deepcopy(call.args)
    kwargs = copy.deepcopy(dict(call.kwargs))
    try:
        result = function(*args, **kwargs)
    except (Exception, SystemExit) as error:  # a student's crash is a result, not our crash
        return error_outcome(error)
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    given = list(call.args) + list(call.kwargs.values())
    after = list(args) + list(kwargs.values())
    modified = tuple(n for n, a, b in zip(names, after, given, strict=False) if not _same(a, b))
    try:
        return outcome_of(result, modified)
    except Exception as error:  # a hostile object that breaks on inspection
        return error_outcome(error)
