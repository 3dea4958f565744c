"""Hidden checks: cases drawn from the instructor's seed, never shown to students.

Each exercise function gets cases that cover its rule, not just sample it: the conditions that
tell a right rule from a near miss are enumerated deterministically (both paddings, sizes
divisible and not divisible by the stride, odd and even windows, strides 1, 2, 3 and unequal
(height, width) pairs, non-square inputs, C != F, every input kind of the contract), with the
sizes and values drawn from the seed; random cases come on top, and bad arguments that the
contract says must raise ValueError come last. Cheap functions get many cases, the costly ones
few. Expected values come from the reference solutions (held to TensorFlow/Keras by the kit's
tests). A hidden check has no points of its own: it guards the public checks of its function.
A failed case of the rule withholds the points of all of them (a function that only gets the
published cases right has learned the answers, not the rule); a failed case of bad arguments
withholds only the points of the function's checks of bad arguments, or of its cheapest check
where it has none (a missing ValueError costs a point, not the function). In nbgrader, these
hidden tests sit in the same test cells.
Feedback names a hidden check and the kind of its failure, never its inputs.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.core.calls import Call, Outcome
from autograder.core.checks import Check
from autograder.core.judge import ArrayExpect, ExactExpect, RaisesExpect, Verdict
from autograder.registry import exercise as lookup

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


def _bad_modes(name: str, before: tuple[Any, ...], after: tuple[Any, ...] = ()) -> list[Call]:
    """The call with each unknown padding mode, between the arguments `before` and `after`."""
    return [Call(name, (*before, mode, *after)) for mode in BAD_MODES]


# --- values and sizes -----------------------------------------------------------------------

def _size(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _data(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> Any:
    """Inputs of one kind: floats with 3 decimals, small ints of both signs, or pixels."""
    if kind == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if kind in ("int64", "list"):
        ints = rng.integers(-9, 10, size=shape)
        return ints.tolist() if kind == "list" else ints.astype(np.int64)
    values = rng.normal(size=shape).round(3)
    return values.astype(np.float32) if kind == "float32" else values


def _image(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """Inputs of a random kind."""
    return _data(rng, shape, KINDS[int(rng.integers(len(KINDS)))])


def _window(rng: np.random.Generator, odd: bool) -> int:
    return int(rng.choice(ODD_SIZES if odd else EVEN_SIZES))


def _length(rng: np.random.Generator, k: int, s: int, divisible: bool, mode: str) -> int:
    """An input length for a window of k at stride s: a multiple of s or not (for s > 1), and
    at least k where 'valid' needs it."""
    n = s * _size(rng, 1, 3) + (0 if divisible or s == 1 else _size(rng, 1, s - 1))
    while mode == "valid" and n < k:
        n += s  # keeps n's remainder mod s
    return n


def _pair(value: Stride) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _as_given(window: tuple[int, int]) -> Stride:
    """A square window as an int, as students usually write it; otherwise the pair."""
    return window[0] if window[0] == window[1] else window


@dataclass(frozen=True)
class Geometry:
    """The discriminating conditions of one windowed 2D case, per (height, width) axis."""

    mode: str
    stride: Stride | None  # None: the pooling default, the pool size
    odd: tuple[bool, bool]  # the window's size is odd
    divisible: tuple[bool, bool]  # the input's length is a multiple of the stride

    def draw(self, rng: np.random.Generator) -> Sizes:
        """Sizes meeting the conditions; the input is never square."""
        window = (_window(rng, self.odd[0]), _window(rng, self.odd[1]))
        steps = window if self.stride is None else _pair(self.stride)
        h, w = (_length(rng, k, s, d, self.mode)
                for k, s, d in zip(window, steps, self.divisible, strict=True))
        if h == w:
            w += steps[1]  # keeps the remainder, and the window still fits
        return (h, w), window, steps


def _grid(strides: tuple[Stride | None, ...]) -> list[Geometry]:
    """Every stride with both modes, both mixed parities and the divisible axis on either side."""
    return [Geometry(mode, stride, odd, (d, not d)) for stride in strides for mode in MODES
            for odd in MIXED for d in (True, False)]


def _rotation(strides: tuple[Stride | None, ...]) -> list[Geometry]:
    """Every stride with both modes once, parity and divisibility alternating across them: the
    grid's conditions in fewer cases, for the costly functions."""
    pairs = [(stride, mode) for stride in strides for mode in MODES]
    return [Geometry(mode, stride, MIXED[(j + j // 2) % 2],
                     ((j + j // 4) % 2 == 0, (j + j // 4) % 2 == 1))
            for j, (stride, mode) in enumerate(pairs)]


# --- cross-correlation ----------------------------------------------------------------------

def _signal_and_kernel(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        n = _size(rng, 2, 20)
        return Call(name, (_image(rng, (n,)), rng.normal(size=_size(rng, 1, n)).round(3)))
    return draw


def _cover_1d(name: str) -> Cover:
    """Each input kind with kernels of length 1, odd, even and as long as the input."""
    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, kind in enumerate(KINDS):
            for j, k in enumerate((1, 3, 2, 0)):  # 0: as long as the input
                n = _size(rng, 4, 12)
                kernel = _data(rng, (k or n,), KINDS[(i + j + 1) % len(KINDS)])
                calls.append(Call(name, (_data(rng, (n,), kind), kernel)))
        return calls
    return cover


def _bad_1d(name: str) -> Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        x = rng.normal(size=5).round(3)
        cases: tuple[tuple[Any, Any], ...] = (
            (x, np.ones(6)), (x.reshape(1, 5), [1.0]), (x, np.ones((1, 2))), ([], [1.0]), (x, []))
        return [Call(name, args) for args in cases]
    return bad


def _image_and_kernel(name: str, *, padding: bool = False, stride: bool = False) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        h, w = _size(rng, 2, 10), _size(rng, 2, 10)
        kernel = rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w))).round(3)
        args: tuple[Any, ...] = (_image(rng, (h, w)), kernel)
        if stride:
            args += (_random_stride(rng),)
        if padding:
            args += (_mode(rng),)
        return Call(name, args)
    return draw


def _random_stride(rng: np.random.Generator) -> Stride:
    return _size(rng, 1, 3) if rng.random() < 0.6 else (_size(rng, 1, 3), _size(rng, 1, 3))


def _mode(rng: np.random.Generator) -> str:
    return MODES[int(rng.integers(2))]


def _maps_and_kernels(rng: np.random.Generator, depth: int | None) -> list[tuple[Any, Any]]:
    """(input, kernel) pairs: each input kind with each window parity pattern, the kernel of
    another kind, a kernel as large as the input and a 1x1 kernel. `depth`: 3D inputs and
    kernels with that many channels plus one per case (None: 2D)."""
    pairs = []
    shapes = [tuple(_window(rng, odd) for odd in parity) for parity in PARITIES]
    for i, kind in enumerate(KINDS):
        for j, (kh, kw) in enumerate([*shapes, (1, 1), (0, 0)]):  # (0, 0): the input's size
            h, w = kh + _size(rng, 0, 4), kw + _size(rng, 0, 4)
            if (kh, kw) == (0, 0):
                h, w = _size(rng, 2, 6), _size(rng, 2, 6)
                kh, kw = h, w + (h == w)
            w += h == w  # never square
            channels = () if depth is None else (depth + j % 4,)
            kernel_kind = KINDS[(i + j + 1) % len(KINDS)]
            pairs.append((_data(rng, (h, w, *channels), kind),
                          _data(rng, (kh, kw, *channels), kernel_kind)))
    return pairs


def _volume(rng: np.random.Generator) -> Call:
    h, w, c = _size(rng, 2, 8), _size(rng, 2, 8), _size(rng, 1, 4)
    kernel = rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w), c)).round(3)
    return Call("correlate3d", (_image(rng, (h, w, c)), kernel))


