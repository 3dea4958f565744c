"""Strided cross-correlation, vectorised: a strided slice of the window view."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def output_size(n, kernel_size, stride=1, padding="valid"):
    n, k, s = _int(n, "n"), _int(kernel_size, "kernel_size"), _int(stride, "stride")
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding mode {padding!r}")
    if padding == "same":
        return -(-n // s)
    if k > n:
        raise ValueError(f"kernel_size {k} > n {n} with 'valid' padding")
    return (n - k) // s + 1


def correlate2d_strided(image, kernel, stride=1, padding="valid"):
    image, kernel = np.asarray(image), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    steps = tuple(stride) if isinstance(stride, (tuple, list)) else (stride, stride)
    if len(steps) != 2:
        raise ValueError(f"stride must be an int or a pair, got {stride!r}")
    sizes = [output_size(n, k, s, padding) for n, k, s in zip(image.shape, kernel.shape, steps, strict=False)]
    data = image.astype(np.float64)
    if padding == "same":
        totals = [max((o - 1) * s + k - n, 0)
                  for o, s, k, n in zip(sizes, steps, kernel.shape, image.shape, strict=False)]
        data = np.pad(data, [(t // 2, t - t // 2) for t in totals])
    view = sliding_window_view(data, kernel.shape)[::steps[0], ::steps[1]][:sizes[0], :sizes[1]]
    return np.tensordot(view, kernel, axes=2)
