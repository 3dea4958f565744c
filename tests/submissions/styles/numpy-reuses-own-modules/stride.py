"""Strided cross-correlation, reusing this submission's own padding.same_padding/zero_pad."""

import numpy as np
from padding import same_padding, zero_pad


def output_size(n, kernel_size, stride=1, padding="valid"):
    for value in (n, kernel_size, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"n, kernel_size and stride must be positive ints, got {value!r}")
    if padding == "same":
        return int(-(-n // stride))
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if kernel_size > n:
        raise ValueError(f"kernel_size {kernel_size} is larger than n={n}")
    return int((n - kernel_size) // stride + 1)


def correlate2d_strided(image, kernel, stride=1, padding="valid"):
    image, kernel = np.asarray(image), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    sh, sw = tuple(stride) if isinstance(stride, (tuple, list)) else (stride, stride)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = output_size(h, kh, sh, padding), output_size(w, kw, sw, padding)
    data = image.astype(np.float64)
    if padding == "same":
        data = zero_pad(data, (same_padding(h, kh, sh), same_padding(w, kw, sw)))
    out = np.zeros((out_h, out_w))
    for r in range(out_h):
        for c in range(out_w):
            out[r, c] = np.sum(data[r * sh:r * sh + kh, c * sw:c * sw + kw] * kernel)
    return out
