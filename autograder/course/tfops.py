"""What the exercises' TensorFlow/Keras oracles share (the `tf_<function>` of each course file).

TensorFlow is imported on the first oracle call, not on import: the grader reads the course
files for their hidden-case plans and must stay light. Every input is wrapped as float64 on
purpose: some `tf.nn` ops given raw float64 arrays compute in float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np


@cache
def tf() -> Any:
    from autograder.core.tfquiet import tensorflow

    return tensorflow()


def deterministic() -> None:
    """Single-threaded TensorFlow with deterministic ops, for a process that only computes
    oracles (fixture regeneration): the sums of a forward pass then come out in one order, so
    regenerated fixtures are the same bytes (many threads split the reductions differently from
    run to run). Process-wide and for good: never in a process that runs anything else (random
    ops then need explicit seeds)."""
    module = tf()
    with contextlib.suppress(RuntimeError):  # TensorFlow already ran something here
        module.config.threading.set_intra_op_parallelism_threads(1)
        module.config.threading.set_inter_op_parallelism_threads(1)
    module.config.experimental.enable_op_determinism()


@cache
def keras() -> Any:
    tf()  # TensorFlow's quiet import first
    import keras as module

    return module


def f64(x: Any) -> Any:
    return tf().constant(np.asarray(x, dtype=np.float64), dtype=tf().float64)


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    return int(value[0]), int(value[1])


def conv(image: Any, kernel: Any, strides: int | Sequence[int] = 1,
         padding: str = "valid") -> np.ndarray:
    """tf.nn.conv2d of one (H, W, C) image with (kh, kw, C, F) kernels."""
    out = tf().nn.conv2d(f64(image)[None], f64(kernel), strides=[1, *pair(strides), 1],
                         padding=padding.upper())
    return out[0].numpy()


def conv_single(image: Any, kernel: Any, stride: Any = 1, padding: str = "valid") -> np.ndarray:
    """A 2D image correlated with one 2D kernel, as tf.nn.conv2d computes it."""
    return conv(np.asarray(image)[..., None], np.asarray(kernel)[..., None, None], stride,
                padding)[..., 0]
