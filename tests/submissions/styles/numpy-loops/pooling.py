"""Pooling with explicit loops over output cells and channels."""

import numpy as np


def _pair(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0
                             for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair, got {value!r}")
    return int(pair[0]), int(pair[1])


def _maps(x):
    x = np.asarray(x)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    return x.astype(float)


def _windows(x, pool_size, strides, padding):
    """Yields (r, c, rows, cols): output cell and the real input rows/cols it covers."""
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair((ph, pw) if strides is None else strides, "strides")
    h, w = x.shape[:2]
    if padding == "valid":
        if ph > h or pw > w:
            raise ValueError(f"pool {(ph, pw)} is larger than the input {(h, w)}")
        out_h, out_w, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    elif padding == "same":
        out_h, out_w = -(-h // sh), -(-w // sw)
        top = max((out_h - 1) * sh + ph - h, 0) // 2
        left = max((out_w - 1) * sw + pw - w, 0) // 2
    else:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    for r in range(out_h):
        for c in range(out_w):
            rows = [y for y in range(r * sh - top, r * sh - top + ph) if 0 <= y < h]
            cols = [v for v in range(c * sw - left, c * sw - left + pw) if 0 <= v < w]
            yield r, c, rows, cols, (out_h, out_w)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    x = _maps(x)
    cells = list(_windows(x, pool_size, strides, padding))
    out = np.zeros(cells[0][4] + (x.shape[2],))
    for r, c, rows, cols, _ in cells:
        for ch in range(x.shape[2]):
            best = -np.inf
            for y in rows:
                for v in cols:
                    best = max(best, x[y, v, ch])
            out[r, c, ch] = best
    return out


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    x = _maps(x)
    cells = list(_windows(x, pool_size, strides, padding))
    out = np.zeros(cells[0][4] + (x.shape[2],))
    for r, c, rows, cols, _ in cells:
        for ch in range(x.shape[2]):
            total = 0.0
            for y in rows:
                for v in cols:
                    total += x[y, v, ch]
            out[r, c, ch] = total / (len(rows) * len(cols))
    return out


def global_avg_pool2d(x):
    x = _maps(x)
    h, w, channels = x.shape
    out = np.zeros(channels)
    for ch in range(channels):
        total = 0.0
        for y in range(h):
            for v in range(w):
                total += x[y, v, ch]
        out[ch] = total / (h * w)
    return out


def flatten(x):
    x = _maps(x)
    values = []
    for y in range(x.shape[0]):
        for v in range(x.shape[1]):
            for ch in range(x.shape[2]):
                values.append(x[y, v, ch])
    return np.array(values)
