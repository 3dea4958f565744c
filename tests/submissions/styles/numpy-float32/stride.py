"""Strided cross-correlation in float32 throughout."""

import numpy as np

F32 = np.float32


def output_size(n, kernel_size, stride=1, padding="valid"):
    for value in (n, kernel_size, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"n, kernel_size and stride must be positive ints, got {value!r}")
    if padding == "same":
        return int((n + stride - 1) // stride)
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if kernel_size > n:
        raise ValueError(f"kernel_size {kernel_size} is larger than n={n}")
    return int((n - kernel_size) // stride + 1)


def correlate2d_strided(image, kernel, stride=1, padding="valid"):
    image, kernel = np.asarray(image), np.asarray(kernel).astype(F32)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = output_size(h, kh, sh, padding), output_size(w, kw, sw, padding)
    data = image.astype(F32)
    if padding == "same":
        th, tw = max((out_h - 1) * sh + kh - h, 0), max((out_w - 1) * sw + kw - w, 0)
        data = np.pad(data, ((th // 2, th - th // 2), (tw // 2, tw - tw // 2)))
    out = np.zeros((out_h, out_w), dtype=F32)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * data[i:i + (out_h - 1) * sh + 1:sh, j:j + (out_w - 1) * sw + 1:sw]
    return out
