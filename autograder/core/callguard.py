"""The exercise's forbidden routines, caught while a graded function runs: policy at run time.

The static scan (`autograder.core.policy`) reads names, so it misses routes that no name shows: a
computed attribute (`getattr(np, "corr" + "elate")`), a library function that computes the
same thing under another name (`np.polymul` is a convolution), an operator
(`Polynomial(x) * Polynomial(k)`), or the compiled routine itself. While a graded function
runs, a profile hook (`sys.setprofile`) sees every Python function entered and every builtin
called, however it was reached; entering a forbidden routine is recorded, and the call's
outcome carries it to the grader, which makes it a `policy` result.

A second layer in the child, like the audit hook (which refuses other code's attempts to
change the profile hook while grading): the static scan and the verdict outside stand beside it.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import CodeType, FrameType
from typing import Any

# The compiled routines behind public ones: calling them directly is the same use.
_CORES: dict[str, tuple[str, ...]] = {
    "numpy.correlate": ("numpy._core.multiarray.correlate", "numpy._core.multiarray.correlate2"),
    "numpy.convolve": ("numpy._core.multiarray.correlate", "numpy._core.multiarray.correlate2"),
}
PREFIX = "calling "  # how this module's records start, among the call's refusals


def _lookup(dotted: str) -> Any:
    """The object a dotted name names, or None where this NumPy has no such thing."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part, None)
        return found
    return None


def _objects(name: str) -> Iterator[Any]:
    """The callables `name` forbids: `package.module.*` is every public callable there."""
    if name.endswith(".*"):
        module = _lookup(name[:-2])
        for attribute, value in vars(module or object()).items():
            if not attribute.startswith("_") and callable(value):
                yield value
        return
    for dotted in (name, *_CORES.get(name, ())):
        found = _lookup(dotted)
        if found is not None:
            yield found


def targets(names: Sequence[str]) -> tuple[dict[CodeType, str], dict[int, tuple[Any, str]]]:
    """(Python code objects, builtins by id) of the routines `names` forbid, each mapped to
    the forbidden name it stands for."""
    codes: dict[CodeType, str] = {}
    builtins: dict[int, tuple[Any, str]] = {}
    for name in names:
        for found in _objects(name):
            function = getattr(found, "_implementation", found)  # NumPy's dispatchers
            code = getattr(function, "__code__", None)
            if isinstance(code, CodeType):
                codes.setdefault(code, name)
            else:  # a compiled core shared by two names speaks for the first
                builtins.setdefault(id(function), (function, name))
    return codes, builtins


@contextmanager
def guarding(function: str, names: Sequence[str]) -> Iterator[list[str]]:
    """While the body runs, record each forbidden routine `function` enters (in this thread
    and in threads it starts), as "calling NAME, which FUNCTION() may not use"."""
    found: list[str] = []
    if not names:
        yield found
        return
    codes, builtins = targets(names)

    def note(name: str) -> None:
        record = f"{PREFIX}{name}, which {function}() may not use"
        if record not in found:
            found.append(record)

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            name = codes.get(frame.f_code)
            if name is not None:
                note(name)
        elif event == "c_call":
            hit = builtins.get(id(arg))
            if hit is not None and hit[0] is arg:
                note(hit[1])

    _set(profile)
    try:
        yield found
    finally:
        _set(None)


def _set(profile: Callable[..., Any] | None) -> None:
    sys.setprofile(profile)
    threading.setprofile(profile)


def setter_codes() -> frozenset[CodeType]:
    """The code allowed to change the profile hook while grading (the audit hook's rule)."""
    return frozenset({_set.__code__})