def _bad_2d(name: str) -> Cover:
    """A kernel taller or wider than the image, inputs of the wrong rank, an empty image."""
    def bad(rng: np.random.Generator) -> list[Call]:
        image = rng.normal(size=(4, 5)).round(3)
        return [Call(name, args) for args in (
            (image, np.ones((5, 2))), (image, np.ones((2, 6))), (image[0], np.ones((1, 1))),
            (image[..., None], np.ones((2, 2))), (image, np.ones(2)), (np.ones((0, 3)), np.ones((1, 1))))]
    return bad


def _bad_3d(rng: np.random.Generator) -> list[Call]:
    """Depth mismatches both ways, wrong ranks, a kernel larger than the volume, empty."""
    volume = rng.normal(size=(4, 5, 2)).round(3)
    return [Call("correlate3d", args) for args in (
        (volume, np.ones((2, 2, 1))), (volume, np.ones((2, 2, 3))), (volume[..., 0], np.ones((2, 2))),
        (volume[..., None], np.ones((2, 2, 2))), (volume, np.ones((5, 2, 2))),
        (volume, np.ones((2, 6, 2))), (np.ones((0, 3, 2)), np.ones((1, 1, 2))))]


# --- padding and stride ---------------------------------------------------------------------

def _axis_cases(rng: np.random.Generator, strides: tuple[int, ...],
                modes: tuple[str, ...]) -> list[tuple[int, int, int, str]]:
    """(n, k, s, mode) for every stride, odd and even k, n divisible by s and not (s > 1)."""
    cases = []
    for mode in modes:
        for s in strides:
            for odd in (True, False):
                for divisible in (True, False) if s > 1 else (True,):
                    k = _window(rng, odd)
                    cases.append((_length(rng, k, s, divisible, mode), k, s, mode))
    return cases


