"""Pooling for lists or arrays alike: the windows are cropped to the real cells."""

import numpy as np


def _pair(value):
    pair = list(value) if isinstance(value, (tuple, list)) else [value, value]
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 and v > 0 for v in pair):
        raise ValueError(f"sizes and strides must be positive ints or pairs, got {value!r}")
    return pair


def _input(x):
    x = np.asarray(x, dtype=float)
    if x.ndim != 3 or x.size == 0:
        raise ValueError("x must be a non-empty (H, W, C) input")
    return x


def _cells(n, size, step, padding):
    """[(start, stop)] of real indices for each output position along one axis."""
    if padding == "valid":
        if size > n:
            raise ValueError("the pool is larger than the input")
        return [(i * step, i * step + size) for i in range((n - size) // step + 1)]
    if padding == "same":
        out = -(-n // step)
        before = max((out - 1) * step + size - n, 0) // 2
        return [(max(i * step - before, 0), min(i * step - before + size, n)) for i in range(out)]
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def _pool(x, pool_size, strides, padding, reduce):
    x = _input(x)
    size = _pair(pool_size)
    step = _pair(size if strides is None else strides)
    rows = _cells(x.shape[0], size[0], step[0], padding)
    cols = _cells(x.shape[1], size[1], step[1], padding)
    return np.asarray([[reduce(x[r0:r1, c0:c1], axis=(0, 1)) for c0, c1 in cols]
                       for r0, r1 in rows])


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.max)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, np.mean)


def global_avg_pool2d(x):
    return np.mean(_input(x), axis=(0, 1))


def flatten(x):
    return np.asarray(_input(x).tolist()).reshape(-1)
