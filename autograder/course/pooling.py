"""Exercise 4, pooling, for instructors and authors: its notebook introduction, its Keras oracle,
its hidden-case plans and its known-mistake mutants."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from autograder.core.calls import Call
from autograder.course import draws as d
from autograder.course import mutate as m
from autograder.course import tfops as ops

ABOUT = (
    "Convolutional layers tend to add feature maps; pooling layers make each map smaller by "
    "summarising a small window in one number, its maximum or its mean, usually moving by "
    "the window's own size. At the end of the feature extractor the remaining block of maps "
    "must become one vector for the classifier: flatten it, or average each map to a single "
    "value (global average pooling).")


# --- the oracle -----------------------------------------------------------------------------

def _pool(layer: str, x: Any, pool_size: Any, strides: Any, padding: str) -> np.ndarray:
    pool = getattr(ops.keras().layers, layer)(pool_size=pool_size, strides=strides,
                                              padding=padding, dtype="float64")
    return pool(ops.f64(x)[None])[0].numpy()


def tf_max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None,
                  padding: str = "valid") -> np.ndarray:
    return _pool("MaxPooling2D", x, pool_size, strides, padding)


def tf_avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None,
                  padding: str = "valid") -> np.ndarray:
    return _pool("AveragePooling2D", x, pool_size, strides, padding)


def tf_global_avg_pool2d(x: Any) -> np.ndarray:
    layer = ops.keras().layers.GlobalAveragePooling2D(dtype="float64")
    return layer(ops.f64(x)[None])[0].numpy()


def tf_flatten(x: Any) -> np.ndarray:
    return ops.keras().layers.Flatten(dtype="float64")(ops.f64(x)[None])[0].numpy()


# --- hidden cases ---------------------------------------------------------------------------

def _random_pool(name: str) -> d.Draw:
    def draw(rng: np.random.Generator) -> Call:
        h, w = d.size(rng, 2, 9), d.size(rng, 2, 9)
        pool = d.size(rng, 1, min(h, w, 4))
        strides = None if rng.random() < 0.4 else d.random_stride(rng)
        return Call(name, (d.image(rng, (h, w, d.size(rng, 1, 4))), pool, strides, d.mode(rng)))
    return draw


def _cover_pool(name: str) -> d.Cover:
    """The grid with the default strides too; square pools given as ints; an all-negative
    input with 'same' (padded cells must lose to it); a pool larger than the input with 'same';
    the defaults."""
    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, g in enumerate(d.grid(d.POOL_STRIDES)):
            (h, w), window, _ = g.draw(rng)
            x = d.data(rng, (h, w, d.size(rng, 1, 3)), d.KINDS[i % len(d.KINDS)])
            calls.append(Call(name, (x, d.as_given(window), g.stride, g.mode)))
        for strides in (None, 2, (1, 3)):
            size = d.window(rng, bool(rng.integers(2)))
            x = d.data(rng, (size + d.size(rng, 1, 4), size + 5, 2), "float64")
            calls.append(Call(name, (x, size, strides, d.mode(rng))))
        negative = -rng.uniform(1, 9, size=(5, 4, 2)).round(3)
        calls += [Call(name, (negative, 2, None, "same")), Call(name, (negative, (3, 2), 2, "same")),
                  Call(name, (rng.normal(size=(2, 3, 1)).round(3), (3, 4), None, "same")),
                  Call(name, (rng.normal(size=(2, 3, 1)).round(3), (7, 6), 1, "same")),
                  Call(name, (rng.normal(size=(4, 5, 2)).round(3),)),  # pool 2, its strides, 'valid'
                  Call(name, (rng.normal(size=(6, 7, 1)).round(3), 3)),
                  Call(name, (rng.normal(size=(5, 4, 1)).round(3), 2), {"padding": "same"})]
        return calls
    return cover


def _bad_pool(name: str) -> d.Cover:
    """Non-positive pools and strides, an unknown mode, a pool larger than a 'valid' input,
    inputs of the wrong rank, an empty input."""
    def bad(rng: np.random.Generator) -> list[Call]:
        x = rng.normal(size=(4, 5, 2)).round(3)
        return [Call(name, args) for args in (
            (x, 0), (x, (2, 0)), (x, -1), (x, 2, 0), (x, 2, (0, 1)), (x, 2, (1, -1)),
            (x, (2, 0), 1), (x, 0, 2), (x, (5, 2)), (x, (2, 6)), (x[..., 0], 2),
            (np.ones((0, 3, 1)), 1))] + d.bad_modes(name, (x, 2, None))
    return bad


def _maps(name: str, low: int = 1) -> d.Draw:
    def draw(rng: np.random.Generator) -> Call:
        shape = (d.size(rng, low, 7), d.size(rng, low, 7), d.size(rng, 1, 6))
        return Call(name, (d.image(rng, shape),))
    return draw


def _cover_maps(name: str) -> d.Cover:
    """Each input kind as H != W != C maps, a single position, and a single channel."""
    def cover(rng: np.random.Generator) -> list[Call]:
        shapes = ((d.size(rng, 2, 3), d.size(rng, 4, 5), d.size(rng, 6, 7)),
                  (1, 1, d.size(rng, 2, 5)), (d.size(rng, 2, 5), d.size(rng, 2, 5), 1))
        return [Call(name, (d.data(rng, shape, kind),)) for kind in d.KINDS for shape in shapes]
    return cover


def _bad_maps(name: str) -> d.Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        return [Call(name, (x,)) for x in (np.ones((3, 4)), np.ones(5), np.ones((0, 2, 3)))]
    return bad


def _pool_plan(name: str) -> d.Plan:
    return d.Plan(_cover_pool(name), _bad_pool(name), _random_pool(name), 10)


def _maps_plan(name: str) -> d.Plan:
    return d.Plan(_cover_maps(name), _bad_maps(name), _maps(name), 15)


DRAWS = {"max_pool2d": _pool_plan("max_pool2d"), "avg_pool2d": _pool_plan("avg_pool2d"),
         "global_avg_pool2d": _maps_plan("global_avg_pool2d"), "flatten": _maps_plan("flatten")}


# --- known mistakes -------------------------------------------------------------------------

def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{mistake: {function: mutant}}`, each mutant the `reference` module with one mistake."""
    def both(pads: m.Pads = m.tf_pads, **mistake: bool) -> dict[str, m.Mutant]:
        return {"max_pool2d": m.pool(pads, fill=-np.inf, reduce="max", **mistake),
                "avg_pool2d": m.pool(pads, fill=0.0, reduce="avg", **mistake)}

    return {
        "uint8_overflow": {"avg_pool2d": m.pool(fill=0.0, reduce="avg", in_input_dtype=True)},
        "extra_top_left": both(m.top_left_pads),
        "floor_same": both(m.floor_pads),
        "swapped_stride": {"max_pool2d": lambda x, pool_size=2, strides=None, padding="valid":
                           reference.max_pool2d(x, pool_size,
                                                None if strides is None else m.swapped(strides),
                                                padding)},
        "avg_counts_padding": {"avg_pool2d": m.pool(fill=0.0, reduce="avg", count_padding=True)},
        "max_pads_zeros": {"max_pool2d": m.pool(fill=0.0, reduce="max")},
        "pool_stride_one": both(stride_default_one=True),
        "pool_across_channels": both(across_channels=True),
        "flatten_channels_first": {"flatten": lambda x: m.f(x).transpose(2, 0, 1).reshape(-1)},
    }