def _short_axes(rng: np.random.Generator, count: int) -> list[tuple[int, int, int]]:
    """(n, k, s) with a window longer than the input: 'same' pads it, 'valid' cannot."""
    cases = []
    for _ in range(count):
        k = _size(rng, 2, 5)
        cases.append((_size(rng, 1, k - 1), k, _size(rng, 1, 4)))
    return cases


def _cover_same_padding(rng: np.random.Generator) -> list[Call]:
    axes = [(n, k, s) for n, k, s, _ in _axis_cases(rng, (1, 2, 3, 4), ("valid",))]
    axes += [*_short_axes(rng, 4), (1, 1, 1), (_size(rng, 2, 9), 1, _size(rng, 2, 4))]
    calls = [Call("same_padding", axis) for axis in axes]
    return [*calls, Call("same_padding", (_size(rng, 2, 9), _size(rng, 2, 5)))]  # stride default


def _bad_same_padding(rng: np.random.Generator) -> list[Call]:
    return [Call("same_padding", args) for args in ((0, 3), (5, 0), (5, 3, 0), (5, 3, -1), (-4, 2))]


def _output_size(rng: np.random.Generator) -> Call:
    n = _size(rng, 1, 40)
    return Call("output_size", (n, _size(rng, 1, n), _size(rng, 1, 4), _mode(rng)))


def _cover_output_size(rng: np.random.Generator) -> list[Call]:
    calls = [Call("output_size", case) for case in _axis_cases(rng, (1, 2, 3, 4), MODES)]
    calls += [Call("output_size", (n, k, s, "same")) for n, k, s in _short_axes(rng, 3)]
    n = _size(rng, 5, 12)
    calls += [Call("output_size", (n, n, _size(rng, 1, 3), "valid")),
              Call("output_size", (n, _size(rng, 1, 4))),  # the defaults: stride 1, 'valid'
              Call("output_size", (n, 3, 2)),
              Call("output_size", (n, 2), {"stride": 3, "padding": "same"})]
    return calls


def _bad_output_size(rng: np.random.Generator) -> list[Call]:
    return [Call("output_size", args) for args in (
        (8, 3, 0), (8, 3, -2), (8, 0, 1), (0, 1, 1), (4, 5, 1, "valid"), (4, 5))] + _bad_modes(
        "output_size", (8, 3, 1))


def _zero_pad(rng: np.random.Generator) -> Call:
    shape: tuple[int, ...] = (_size(rng, 1, 6), _size(rng, 1, 6))
    if rng.random() < 0.5:
        shape += (_size(rng, 1, 3),)
    pads = ((_size(rng, 0, 3), _size(rng, 0, 3)), (_size(rng, 0, 3), _size(rng, 0, 3)))
    return Call("zero_pad", (_image(rng, shape), pads))


def _cover_zero_pad(rng: np.random.Generator) -> list[Call]:
    """Images and volumes of each kind with four different pads; no pads; one side at a time."""
    calls = []
    for i, kind in enumerate(KINDS * 2):
        shape = (_size(rng, 1, 5), _size(rng, 1, 5), *((_size(rng, 2, 3),) if i % 2 else ()))
        pads = tuple(int(p) for p in rng.permutation(4)[:4])  # four different amounts
        calls.append(Call("zero_pad", (_data(rng, shape, kind), (pads[:2], pads[2:]))))
    image = rng.normal(size=(3, 4)).round(3)
    sides = [((0, 0), (0, 0)), ((2, 0), (0, 0)), ((0, 2), (0, 0)), ((0, 0), (2, 0)),
             ((0, 0), (0, 2))]
    return calls + [Call("zero_pad", (image, pads)) for pads in sides]


