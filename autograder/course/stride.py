"""Exercise 3, stride, for instructors and authors: its notebook introduction, its TensorFlow
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
    "The stride is the length of the kernel's step. At stride 1 it visits every position; "
    "at stride 2 it skips every other one and the map comes out about half as long on that "
    "axis. Together with the padding mode, the stride fixes the size of a convolutional "
    "layer's output.")


# --- the oracle -----------------------------------------------------------------------------

def tf_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    out = ops.conv(np.ones((n, 1, 1)), np.ones((kernel_size, 1, 1, 1)), (stride, 1), padding)
    return int(out.shape[0])


def tf_correlate2d_strided(image: Any, kernel: Any, stride: Any = 1,
                           padding: str = "valid") -> np.ndarray:
    return ops.conv_single(image, kernel, stride, padding)


# --- hidden cases ---------------------------------------------------------------------------

def _output_size(rng: np.random.Generator) -> Call:
    n = d.size(rng, 1, 40)
    return Call("output_size", (n, d.size(rng, 1, n), d.size(rng, 1, 4), d.mode(rng)))


def _cover_output_size(rng: np.random.Generator) -> list[Call]:
    calls = [Call("output_size", case) for case in d.axis_cases(rng, (1, 2, 3, 4), d.MODES)]
    calls += [Call("output_size", (n, k, s, "same")) for n, k, s in d.short_axes(rng, 3)]
    n = d.size(rng, 5, 12)
    calls += [Call("output_size", (n, n, d.size(rng, 1, 3), "valid")),
              Call("output_size", (n, d.size(rng, 1, 4))),  # the defaults: stride 1, 'valid'
              Call("output_size", (n, 3, 2)),
              Call("output_size", (n, 2), {"stride": 3, "padding": "same"})]
    return calls


def _bad_output_size(rng: np.random.Generator) -> list[Call]:
    return [Call("output_size", args) for args in (
        (8, 3, 0), (8, 3, -2), (8, 0, 1), (0, 1, 1), (4, 5, 1, "valid"), (4, 5))] + d.bad_modes(
        "output_size", (8, 3, 1))


def _cover_strided(rng: np.random.Generator) -> list[Call]:
    """The whole grid of strides, modes, parities and divisibility; 'same' with a kernel larger
    than the image; the defaults."""
    calls = []
    kinds = d.KINDS
    for i, g in enumerate(d.grid(d.STRIDES)):
        (h, w), (kh, kw), _ = g.draw(rng)
        calls.append(Call("correlate2d_strided", (
            d.data(rng, (h, w), kinds[i % len(kinds)]),
            d.data(rng, (kh, kw), kinds[(i // len(kinds) + 1) % len(kinds)]), g.stride, g.mode)))
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
    return [*d.bad_2d("correlate2d_strided")(rng), *(
        Call("correlate2d_strided", (image, kernel, s, "same")) for s in (0, -1, (1, 0), (0, 2))),
        *d.bad_modes("correlate2d_strided", (image, kernel, 1)),
        Call("correlate2d_strided", (image, np.ones((6, 2)), 2, "valid"))]


DRAWS = {
    "output_size": d.Plan(_cover_output_size, _bad_output_size, _output_size, 15),
    "correlate2d_strided": d.Plan(_cover_strided, _bad_strided, d.image_and_kernel(
        "correlate2d_strided", padding=True, stride=True), 10),
}


# --- known mistakes -------------------------------------------------------------------------

def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{mistake: {function: mutant}}`, each mutant the `reference` module with one mistake."""
    return {
        "symmetric_same": {"correlate2d_strided": m.strided(m.symmetric_pads)},
        "extra_top_left": {"correlate2d_strided": m.strided(m.top_left_pads)},
        "ceil_stride": {"output_size": m.ceil_output_size},
        "floor_same": {"output_size": m.floor_output_size,
                       "correlate2d_strided": m.strided(m.floor_pads)},
        "swapped_stride": {"correlate2d_strided": lambda image, kernel, stride=1, padding="valid":
                           reference.correlate2d_strided(image, kernel, m.swapped(stride), padding)},
        "subsampled_stride": {"correlate2d_strided": lambda image, kernel, stride=1, padding="valid":
                              m.strided(m.tf_pads)(image, kernel, 1, padding)[
                                  ::m.pair(stride)[0], ::m.pair(stride)[1]]},
    }
