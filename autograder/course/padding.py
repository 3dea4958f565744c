"""Exercise 2, padding, for instructors and authors: its notebook introduction, its TensorFlow
oracle, its hidden-case plans and its known-mistake mutants."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from autograder.core.calls import Call
from autograder.course import draws as d
from autograder.course import mutate as m
from autograder.course import tfops as ops

ABOUT = (
    "When the kernel must stay inside the image, the border pixels are covered by fewer "
    "windows and each layer shrinks the map by `k - 1` per axis. Padding puts a frame of "
    "zeros around the input first, so the kernel may also sit on the border and the map "
    "keeps its size. Keras names the two choices `padding=\"valid\"` (no padding) and "
    "`padding=\"same\"` (zero padding), and TensorFlow has an exact rule for how many zeros "
    "go on each side.")


# --- the oracle -----------------------------------------------------------------------------

def tf_same_padding(n: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """Read TensorFlow's padding off a 'same' convolution of positions 1..n.

    With a one-hot kernel at tap t, output 0 is x_padded[t]: the first tap that sees a real
    value (not a padded zero) is the number of zeros before; the output length then gives the
    total.
    """
    x = np.arange(1, n + 1, dtype=np.float64)[:, None]
    before = kernel_size  # no tap sees a real value: impossible, TF pads at most k - 1
    for tap in range(kernel_size):
        kernel = np.zeros((1, kernel_size, 1, 1))
        kernel[0, tap] = 1.0
        out = ops.conv(x.T[..., None], kernel, (1, stride), "same")
        if out[0, 0, 0] != 0:
            before = tap - int(out[0, 0, 0]) + 1
            break
    out_len = out.shape[1]
    total = max((out_len - 1) * stride + kernel_size - n, 0)
    return before, total - before


def tf_zero_pad(image: Any, pads: Any) -> np.ndarray:
    tensor = ops.f64(image)
    widths = [list(pads[0]), list(pads[1])] + [[0, 0]] * (tensor.shape.rank - 2)
    return ops.tf().pad(tensor, widths).numpy()


def tf_correlate2d_padded(image: Any, kernel: Any, padding: str = "valid") -> np.ndarray:
    return ops.conv_single(image, kernel, 1, padding)


# --- hidden cases ---------------------------------------------------------------------------

def _cover_same_padding(rng: np.random.Generator) -> list[Call]:
    axes = [(n, k, s) for n, k, s, _ in d.axis_cases(rng, (1, 2, 3, 4), ("valid",))]
    axes += [*d.short_axes(rng, 4), (1, 1, 1), (d.size(rng, 2, 9), 1, d.size(rng, 2, 4))]
    calls = [Call("same_padding", axis) for axis in axes]
    return [*calls, Call("same_padding", (d.size(rng, 2, 9), d.size(rng, 2, 5)))]  # stride default


def _bad_same_padding(rng: np.random.Generator) -> list[Call]:
    return [Call("same_padding", args) for args in ((0, 3), (5, 0), (5, 3, 0), (5, 3, -1), (-4, 2))]


def _zero_pad(rng: np.random.Generator) -> Call:
    shape: tuple[int, ...] = (d.size(rng, 1, 6), d.size(rng, 1, 6))
    if rng.random() < 0.5:
        shape += (d.size(rng, 1, 3),)
    pads = ((d.size(rng, 0, 3), d.size(rng, 0, 3)), (d.size(rng, 0, 3), d.size(rng, 0, 3)))
    return Call("zero_pad", (d.image(rng, shape), pads))


def _cover_zero_pad(rng: np.random.Generator) -> list[Call]:
    """Images and volumes of each kind with four different pads; no pads; one side at a time."""
    calls = []
    for i, kind in enumerate(d.KINDS * 2):
        shape = (d.size(rng, 1, 5), d.size(rng, 1, 5), *((d.size(rng, 2, 3),) if i % 2 else ()))
        pads = tuple(int(p) for p in rng.permutation(4)[:4])  # four different amounts
        calls.append(Call("zero_pad", (d.data(rng, shape, kind), (pads[:2], pads[2:]))))
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
    for i, (mode, parity) in enumerate((md, p) for md in d.MODES for p in d.PARITIES):
        (h, w), (kh, kw), _ = d.Geometry(mode, 1, parity, (True, True)).draw(rng)
        calls.append(Call("correlate2d_padded", (d.data(rng, (h, w), d.KINDS[i % len(d.KINDS)]),
                                                  d.data(rng, (kh, kw), d.KINDS[(i + 2) % 5]), mode)))
    image = rng.normal(size=(3, 4)).round(3)
    calls += [Call("correlate2d_padded", (image, rng.normal(size=shape).round(3), "same"))
              for shape in ((5, 2), (2, 6), (7, 6))]
    calls.append(Call("correlate2d_padded", (image, np.ones((2, 3)))))  # default 'valid'
    calls.append(Call("correlate2d_padded", (image, np.ones((2, 2))), {"padding": "same"}))
    return calls


def _bad_padded(rng: np.random.Generator) -> list[Call]:
    image = rng.normal(size=(3, 4)).round(3)
    return [*d.bad_2d("correlate2d_padded")(rng),
            *d.bad_modes("correlate2d_padded", (image, np.ones((2, 2)))),
            Call("correlate2d_padded", (image, np.ones((4, 2)), "valid"))]


DRAWS = {
    "same_padding": d.Plan(_cover_same_padding, _bad_same_padding, lambda rng: Call(
        "same_padding", (d.size(rng, 1, 30), d.size(rng, 1, 7), d.size(rng, 1, 4))), 20),
    "zero_pad": d.Plan(_cover_zero_pad, _bad_zero_pad, _zero_pad, 20),
    "correlate2d_padded": d.Plan(_cover_padded, _bad_padded,
                                 d.image_and_kernel("correlate2d_padded", padding=True), 15),
}


# --- known mistakes -------------------------------------------------------------------------

def _padded(pads: m.Pads) -> m.Mutant:
    return lambda image, kernel, padding="valid": m.strided(pads)(image, kernel, 1, padding)


def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{mistake: {function: mutant}}`, each mutant the `reference` module with one mistake."""
    return {
        "symmetric_same": {"same_padding": lambda n, k, s=1: m.symmetric_pads(n, k, s),
                           "correlate2d_padded": _padded(m.symmetric_pads)},
        "extra_top_left": {"same_padding": lambda n, k, s=1: m.top_left_pads(n, k, s),
                           "correlate2d_padded": _padded(m.top_left_pads)},
        "floor_same": {"same_padding": lambda n, k, s=1: m.floor_pads(n, k, s)},
        "negative_same_padding": {"same_padding": lambda n, k, s=1: m.unclipped_pads(n, k, s)},
    }
