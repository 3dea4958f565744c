"""Hidden checks: random cases drawn from the instructor's seed, never shown to students.

Each exercise function gets a few cases of shapes, strides, paddings and dtypes beyond the
public ones. Expected values come from the reference solutions for the NumPy exercises (held
to TensorFlow by the kit's sweep test) and from Keras layers for the CNN exercise. A hidden
check has no points of its own: it guards the public checks of its function, whose points are
withheld when a hidden case fails (a function that only gets the published cases right has
learned the answers, not the rule; in nbgrader, these hidden tests sit in that function's test
cells).
Feedback names a hidden check and its status, never its inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.calls import Call, Outcome
from autograder.checks import Check
from autograder.judge import ArrayExpect, ExactExpect, Verdict
from autograder.registry import exercise as lookup

CASES_PER_FUNCTION = 3
Draw = Callable[[np.random.Generator], Call]


def _image(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random inputs in one of the dtypes students meet: float64, float32, int64 or uint8."""
    kind = rng.integers(4)
    if kind == 3:
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if kind == 2:
        return rng.integers(-9, 10, size=shape).astype(np.int64)
    values = rng.normal(size=shape).round(3)
    return values.astype(np.float32) if kind == 1 else values


def _size(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _stride(rng: np.random.Generator) -> int | tuple[int, int]:
    return _size(rng, 1, 3) if rng.random() < 0.6 else (_size(rng, 1, 3), _size(rng, 1, 3))


def _mode(rng: np.random.Generator) -> str:
    return "same" if rng.random() < 0.5 else "valid"


def _kernel_2d(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w))).round(3)


def _conv(rng: np.random.Generator) -> Call:
    h, w, c, f = _size(rng, 3, 9), _size(rng, 3, 9), _size(rng, 1, 4), _size(rng, 1, 5)
    kernels = rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w), c, f)).round(3)
    activation = "relu" if rng.random() < 0.5 else None
    return Call("conv2d_layer", (_image(rng, (h, w, c)), kernels, rng.normal(size=f).round(3),
                                 _stride(rng), _mode(rng), activation))


