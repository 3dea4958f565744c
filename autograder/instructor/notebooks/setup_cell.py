"""The notebooks' setup cell: small assertion helpers in plain NumPy that the test cells call.

The notebook never imports the kit, which students may not have; the helpers compare as the
kit's checks do (copies of the inputs, the same tolerances, the same messages) and stay silent
when the kit's own grader imports the notebook's code and runs its checks itself.
"""

from __future__ import annotations

from autograder.core.calls import _plain
from autograder.instructor.notebooks.kit_source import plain_source

_HELPERS = '''\
# Given: run this cell first and leave it as it is. The test cells below call your functions
# through these helpers, on copies of the inputs, and compare the results with the kit's
# expected values and tolerances.
import base64
import contextlib
import copy
import io
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: no C++ log lines

import numpy as np

# The tests run where this notebook runs as a notebook (Jupyter, nbgrader). When the kit's own
# grader reads the notebook's code, it runs the same checks itself and these helpers stay quiet.
_RUN_TESTS = __name__ == "__main__"


def _array(data, dtype, shape):
    """An array written compactly: its little-endian bytes in base64."""
    raw = base64.b64decode(data)
    little = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    return little.astype(dtype).reshape(shape)


def _show(value):
    if isinstance(value, np.ndarray) and value.size > 16:
        return f"<{value.dtype} array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _called(function, args, kwargs):
    parts = [_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()]
    return f"{function.__name__}({', '.join(parts)})"


def _same(a, b):
    """Whether input `a` still equals its pristine copy `b`."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _call(function, args, kwargs):
    """The result of function(*args, **kwargs) on copies of the inputs, and whether the
    function changed them."""
    pristine = copy.deepcopy((list(args), kwargs))
    args, kwargs = copy.deepcopy((list(args), kwargs))
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        result = function(*args, **kwargs)
    return result, not _same([args, list(kwargs.values())],
                             [pristine[0], list(pristine[1].values())])


def _expect_array(function, args, expected, kwargs=None, dtype=None):
    """A float ndarray of the expected shape and values (and dtype, when one is given)."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    result, changed = _call(function, args, kwargs)
    assert isinstance(result, np.ndarray), \\
        f"{called} returned {type(result).__name__}, but a numpy.ndarray was expected"
    assert result.dtype.kind == "f" and result.dtype.itemsize >= 4, \\
        f"{called} returned an array of dtype {result.dtype}: return floats (float64)"
    assert dtype is None or result.dtype == np.dtype(dtype), \\
        f"{called} returned an array of dtype {result.dtype}, but {dtype} was expected"
    assert result.shape == expected.shape, \\
        f"{called} returned shape {result.shape}, but {expected.shape} was expected"
    assert np.all(np.isfinite(result)) or not np.all(np.isfinite(expected)), \\
        f"{called} returned NaN or infinite values"
    rtol, atol = (1e-7, 1e-9) if result.dtype.itemsize >= 8 else (1e-5, 1e-5)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    assert np.allclose(result, expected, rtol=rtol, atol=atol * scale), \\
        f"{called} returned {_show(result)}, but {_show(expected)} was expected"
    assert not changed, f"{called} changed its input in place: work on a copy"


_NOT_PLAIN = object()
'''

_ASSERTIONS = '''\
def _expect_exact(function, args, expected, kwargs=None):
    """An int, or a tuple of ints (None where a size is unknown), equal to `expected`."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    result, changed = _call(function, args, kwargs)
    value = _plain(result)
    value = None if value is _NOT_PLAIN else value
    if isinstance(expected, tuple):
        assert type(result) is tuple, \\
            f"{called} returned {type(result).__name__} {_show(result)}, " \\
            f"but the tuple {expected!r} was expected"
        assert not isinstance(value, tuple) or all(
            (e is None and v is None) or (type(v) is int and e is not None)
            for v, e in zip(value, expected)), \\
            f"{called} returned {value!r}: every entry must be an int (or None for an unknown size)"
    elif isinstance(expected, int):
        assert type(value) is int, \\
            f"{called} returned {type(result).__name__} {_show(result)}, " \\
            f"but the int {expected!r} was expected"
    assert value == expected, f"{called} returned {_show(value)}, but {expected!r} was expected"
    assert not changed, f"{called} changed its input in place: work on a copy"


def _expect_raises(function, args, kwargs=None):
    """Bad arguments: the function raises ValueError."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    try:
        result, _ = _call(function, args, kwargs)
    except NotImplementedError:
        raise
    except ValueError:
        return
    raise AssertionError(f"{called} returned {_show(result)}, but a ValueError was expected")


# The hidden cases: the first test cell of a function runs them all (one function, one run),
# counting the failed cases by kind; then each test cell of the function asserts the kind(s)
# that gate its points, as the kit's grader does: a failed case of the rule costs every test
# cell of the function, a failed case of bad arguments (no ValueError) only the cells of the
# function's bad-argument checks (or its cheapest cell).
_hidden_failed = {}  # (function name, "rule" | "arguments") -> how many hidden cases failed


def _run_hidden(name, function, cases):
    """Run the hidden cases of `function`, each a (kind, helper, args, kwargs, options) tuple,
    and count the failed ones in `_hidden_failed`. It never stops at a failure, never raises
    and prints nothing: what a hidden case is and what it expects stays unseen."""
    if not _RUN_TESTS:
        return
    failed = {"rule": 0, "arguments": 0}
    for kind, helper, args, kwargs, options in cases:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                helper(function, args, kwargs=kwargs, **options)
        except (Exception, SystemExit):
            failed[kind] += 1
    for kind, count in failed.items():
        _hidden_failed[name, kind] = count


def _expect_hidden(name, kinds):
    """The hidden cases of the kinds that gate this test cell all passed."""
    if not _RUN_TESTS:
        return
    for kind in kinds:
        failed = _hidden_failed.get((name, kind))
        assert failed is not None, \
            f"The hidden cases of {name}() did not run: run all cells in order, from the top."
        if kind == "rule":
            assert not failed, \
                f"This published case passes, but {failed} hidden random case(s) of {name}() " \
                "failed, so the points of its public checks are withheld: make it work for " \
                "any valid input."
        else:
            assert not failed, \
                f"This published case passes, but {name}() did not raise ValueError on " \
                f"{failed} hidden case(s) of bad arguments, so this check's points are " \
                "withheld: check its arguments as the contract asks."
'''

# `_plain` is the kit's own (autograder.core.calls), copied: `_expect_exact` must read a result as
# the kit's exact checks do.
SETUP_CODE = "\n\n\n".join([_HELPERS.rstrip("\n"), plain_source(_plain), _ASSERTIONS])
