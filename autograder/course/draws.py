"""The toolkit the exercises' hidden-case plans are written with (docs/grading.md, hidden checks).

A plan enumerates the conditions that tell a right rule from a near miss (both paddings, sizes
divisible and not by the stride, odd and even windows, strides 1, 2, 3 and unequal pairs,
non-square inputs, every input kind of the contract), draws sizes and values from a generator,
and lists the bad arguments the contract says must raise ValueError. This module holds what
several exercises share; each `autograder/course/<exercise>.py` writes its own plans with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.core.calls import Call

Stride = int | tuple[int, int]
Draw = Callable[[np.random.Generator], Call]
Cover = Callable[[np.random.Generator], list[Call]]
Sizes = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # input, window, strides

# The input kinds of the contract: arrays of any real dtype, uint8 pixels included, and lists.
KINDS = ("float64", "float32", "int64", "uint8", "list")
MODES = ("valid", "same")
# Strides that tell the rules apart: 1, 2 and 3, and unequal (height, width) pairs both ways.
STRIDES: tuple[Stride, ...] = (1, 2, 3, (1, 2), (2, 3), (3, 1))
POOL_STRIDES: tuple[Stride | None, ...] = (None, *STRIDES)  # None: the pool size (Keras)
ODD_SIZES, EVEN_SIZES = (1, 3, 5), (2, 4)
# Window parity on (height, width): mixed patterns give non-square windows with both parities.
MIXED = ((True, False), (False, True))
PARITIES = (*MIXED, (True, True), (False, False))
# Not padding modes of the contract (nor of Keras): one sorting before "same", one between,
# one after "valid", so that no comparison but equality lets them all through.
BAD_MODES = ("full", "tight", "zero")


@dataclass(frozen=True)
class Plan:
    """One function's hidden cases: the cases that cover its rule, the bad arguments that must
    raise ValueError, and how many random cases to draw on top (cheap functions, microseconds
    a call, get many; the costly ones few)."""

    cover: Cover
    bad: Cover
    draw: Draw
    random: int


def bad_modes(name: str, before: tuple[Any, ...], after: tuple[Any, ...] = ()) -> list[Call]:
    """The call with each unknown padding mode, between the arguments `before` and `after`."""
    return [Call(name, (*before, mode, *after)) for mode in BAD_MODES]


def none(rng: np.random.Generator) -> list[Call]:
    """No cases (a function without bad arguments)."""
    return []


# --- values and sizes -----------------------------------------------------------------------

def size(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def data(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> Any:
    """Inputs of one kind: floats with 3 decimals, small ints of both signs, or pixels."""
    if kind == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if kind in ("int64", "list"):
        ints = rng.integers(-9, 10, size=shape)
        return ints.tolist() if kind == "list" else ints.astype(np.int64)
    values = rng.normal(size=shape).round(3)
    return values.astype(np.float32) if kind == "float32" else values


def image(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """Inputs of a random kind."""
    return data(rng, shape, KINDS[int(rng.integers(len(KINDS)))])


def window(rng: np.random.Generator, odd: bool) -> int:
    return int(rng.choice(ODD_SIZES if odd else EVEN_SIZES))


def length(rng: np.random.Generator, k: int, s: int, divisible: bool, mode: str) -> int:
    """An input length for a window of k at stride s: a multiple of s or not (for s > 1), and
    at least k where 'valid' needs it."""
    n = s * size(rng, 1, 3) + (0 if divisible or s == 1 else size(rng, 1, s - 1))
    while mode == "valid" and n < k:
        n += s  # keeps n's remainder mod s
    return n


def pair(value: Stride) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def as_given(window: tuple[int, int]) -> Stride:
    """A square window as an int, as students usually write it; otherwise the pair."""
    return window[0] if window[0] == window[1] else window


def random_stride(rng: np.random.Generator) -> Stride:
    return size(rng, 1, 3) if rng.random() < 0.6 else (size(rng, 1, 3), size(rng, 1, 3))


def mode(rng: np.random.Generator) -> str:
    return MODES[int(rng.integers(2))]


@dataclass(frozen=True)
class Geometry:
    """The discriminating conditions of one windowed 2D case, per (height, width) axis."""

    mode: str
    stride: Stride | None  # None: the pooling default, the pool size
    odd: tuple[bool, bool]  # the window's size is odd
    divisible: tuple[bool, bool]  # the input's length is a multiple of the stride

    def draw(self, rng: np.random.Generator) -> Sizes:
        """Sizes meeting the conditions; the input is never square."""
        shape = (window(rng, self.odd[0]), window(rng, self.odd[1]))
        steps = shape if self.stride is None else pair(self.stride)
        h, w = (length(rng, k, s, d, self.mode)
                for k, s, d in zip(shape, steps, self.divisible, strict=True))
        if h == w:
            w += steps[1]  # keeps the remainder, and the window still fits
        return (h, w), shape, steps


def grid(strides: tuple[Stride | None, ...]) -> list[Geometry]:
    """Every stride with both modes, both mixed parities and the divisible axis on either side."""
    return [Geometry(mode, stride, odd, (d, not d)) for stride in strides for mode in MODES
            for odd in MIXED for d in (True, False)]


def rotation(strides: tuple[Stride | None, ...]) -> list[Geometry]:
    """Every stride with both modes once, parity and divisibility alternating across them: the
    grid's conditions in fewer cases, for the costly functions."""
    pairs = [(stride, mode) for stride in strides for mode in MODES]
    return [Geometry(mode, stride, MIXED[(j + j // 2) % 2],
                     ((j + j // 4) % 2 == 0, (j + j // 4) % 2 == 1))
            for j, (stride, mode) in enumerate(pairs)]


# --- 2D correlations (cross-correlation, padding, stride) -----------------------------------

def image_and_kernel(name: str, *, padding: bool = False, stride: bool = False) -> Draw:
    """A random image and a kernel that fits it, with a random stride and mode if asked."""
    def draw(rng: np.random.Generator) -> Call:
        h, w = size(rng, 2, 10), size(rng, 2, 10)
        kernel = rng.normal(size=(size(rng, 1, h), size(rng, 1, w))).round(3)
        args: tuple[Any, ...] = (image(rng, (h, w)), kernel)
        if stride:
            args += (random_stride(rng),)
        if padding:
            args += (mode(rng),)
        return Call(name, args)
    return draw


def bad_2d(name: str) -> Cover:
    """A kernel taller or wider than the image, inputs of the wrong rank, an empty image."""
    def bad(rng: np.random.Generator) -> list[Call]:
        picture = rng.normal(size=(4, 5)).round(3)
        return [Call(name, args) for args in (
            (picture, np.ones((5, 2))), (picture, np.ones((2, 6))), (picture[0], np.ones((1, 1))),
            (picture[..., None], np.ones((2, 2))), (picture, np.ones(2)),
            (np.ones((0, 3)), np.ones((1, 1))))]
    return bad


# --- output lengths (padding, stride) -------------------------------------------------------

def axis_cases(rng: np.random.Generator, strides: tuple[int, ...],
               modes: tuple[str, ...]) -> list[tuple[int, int, int, str]]:
    """(n, k, s, mode) for every stride, odd and even k, n divisible by s and not (s > 1)."""
    cases = []
    for padding in modes:
        for s in strides:
            for odd in (True, False):
                for divisible in (True, False) if s > 1 else (True,):
                    k = window(rng, odd)
                    cases.append((length(rng, k, s, divisible, padding), k, s, padding))
    return cases


def short_axes(rng: np.random.Generator, count: int) -> list[tuple[int, int, int]]:
    """(n, k, s) with a window longer than the input: 'same' pads it, 'valid' cannot."""
    cases = []
    for _ in range(count):
        k = size(rng, 2, 5)
        cases.append((size(rng, 1, k - 1), k, size(rng, 1, 4)))
    return cases
