"""Strided cross-correlation with explicit loops."""

import math

import numpy as np


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def output_size(n, kernel_size, stride=1, padding="valid"):
    n = _positive(n, "n")
    kernel_size = _positive(kernel_size, "kernel_size")
    stride = _positive(stride, "stride")
    if padding == "valid":
        if kernel_size > n:
            raise ValueError(f"kernel_size {kernel_size} is larger than n={n}")
        return math.ceil((n - kernel_size) / stride) + 1  # BUG: a window sticking out counts
    if padding == "same":
        return (n + stride - 1) // stride
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def _length(n, k, s, padding):
    """The map size this module computes with (right: the slip is only in output_size)."""
    _positive(s, "stride")
    if padding == "same":
        return (n + s - 1) // s
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if k > n:
        raise ValueError(f"kernel of {k} larger than {n}")
    return (n - k) // s + 1


def correlate2d_strided(image, kernel, stride=1, padding="valid"):
    image = np.asarray(image)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    if isinstance(stride, (tuple, list)):
        sh, sw = stride
    else:
        sh = sw = stride
    h, w = image.shape
    kh, kw = kernel.shape
    out_h = _length(h, kh, sh, padding)
    out_w = _length(w, kw, sw, padding)
    top = left = 0
    if padding == "same":
        top = max((out_h - 1) * sh + kh - h, 0) // 2
        left = max((out_w - 1) * sw + kw - w, 0) // 2
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            total = 0.0
            for i in range(kh):
                for j in range(kw):
                    y, x = r * sh + i - top, c * sw + j - left
                    if 0 <= y < h and 0 <= x < w:  # outside the image: a padded zero
                        total += float(image[y, x]) * kernel[i, j]
            out[r, c] = total
    return out
