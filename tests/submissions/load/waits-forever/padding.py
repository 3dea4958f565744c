"""Load: one function waits without computing (no CPU time is used, so only the parent's wall
clock can stop it); the other two are correct."""

import time

import numpy as np


def same_padding(n, kernel_size, stride=1):
    if min(n, kernel_size, stride) < 1:
        raise ValueError(f"n, kernel_size and stride must be positive, got {n, kernel_size, stride}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image, pads):
    image = np.asarray(image, dtype=float)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) or (H, W, C) array, got {image.shape}")
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must be non-negative, got {pads}")
    return np.pad(image, [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    time.sleep(3600)  # waits: no CPU time passes