def _bad_zero_pad(rng: np.random.Generator) -> list[Call]:
    image = rng.normal(size=(3, 4)).round(3)
    negative = [((-1, 0), (0, 0)), ((0, -1), (0, 0)), ((0, 0), (-1, 0)), ((0, 0), (0, -1))]
    return [Call("zero_pad", (image, pads)) for pads in negative] + [
        Call("zero_pad", (image[0], ((1, 1), (1, 1)))),
        Call("zero_pad", (image[None, ..., None], ((1, 1), (1, 1)))),
        Call("zero_pad", (np.ones((0, 3)), ((1, 1), (1, 1))))]


def _cover_padded(rng: np.random.Generator) -> list[Call]:
    """Both modes with each kernel parity pattern and input kind; 'same' with a kernel taller
    or wider than the image; the default mode."""
    calls = []
    for i, (mode, parity) in enumerate((m, p) for m in MODES for p in PARITIES):
        (h, w), (kh, kw), _ = Geometry(mode, 1, parity, (True, True)).draw(rng)
        calls.append(Call("correlate2d_padded", (_data(rng, (h, w), KINDS[i % len(KINDS)]),
                                                  _data(rng, (kh, kw), KINDS[(i + 2) % 5]), mode)))
    image = rng.normal(size=(3, 4)).round(3)
    calls += [Call("correlate2d_padded", (image, rng.normal(size=shape).round(3), "same"))
              for shape in ((5, 2), (2, 6), (7, 6))]
    calls.append(Call("correlate2d_padded", (image, np.ones((2, 3)))))  # default 'valid'
    calls.append(Call("correlate2d_padded", (image, np.ones((2, 2))), {"padding": "same"}))
    return calls


def _bad_padded(rng: np.random.Generator) -> list[Call]:
    image = rng.normal(size=(3, 4)).round(3)
    return [*_bad_2d("correlate2d_padded")(rng),
            *_bad_modes("correlate2d_padded", (image, np.ones((2, 2)))),
            Call("correlate2d_padded", (image, np.ones((4, 2)), "valid"))]


