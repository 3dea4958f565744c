"""Exercise 1, cross-correlation, for instructors and authors: its notebook introduction, its
TensorFlow oracle, its hidden-case plans and its known-mistake mutants."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.core.calls import Call
from autograder.course import draws as d
from autograder.course import mutate as m
from autograder.course import tfops as ops

ABOUT = (
    "A multilayer perceptron reads an image as one long vector, so it no longer knows which "
    "pixels are neighbours. To find small local patterns (an edge, a stroke, a curve) "
    "anywhere in an input, we slide a short pattern, the kernel, along it and measure at "
    "each place how well the piece underneath agrees with it: a dot product per position. "
    "In the lecture's example the kernel `(2 0 2 1)` slides over "
    "`(1 3 0 1 2 2 0 2 1 0 2 1)` and scores `(3 10 6 6 6 9 2 6 7)`; the peaks mark where the "
    "signal resembles the kernel most. Deep learning libraries call this operation a "
    "convolution, although a true convolution would reverse the kernel first.")


# --- the oracle -----------------------------------------------------------------------------

def tf_correlate1d(x: Any, kernel: Any) -> np.ndarray:
    tf = ops.tf()
    out = tf.nn.conv1d(ops.f64(x)[None, :, None], ops.f64(kernel)[:, None, None], stride=1,
                       padding="VALID")
    return out.numpy().reshape(-1)


def tf_convolve1d(x: Any, kernel: Any) -> np.ndarray:
    return tf_correlate1d(x, ops.tf().reverse(ops.f64(kernel), axis=[0]).numpy())


def tf_correlate2d(image: Any, kernel: Any) -> np.ndarray:
    return ops.conv_single(image, kernel)


def tf_correlate3d(volume: Any, kernel: Any) -> np.ndarray:
    return ops.conv(volume, np.asarray(kernel)[..., None])[..., 0]


# --- hidden cases ---------------------------------------------------------------------------

def _signal_and_kernel(name: str) -> d.Draw:
    def draw(rng: np.random.Generator) -> Call:
        n = d.size(rng, 2, 20)
        return Call(name, (d.image(rng, (n,)), rng.normal(size=d.size(rng, 1, n)).round(3)))
    return draw


def _cover_1d(name: str) -> d.Cover:
    """Each input kind with kernels of length 1, odd, even and as long as the input."""
    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, kind in enumerate(d.KINDS):
            for j, k in enumerate((1, 3, 2, 0)):  # 0: as long as the input
                n = d.size(rng, 4, 12)
                kernel = d.data(rng, (k or n,), d.KINDS[(i + j + 1) % len(d.KINDS)])
                calls.append(Call(name, (d.data(rng, (n,), kind), kernel)))
        return calls
    return cover


def _bad_1d(name: str) -> d.Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        x = rng.normal(size=5).round(3)
        cases: tuple[tuple[Any, Any], ...] = (
            (x, np.ones(6)), (x.reshape(1, 5), [1.0]), (x, np.ones((1, 2))), ([], [1.0]), (x, []))
        return [Call(name, args) for args in cases]
    return bad


def _maps_and_kernels(rng: np.random.Generator, depth: int | None) -> list[tuple[Any, Any]]:
    """(input, kernel) pairs: each input kind with each window parity pattern, the kernel of
    another kind, a kernel as large as the input and a 1x1 kernel. `depth`: 3D inputs and
    kernels with that many channels plus one per case (None: 2D)."""
    pairs = []
    shapes = [tuple(d.window(rng, odd) for odd in parity) for parity in d.PARITIES]
    for i, kind in enumerate(d.KINDS):
        for j, (kh, kw) in enumerate([*shapes, (1, 1), (0, 0)]):  # (0, 0): the input's size
            h, w = kh + d.size(rng, 0, 4), kw + d.size(rng, 0, 4)
            if (kh, kw) == (0, 0):
                h, w = d.size(rng, 2, 6), d.size(rng, 2, 6)
                kh, kw = h, w + (h == w)
            w += h == w  # never square
            channels = () if depth is None else (depth + j % 4,)
            kernel_kind = d.KINDS[(i + j + 1) % len(d.KINDS)]
            pairs.append((d.data(rng, (h, w, *channels), kind),
                          d.data(rng, (kh, kw, *channels), kernel_kind)))
    return pairs


def _volume(rng: np.random.Generator) -> Call:
    h, w, c = d.size(rng, 2, 8), d.size(rng, 2, 8), d.size(rng, 1, 4)
    kernel = rng.normal(size=(d.size(rng, 1, h), d.size(rng, 1, w), c)).round(3)
    return Call("correlate3d", (d.image(rng, (h, w, c)), kernel))


def _bad_3d(rng: np.random.Generator) -> list[Call]:
    """Depth mismatches both ways, wrong ranks, a kernel larger than the volume, empty."""
    volume = rng.normal(size=(4, 5, 2)).round(3)
    return [Call("correlate3d", args) for args in (
        (volume, np.ones((2, 2, 1))), (volume, np.ones((2, 2, 3))), (volume[..., 0], np.ones((2, 2))),
        (volume[..., None], np.ones((2, 2, 2))), (volume, np.ones((5, 2, 2))),
        (volume, np.ones((2, 6, 2))), (np.ones((0, 3, 2)), np.ones((1, 1, 2))))]


DRAWS = {
    "correlate1d": d.Plan(_cover_1d("correlate1d"), _bad_1d("correlate1d"),
                          _signal_and_kernel("correlate1d"), 15),
    "convolve1d": d.Plan(_cover_1d("convolve1d"), _bad_1d("convolve1d"),
                         _signal_and_kernel("convolve1d"), 15),
    "correlate2d": d.Plan(lambda rng: [Call("correlate2d", p) for p in _maps_and_kernels(rng, None)],
                          d.bad_2d("correlate2d"), d.image_and_kernel("correlate2d"), 10),
    "correlate3d": d.Plan(lambda rng: [Call("correlate3d", p) for p in _maps_and_kernels(rng, 1)],
                          _bad_3d, _volume, 10),
}


# --- known mistakes -------------------------------------------------------------------------

def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{mistake: {function: mutant}}`, each mutant the `reference` module with one mistake."""
    def int_correlate1d(x: Any, kernel: Any) -> np.ndarray:
        x, kernel = np.asarray(x), np.asarray(kernel)
        out = np.zeros(len(x) - len(kernel) + 1, dtype=x.dtype)  # takes the input's int dtype
        for i in range(len(out)):
            out[i] = np.dot(x[i:i + len(kernel)], kernel)
        return out

    def channelwise_correlate3d(volume: Any, kernel: Any) -> np.ndarray:
        volume, kernel = m.f(volume), m.f(kernel)
        return np.stack([reference.correlate2d(volume[..., c], kernel[..., c])
                         for c in range(volume.shape[2])], axis=-1)

    return {
        "flipped_kernel": {
            "correlate1d": lambda x, k: reference.correlate1d(x, m.f(k)[::-1]),
            "correlate2d": lambda x, k: reference.correlate2d(x, m.f(k)[::-1, ::-1]),
            "correlate3d": lambda x, k: reference.correlate3d(x, m.f(k)[::-1, ::-1]),
        },
        "unflipped_kernel": {"convolve1d": reference.correlate1d},
        "off_by_one": {
            "correlate1d": lambda x, k: reference.correlate1d(x, k)[:-1],
            "correlate2d": lambda x, k: reference.correlate2d(x, k)[:-1, :-1],
        },
        "channels_not_summed": {"correlate3d": channelwise_correlate3d},
        "integer_truncation": {"correlate1d": int_correlate1d},
        "uint8_overflow": {"correlate2d": lambda x, k: np.einsum(
            "ijkl,kl->ij", sliding_window_view(np.asarray(x), np.shape(k)), np.asarray(k))},
    }
