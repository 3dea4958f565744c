"""Pooling in float32 throughout."""

import numpy as np

F32 = np.float32


def _pair(value, name):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                             for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair, got {value!r}")
    return pair


def _pool(x, pool_size, strides, padding, kind):
    x = np.asarray(x)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    x = x.astype(F32)
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair((ph, pw) if strides is None else strides, "strides")
    h, w, channels = x.shape
    if padding == "valid":
        if ph > h or pw > w:
            raise ValueError(f"pool {(ph, pw)} is larger than the input {(h, w)}")
        out_h, out_w, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    elif padding == "same":
        out_h, out_w = (h + sh - 1) // sh, (w + sw - 1) // sw
        top = max((out_h - 1) * sh + ph - h, 0) // 2
        left = max((out_w - 1) * sw + pw - w, 0) // 2
    else:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    out = np.zeros((out_h, out_w, channels), dtype=F32)
    for r in range(out_h):
        for c in range(out_w):
            r0, c0 = max(r * sh - top, 0), max(c * sw - left, 0)
            r1, c1 = min(r * sh - top + ph, h), min(c * sw - left + pw, w)
            window = x[r0:r1, c0:c1, :]
            out[r, c] = window.max(axis=(0, 1)) if kind == "max" else window.mean(axis=(0, 1), dtype=F32)
    return out


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, "max")


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, "avg")


def global_avg_pool2d(x):
    x = np.asarray(x)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    return x.astype(F32).mean(axis=(0, 1), dtype=F32)


def flatten(x):
    x = np.asarray(x)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    return x.astype(F32).reshape(-1)
