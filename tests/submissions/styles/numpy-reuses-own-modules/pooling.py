"""Pooling (vectorised with window views); cnn.py of this submission imports it."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 and v >= 1 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair


def _input(x):
    x = np.asarray(x)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    return x.astype(np.float64)


def _views(x, pool_size, strides, padding, fill):
    pool = _pair(pool_size, "pool_size")
    step = _pair(pool if strides is None else strides, "strides")
    real = np.ones((*x.shape[:2], 1))
    if padding == "same":
        widths = []
        for n, p, s in zip(x.shape[:2], pool, step, strict=False):
            total = max((-(-n // s) - 1) * s + p - n, 0)
            widths.append((total // 2, total - total // 2))
        x = np.pad(x, [*widths, (0, 0)], constant_values=fill)
        real = np.pad(real, [*widths, (0, 0)])
    elif padding != "valid":
        raise ValueError(f"unknown padding mode {padding!r}")
    elif pool[0] > x.shape[0] or pool[1] > x.shape[1]:
        raise ValueError(f"pool {pool} is larger than the input {x.shape[:2]}")
    cut = (slice(None, None, step[0]), slice(None, None, step[1]))
    return (sliding_window_view(x, pool, axis=(0, 1))[cut],
            sliding_window_view(real, pool, axis=(0, 1))[cut])


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    values, _ = _views(_input(x), pool_size, strides, padding, -np.inf)
    return values.max(axis=(3, 4))


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    values, real = _views(_input(x), pool_size, strides, padding, 0.0)
    return values.sum(axis=(3, 4)) / real.sum(axis=(3, 4))


def global_avg_pool2d(x):
    return np.einsum("hwc->c", _input(x)) / (np.shape(x)[0] * np.shape(x)[1])


def flatten(x):
    return np.ravel(_input(x), order="C")
