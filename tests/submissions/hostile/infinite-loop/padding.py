"""Hostile: one function never returns; the other two are correct."""

import numpy as np


def same_padding(n, kernel_size, stride=1):
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image, pads):
    image = np.asarray(image, dtype=float)
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must be non-negative, got {pads}")
    return np.pad(image, [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    while True:  # hostile: spins forever on every call
        pass
