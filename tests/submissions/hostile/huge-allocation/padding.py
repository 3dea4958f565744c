"""Hostile: one function asks for 8 GiB of memory on every call; the other two are correct."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def same_padding(n, kernel_size, stride=1):
    if min(n, kernel_size, stride) < 1:
        raise ValueError(f"n, kernel_size and stride must be positive, got {n, kernel_size, stride}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image, pads):
    waste = np.ones(2**30)  # hostile: 2**30 float64 = 8 GiB, every page written
    return waste[:1]


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding {padding!r}")
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        image = np.pad(image, [same_padding(image.shape[i], kernel.shape[i]) for i in (0, 1)])
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)