def _cover_strided(rng: np.random.Generator) -> list[Call]:
    """The whole grid of strides, modes, parities and divisibility; 'same' with a kernel larger
    than the image; the defaults."""
    calls = []
    for i, g in enumerate(_grid(STRIDES)):
        (h, w), (kh, kw), _ = g.draw(rng)
        calls.append(Call("correlate2d_strided", (
            _data(rng, (h, w), KINDS[i % len(KINDS)]),
            _data(rng, (kh, kw), KINDS[(i // len(KINDS) + 1) % len(KINDS)]), g.stride, g.mode)))
    image = rng.normal(size=(3, 4)).round(3)
    calls += [Call("correlate2d_strided", (image, rng.normal(size=(7, 6)).round(3), s, "same"))
              for s in (1, (2, 3))]
    calls += [Call("correlate2d_strided", (image, np.ones((2, 3)))),
              Call("correlate2d_strided", (image, np.ones((2, 1)), 2)),
              Call("correlate2d_strided", (image, np.ones((3, 2))), {"stride": (1, 3),
                                                                     "padding": "same"})]
    return calls


def _bad_strided(rng: np.random.Generator) -> list[Call]:
    image = rng.normal(size=(5, 6)).round(3)
    kernel = np.ones((2, 2))
    return [*_bad_2d("correlate2d_strided")(rng), *(
        Call("correlate2d_strided", (image, kernel, s, "same")) for s in (0, -1, (1, 0), (0, 2))),
        *_bad_modes("correlate2d_strided", (image, kernel, 1)),
        Call("correlate2d_strided", (image, np.ones((6, 2)), 2, "valid"))]


# --- pooling --------------------------------------------------------------------------------

def _pool(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        h, w = _size(rng, 2, 9), _size(rng, 2, 9)
        pool = _size(rng, 1, min(h, w, 4))
        strides = None if rng.random() < 0.4 else _random_stride(rng)
        return Call(name, (_image(rng, (h, w, _size(rng, 1, 4))), pool, strides, _mode(rng)))
    return draw


def _cover_pool(name: str) -> Cover:
    """The grid with the default strides too; square pools given as ints; an all-negative
    input with 'same' (padded cells must lose to it); a pool larger than the input with 'same';
    the defaults."""
    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, g in enumerate(_grid(POOL_STRIDES)):
            (h, w), window, _ = g.draw(rng)
            x = _data(rng, (h, w, _size(rng, 1, 3)), KINDS[i % len(KINDS)])
            calls.append(Call(name, (x, _as_given(window), g.stride, g.mode)))
        for strides in (None, 2, (1, 3)):
            size = _window(rng, bool(rng.integers(2)))
            x = _data(rng, (size + _size(rng, 1, 4), size + 5, 2), "float64")
            calls.append(Call(name, (x, size, strides, _mode(rng))))
        negative = -rng.uniform(1, 9, size=(5, 4, 2)).round(3)
        calls += [Call(name, (negative, 2, None, "same")), Call(name, (negative, (3, 2), 2, "same")),
                  Call(name, (rng.normal(size=(2, 3, 1)).round(3), (3, 4), None, "same")),
                  Call(name, (rng.normal(size=(2, 3, 1)).round(3), (7, 6), 1, "same")),
                  Call(name, (rng.normal(size=(4, 5, 2)).round(3),)),  # pool 2, its strides, 'valid'
                  Call(name, (rng.normal(size=(6, 7, 1)).round(3), 3)),
                  Call(name, (rng.normal(size=(5, 4, 1)).round(3), 2), {"padding": "same"})]
        return calls
    return cover


def _bad_pool(name: str) -> Cover:
    """Non-positive pools and strides, an unknown mode, a pool larger than a 'valid' input,
    inputs of the wrong rank, an empty input."""
    def bad(rng: np.random.Generator) -> list[Call]:
        x = rng.normal(size=(4, 5, 2)).round(3)
        return [Call(name, args) for args in (
            (x, 0), (x, (2, 0)), (x, -1), (x, 2, 0), (x, 2, (0, 1)), (x, 2, (1, -1)),
            (x, (2, 0), 1), (x, 0, 2), (x, (5, 2)), (x, (2, 6)), (x[..., 0], 2),
            (np.ones((0, 3, 1)), 1))] + _bad_modes(name, (x, 2, None))
    return bad


def _maps(name: str, low: int = 1) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        shape = (_size(rng, low, 7), _size(rng, low, 7), _size(rng, 1, 6))
        return Call(name, (_image(rng, shape),))
    return draw


def _cover_maps(name: str) -> Cover:
    """Each input kind as H != W != C maps, a single position, and a single channel."""
    def cover(rng: np.random.Generator) -> list[Call]:
        shapes = ((_size(rng, 2, 3), _size(rng, 4, 5), _size(rng, 6, 7)), (1, 1, _size(rng, 2, 5)),
                  (_size(rng, 2, 5), _size(rng, 2, 5), 1))
        return [Call(name, (_data(rng, shape, kind),)) for kind in KINDS for shape in shapes]
    return cover


def _bad_maps(name: str) -> Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        return [Call(name, (x,)) for x in (np.ones((3, 4)), np.ones(5), np.ones((0, 2, 3)))]
    return bad


# --- the CNN --------------------------------------------------------------------------------

def _cover_relu(rng: np.random.Generator) -> list[Call]:
    """Each input kind in one to four dimensions; all negative; all zeros."""
    calls = [Call("relu", (_data(rng, tuple(_size(rng, 1, 4) for _ in range(ndim)), kind),))
             for kind in KINDS for ndim in (1, 2, 3, 4)]
    return [*calls, Call("relu", (-rng.uniform(0.1, 5, size=(3, 2)),)), Call("relu", (np.zeros(4),))]


def _relu(rng: np.random.Generator) -> Call:
    return Call("relu", (_image(rng, (_size(rng, 1, 5), _size(rng, 1, 5))),))


def _conv(rng: np.random.Generator) -> Call:
    h, w, c, f = _size(rng, 3, 9), _size(rng, 3, 9), _size(rng, 1, 4), _size(rng, 1, 5)
    kernels = rng.normal(size=(_size(rng, 1, h), _size(rng, 1, w), c, f)).round(3)
    activation = "relu" if rng.random() < 0.5 else None
    return Call("conv2d_layer", (_image(rng, (h, w, c)), kernels, rng.normal(size=f).round(3),
                                 _random_stride(rng), _mode(rng), activation))


def _layer_weights(rng: np.random.Generator, sizes: Sizes, channels: tuple[int, int],
                   kind: str) -> tuple[Any, Any]:
    (kh, kw), (c, f) = sizes[1], channels
    return _data(rng, (kh, kw, c, f), kind), rng.normal(size=f).round(3)


def _cover_conv(rng: np.random.Generator) -> list[Call]:
    """Every stride with both modes (parity and divisibility rotating), C != F, both
    activations; a kernel larger than the input with 'same'; the defaults."""
    calls = []
    for i, g in enumerate(_rotation(STRIDES)):
        sizes = g.draw(rng)
        c = _size(rng, 1, 3)
        f = c + _size(rng, 1, 2)
        kernels, bias = _layer_weights(rng, sizes, (c, f), ("float64", "float32", "int64", "list")[i % 4])
        x = _data(rng, (*sizes[0], c), KINDS[i % len(KINDS)])
        calls.append(Call("conv2d_layer", (x, kernels, bias, g.stride, g.mode, ("relu", None)[i // 2 % 2])))
    x = rng.normal(size=(3, 4, 2)).round(3)
    calls += [Call("conv2d_layer", (x, rng.normal(size=(7, 6, 2, 3)).round(3), [0.5, -0.5, 0.1], 1, "same")),
              Call("conv2d_layer", (rng.normal(size=(1, 1, 1)).round(3), [[[[1.5, -2.0]]]], [0.25, 0.5])),
              Call("conv2d_layer", (x, rng.normal(size=(2, 3, 2, 1)).round(3), [-0.2])),  # defaults
              Call("conv2d_layer", (x, rng.normal(size=(3, 2, 2, 2)).round(3), [0.3, -1.0]),
                   {"stride": (2, 1), "padding": "same", "activation": None})]
    return calls


def _bad_conv(rng: np.random.Generator) -> list[Call]:
    """Channel mismatches (input vs kernels, kernels vs bias), unknown modes and activations,
    non-positive strides, wrong ranks, a kernel larger than a 'valid' input, empty."""
    x, kernels, bias = rng.normal(size=(4, 5, 2)).round(3), np.ones((2, 2, 2, 3)), np.zeros(3)
    return [Call("conv2d_layer", args) for args in (
        (x, np.ones((2, 2, 3, 3)), bias), (x, kernels, np.zeros(2)), (x, kernels, np.zeros(1)),
        (x, np.ones((2, 2, 2, 1)), bias),
        (x, kernels, bias, 1, "valid", "sigmoid"), (x, kernels, bias, 0), (x, kernels, bias, (1, 0)),
        (x[..., 0], np.ones((2, 2, 1, 3)), bias), (x, np.ones((2, 2, 2)), bias),
        (x, np.ones((5, 2, 2, 3)), bias), (np.ones((0, 3, 2)), np.ones((1, 1, 2, 3)), bias),
        (np.ones((0, 3, 2)), np.ones((1, 1, 2, 3)), bias, 1, "same"))] + _bad_modes(
        "conv2d_layer", (x, kernels, bias, 1))


def _shape_call(name: str) -> Draw:
    def draw(rng: np.random.Generator) -> Call:
        batch = None if rng.random() < 0.5 else _size(rng, 1, 8)
        h, w = _size(rng, 5, 40), _size(rng, 5, 40)
        shape = (batch, h, w, _size(rng, 1, 16))
        window = _size(rng, 1, 5)
        if name == "conv_output_shape":
            return Call(name, (shape, _size(rng, 1, 64), window, _random_stride(rng), _mode(rng)))
        strides = None if rng.random() < 0.4 else _random_stride(rng)
        return Call(name, (shape, window, strides, _mode(rng)))
    return draw


def _cover_shape(name: str) -> Cover:
    """The grid (default pool strides too), a known or unknown batch, square windows as ints;
    the defaults."""
    strides = STRIDES if name == "conv_output_shape" else POOL_STRIDES

    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, g in enumerate(_grid(strides)):
            (h, w), window, _ = g.draw(rng)
            shape = ((None, _size(rng, 1, 8))[i % 2], h, w, _size(rng, 1, 16))
            size = _as_given(window)
            args = ((shape, _size(rng, 1, 64), size, g.stride, g.mode) if name == "conv_output_shape"
                    else (shape, size, g.stride, g.mode))
            calls.append(Call(name, args))
        shape = (None, _size(rng, 5, 20), _size(rng, 5, 20), 3)
        if name == "conv_output_shape":  # the defaults; a single filter
            return [*calls, Call(name, (shape, 8, 3)), Call(name, (shape, 1, (2, 3), 2, "same"))]
        return [*calls, Call(name, (shape,)), Call(name, (shape, 3))]
    return cover


def _bad_shape(name: str) -> Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        shape = (None, 6, 7, 3)
        if name == "conv_output_shape":
            cases: tuple[tuple[Any, ...], ...] = (
                ((6, 7, 3), 4, 3), (shape, 0, 3), (shape, 4, 0), (shape, 4, (3, 0)), (shape, 4, 3, 0),
                (shape, 4, 3, (1, -1)), (shape, 4, (7, 2)), (shape, 4, (2, 8)))
        else:
            cases = (((6, 7, 3),), (shape, 0), (shape, (2, 0)), (shape, 2, 0), (shape, 2, (0, 1)),
                     (shape, (7, 2)), (shape, (2, 8)))
        modes = (shape, 4, 3, 1) if name == "conv_output_shape" else (shape, 2, None)
        return [Call(name, args) for args in cases] + _bad_modes(name, modes)
    return bad


def _weights(rng: np.random.Generator, dtype: type = np.float32) -> list[np.ndarray]:
    shapes = ((3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (400, 10), (10,))
    return [(rng.normal(size=s) * 0.3).astype(dtype) for s in shapes]


def _forward(rng: np.random.Generator) -> Call:
    return Call("cnn_forward", (rng.uniform(size=(_size(rng, 1, 4), 28, 28, 1)).astype(np.float32),
                                _weights(rng)))


def _cover_forward(rng: np.random.Generator) -> list[Call]:
    """One to three images in float32 and float64, weights in either."""
    return [Call("cnn_forward", (rng.uniform(size=(n, 28, 28, 1)).round(3).astype(dtype),
                                 _weights(rng, weights)))
            for n, dtype, weights in ((1, np.float32, np.float64), (2, np.float64, np.float32),
                                      (3, np.float32, np.float32))]


def _bad_forward(rng: np.random.Generator) -> list[Call]:
    images = rng.uniform(size=(2, 28, 28, 1)).astype(np.float32)
    return [Call("cnn_forward", (images, _weights(rng)[:5])),
            Call("cnn_forward", (images[0], _weights(rng)))]


def _pixels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)


def _bad_preprocess(rng: np.random.Generator) -> list[Call]:
    return [Call("preprocess", (_pixels(rng, 1)[0],)), Call("preprocess", (_pixels(rng, 2)[..., None],))]


def _none(rng: np.random.Generator) -> list[Call]:
    return []


@dataclass(frozen=True)
class Plan:
    """One function's hidden cases: the cases that cover its rule, the bad arguments that must
    raise ValueError, and how many random cases to draw on top."""

    cover: Cover
    bad: Cover
    draw: Draw
    random: int


# Cheap functions (microseconds a call) get many random cases; the costly ones, few.
PLANS: dict[str, Plan] = {
    "correlate1d": Plan(_cover_1d("correlate1d"), _bad_1d("correlate1d"),
                        _signal_and_kernel("correlate1d"), 15),
    "convolve1d": Plan(_cover_1d("convolve1d"), _bad_1d("convolve1d"),
                       _signal_and_kernel("convolve1d"), 15),
    "correlate2d": Plan(lambda rng: [Call("correlate2d", p) for p in _maps_and_kernels(rng, None)],
                        _bad_2d("correlate2d"), _image_and_kernel("correlate2d"), 10),
    "correlate3d": Plan(lambda rng: [Call("correlate3d", p) for p in _maps_and_kernels(rng, 1)],
                        _bad_3d, _volume, 10),
    "same_padding": Plan(_cover_same_padding, _bad_same_padding, lambda rng: Call("same_padding", (
        _size(rng, 1, 30), _size(rng, 1, 7), _size(rng, 1, 4))), 20),
    "zero_pad": Plan(_cover_zero_pad, _bad_zero_pad, _zero_pad, 20),
    "correlate2d_padded": Plan(_cover_padded, _bad_padded,
                               _image_and_kernel("correlate2d_padded", padding=True), 15),
    "output_size": Plan(_cover_output_size, _bad_output_size, _output_size, 15),
    "correlate2d_strided": Plan(_cover_strided, _bad_strided, _image_and_kernel(
        "correlate2d_strided", padding=True, stride=True), 10),
    "max_pool2d": Plan(_cover_pool("max_pool2d"), _bad_pool("max_pool2d"), _pool("max_pool2d"), 10),
    "avg_pool2d": Plan(_cover_pool("avg_pool2d"), _bad_pool("avg_pool2d"), _pool("avg_pool2d"), 10),
    "global_avg_pool2d": Plan(_cover_maps("global_avg_pool2d"), _bad_maps("global_avg_pool2d"),
                              _maps("global_avg_pool2d"), 15),
    "flatten": Plan(_cover_maps("flatten"), _bad_maps("flatten"), _maps("flatten"), 15),
    "relu": Plan(_cover_relu, _none, _relu, 15),
    "conv2d_layer": Plan(_cover_conv, _bad_conv, _conv, 4),
    "conv_output_shape": Plan(_cover_shape("conv_output_shape"), _bad_shape("conv_output_shape"),
                              _shape_call("conv_output_shape"), 15),
    "pool_output_shape": Plan(_cover_shape("pool_output_shape"), _bad_shape("pool_output_shape"),
                              _shape_call("pool_output_shape"), 15),
    "cnn_forward": Plan(_cover_forward, _bad_forward, _forward, 2),
    "preprocess": Plan(lambda rng: [Call("preprocess", (_pixels(rng, n),)) for n in (1, 2, 3)],
                       _bad_preprocess, lambda rng: Call("preprocess", (_pixels(rng, _size(rng, 1, 4)),)), 3),
}


@dataclass(frozen=True)
class HiddenExpect:
    """Judges like the public expectation, but reports only the kind of failure: no inputs, no
    expected values, and nothing the student's code controls (no exception text or class name,
    no shapes or values), so a hidden case cannot be read back through its feedback."""

    inner: ArrayExpect | ExactExpect | RaisesExpect

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        verdict = self.inner.judge(call, outcome)
        if verdict.passed:
            return verdict
        raises = isinstance(self.inner, RaisesExpect)
        return Verdict(verdict.status, f"A hidden random case of {call.function}() failed: "
                       f"{_kind(verdict, outcome, raises=raises)}.")


def _kind(verdict: Verdict, outcome: Outcome, *, raises: bool = False) -> str:
    """What went wrong, in words of the kit's own: decided on the outcome's structure and on the
    judge's fixed phrases, never quoting what came back. `raises`: the case has bad arguments
    (saying so names the kind of case, not its inputs)."""
    if outcome.raised:
        if "Timeout" in outcome.error_types:
            return "it took too long"
        if outcome.error_types[:1] == ("NotImplementedError",):
            return "it is not implemented yet"
        if raises:
            return "bad arguments raised the wrong kind of exception"
        return "it raised an exception"
    if raises:
        return "it accepted bad arguments, which the contract asks it to reject"
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
    from autograder.student.loop import load_module

    module = load_module(solutions / lookup(exercise).module)
    return lambda call: getattr(module, call.function)(*call.args, **call.kwargs)


def hidden_calls(function: str, seed: int) -> list[tuple[Call, bool]]:
    """`(call, bad)` for every hidden case of one function: the covering cases, the random ones,
    then the bad arguments. Each function draws from its own generator, so the same seed gives
    the same cases whatever the other functions draw."""
    plan = PLANS[function]
    rng = np.random.default_rng([seed, zlib.crc32(function.encode())])
    good = plan.cover(rng) + [plan.draw(rng) for _ in range(plan.random)]
    return [(call, False) for call in good] + [(call, True) for call in plan.bad(rng)]


def _expect(reference: Callable[[Call], Any], call: Call,
            bad: bool) -> ArrayExpect | ExactExpect | RaisesExpect:
    """What the reference does on the call; bad arguments must make it raise ValueError."""
    if bad:
        try:
            reference(call)
        except ValueError:
            return RaisesExpect(why="bad arguments")
        raise RuntimeError(f"the reference accepts the bad arguments of {call.describe()}")
    expected = reference(call)
    return (ArrayExpect(np.asarray(expected)) if isinstance(expected, np.ndarray)
            else ExactExpect(expected))


def checks_arguments(check: Check) -> bool:
    """Whether the check's call has bad arguments, where the contract asks for ValueError."""
    expect = check.expect.inner if isinstance(check.expect, HiddenExpect) else check.expect
    return isinstance(expect, RaisesExpect)


def argument_guarded(public: Sequence[Check]) -> list[Check]:
    """The public checks of one function that its bad-argument hidden cases guard: its checks of
    bad arguments, or, where it has none, its check worth the fewest points (the last of them)."""
    own = [check for check in public if checks_arguments(check)]
    if own or not public:
        return own
    cheapest = min(check.points for check in public)
    return [[check for check in public if check.points == cheapest][-1]]


def hidden_checks(exercise: str, *, seed: int, solutions: Path) -> list[Check]:
    """The hidden checks of one exercise for the instructor's `seed` (the same seed, the same
    cases), expected values from `solutions` (the reference modules' folder)."""
    info = lookup(exercise)
    reference = _reference(exercise, solutions)
    checks = []
    for function in info.functions:
        if function not in PLANS:
            continue  # build_cnn: its MNIST check is already the instructor's test
        for number, (call, bad) in enumerate(hidden_calls(function, seed), start=1):
            checks.append(Check(f"{function}-hidden-{number}", exercise, 0,
                                f"hidden random case {number} of {function}", call,
                                HiddenExpect(_expect(reference, call, bad)), "hidden",
                                gates=function))
    return checks