def _pool(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        h, w = _size(rng, 2, 9), _size(rng, 2, 9)
        pool = _size(rng, 1, min(h, w, 4))
        strides = None if rng.random() < 0.4 else _stride(rng)
        return Call(name, (_image(rng, (h, w, _size(rng, 1, 4))), pool, strides, _mode(rng)))
    return draw


def _shape_call(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        batch = None if rng.random() < 0.5 else _size(rng, 1, 8)
        h, w = _size(rng, 5, 40), _size(rng, 5, 40)
        shape = (batch, h, w, _size(rng, 1, 16))
        window = _size(rng, 1, 5)
        if name == "conv_output_shape":
            return Call(name, (shape, _size(rng, 1, 64), window, _stride(rng), _mode(rng)))
        strides = None if rng.random() < 0.4 else _stride(rng)
        return Call(name, (shape, window, strides, _mode(rng)))
    return draw


def _weights(rng: np.random.Generator) -> list[np.ndarray]:
    shapes = ((3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (400, 10), (10,))
    return [(rng.normal(size=s) * 0.3).astype(np.float32) for s in shapes]


def _signal_and_kernel(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        n = _size(rng, 2, 20)
        return Call(name, (_image(rng, (n,)), rng.normal(size=_size(rng, 1, n)).round(3)))
    return draw


def _image_and_kernel(name: str, *, padding: bool = False, stride: bool = False) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        h, w = _size(rng, 2, 10), _size(rng, 2, 10)
        args: tuple[Any, ...] = (_image(rng, (h, w)), _kernel_2d(rng, h, w))
        if stride:
            args += (_stride(rng),)
        if padding:
            args += (_mode(rng),)
        return Call(name, args)
    return draw


def _volume(rng: np.random.Generator) -> Call:
    h, w, c = _size(rng, 2, 8), _size(rng, 2, 8), _size(rng, 1, 4)
    kernel = rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w), c)).round(3)
    return Call("correlate3d", (_image(rng, (h, w, c)), kernel))


def _zero_pad(rng: np.random.Generator) -> Call:
    shape: tuple[int, ...] = (_size(rng, 1, 6), _size(rng, 1, 6))
    if rng.random() < 0.5:
        shape += (_size(rng, 1, 3),)
    pads = ((_size(rng, 0, 3), _size(rng, 0, 3)), (_size(rng, 0, 3), _size(rng, 0, 3)))
    return Call("zero_pad", (_image(rng, shape), pads))


def _output_size(rng: np.random.Generator) -> Call:
    n = _size(rng, 1, 40)
    return Call("output_size", (n, _size(rng, 1, n), _size(rng, 1, 4), _mode(rng)))


def _maps(name: str, low: int = 1) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        shape = (_size(rng, low, 7), _size(rng, low, 7), _size(rng, 1, 6))
        return Call(name, (_image(rng, shape),))
    return draw


DRAWS: dict[str, Draw] = {
    "correlate1d": _signal_and_kernel("correlate1d"),
    "convolve1d": _signal_and_kernel("convolve1d"),
    "correlate2d": _image_and_kernel("correlate2d"),
    "correlate3d": _volume,
    "same_padding": lambda rng: Call("same_padding", (
        _size(rng, 1, 30), _size(rng, 1, 7), _size(rng, 1, 4))),
    "zero_pad": _zero_pad,
    "correlate2d_padded": _image_and_kernel("correlate2d_padded", padding=True),
    "output_size": _output_size,
    "correlate2d_strided": _image_and_kernel("correlate2d_strided", padding=True, stride=True),
    "max_pool2d": _pool("max_pool2d"),
    "avg_pool2d": _pool("avg_pool2d"),
    "global_avg_pool2d": _maps("global_avg_pool2d"),
    "flatten": _maps("flatten"),
    "relu": lambda rng: Call("relu", (_image(rng, (_size(rng, 1, 5), _size(rng, 1, 5))),)),
    "conv2d_layer": _conv,
    "conv_output_shape": _shape_call("conv_output_shape"),
    "pool_output_shape": _shape_call("pool_output_shape"),
    "cnn_forward": lambda rng: Call("cnn_forward", (
        rng.uniform(size=(_size(rng, 1, 4), 28, 28, 1)).astype(np.float32), _weights(rng))),
    "preprocess": lambda rng: Call("preprocess", (
        rng.integers(0, 256, size=(_size(rng, 1, 4), 28, 28)).astype(np.uint8),)),
}


@dataclass(frozen=True)
class HiddenExpect:
    """Judges like the public expectation, but reports only the kind of failure: no inputs, no
    expected values, and nothing the student's code controls (no exception text or class name,
    no shapes or values), so a hidden case cannot be read back through its feedback."""

    inner: ArrayExpect | ExactExpect

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        verdict = self.inner.judge(call, outcome)
        if verdict.passed:
            return verdict
        return Verdict(verdict.status, f"A hidden random case of {call.function}() failed: "
                       f"{_kind(verdict, outcome)}.")


def _kind(verdict: Verdict, outcome: Outcome) -> str:
    """What went wrong, in words of the kit's own: decided on the outcome's structure and on the
    judge's fixed phrases, never quoting what came back."""
    if outcome.raised:
        if "Timeout" in outcome.error_types:
            return "it took too long"
        if outcome.error_types[:1] == ("NotImplementedError",):
            return "it is not implemented yet"
        return "it raised an exception"
    message = verdict.message
    for words, kind in ((" in place", "it changed its input in place"),
                        ("It returned an array of dtype", "it returned the wrong dtype"),
                        ("It returned an array of shape", "it returned the wrong shape"),
                        ("the check expected a numpy.ndarray", "it returned the wrong type")):
        if words in message:
            return kind
    if outcome.array is None and outcome.value is None:
        return "it returned the wrong type"
    return "it returned wrong values"


def _reference(exercise: str, solutions: Path) -> Callable[[Call], Any]:
    """Expected values from the reference module (kept off TensorFlow: the grader stays light;
    the kit's tests hold these values to TensorFlow/Keras)."""
    from autograder.student import load_module

    module = load_module(solutions / lookup(exercise).module)
    return lambda call: getattr(module, call.function)(*call.args, **call.kwargs)


def hidden_checks(exercise: str, *, seed: int, solutions: Path) -> list[Check]:
    """The hidden checks of one exercise for the instructor's `seed` (the same seed, the same
    cases), expected values from `solutions` (the reference modules' folder) or Keras."""
    info = lookup(exercise)
    rng = np.random.default_rng([seed, sum(map(ord, exercise))])
    reference = _reference(exercise, solutions)
    checks = []
    for function in info.functions:
        if function not in DRAWS:
            continue  # build_cnn: its MNIST check is already the instructor's test
        for number in range(1, CASES_PER_FUNCTION + 1):
            call = DRAWS[function](rng)
            expected = reference(call)
            inner = (ArrayExpect(np.asarray(expected)) if isinstance(expected, np.ndarray)
                     else ExactExpect(expected))
            checks.append(Check(f"{function}-hidden-{number}", exercise, 0,
                                f"hidden random case {number} of {function}", call,
                                HiddenExpect(inner), "hidden", gates=function))
    return checks
