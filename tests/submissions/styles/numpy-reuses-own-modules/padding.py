"""Padding, reusing this submission's own cross_correlation.correlate2d."""

import numpy as np
from cross_correlation import correlate2d


def same_padding(n, kernel_size, stride=1):
    for value in (n, kernel_size, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"n, kernel_size and stride must be positive ints, got {value!r}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return int(total // 2), int(total - total // 2)


def zero_pad(image, pads):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty 2D or 3D array, got shape {image.shape}")
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must not be negative, got {pads!r}")
    return np.pad(image.astype(np.float64),
                  [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    if padding == "valid":
        return correlate2d(image, kernel)
    if padding != "same":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or np.ndim(image) != 2:
        raise ValueError("image and kernel must be 2D")
    rows, cols = np.shape(image)
    pads = (same_padding(rows, kernel.shape[0]), same_padding(cols, kernel.shape[1]))
    return correlate2d(zero_pad(image, pads), kernel)
