"""TensorFlow/Keras as the oracle: each exercise function computed by the library itself.

The stored fixtures take their expected values from here, never from the NumPy reference
solutions, so the kit's own solutions are held to TensorFlow too (the hidden checks take theirs
from the references, which the kit's tests hold to this oracle). Each exercise writes its
oracle in its course file (`tf_<function>` in `autograder/course/<exercise>.py`); this is the
engine that finds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder import course
from autograder.core.calls import Call


def function(name: str) -> Callable[..., Any]:
    """The oracle of one exercise function."""
    return course.oracle(name)


def compute(call: Call) -> Any:
    """The expected value of a call, computed by TensorFlow/Keras."""
    return function(call.function)(*call.args, **call.kwargs)
