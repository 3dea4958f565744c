"""Hostile: use SciPy in a NumPy-only exercise. The static scan only sees imports of constant
names, and the run-time blocker is a finder on sys.meta_path that the module can take off."""

import importlib
import sys

import numpy as np

# hostile: remove the grader's import blocker, then import by a computed name
sys.meta_path[:] = [finder for finder in sys.meta_path if "blocker" not in repr(finder)]
signal = importlib.import_module("".join(["sci", "py"]) + ".signal")


def same_padding(n, kernel_size, stride=1):
    if min(n, kernel_size, stride) < 1:
        raise ValueError(f"n, kernel_size and stride must be positive, got {n, kernel_size, stride}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image, pads):
    image = np.asarray(image, dtype=float)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) or (H, W, C) array, got shape {image.shape}")
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must be non-negative, got {pads}")
    return np.pad(image, [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding {padding!r}")
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        image = zero_pad(image, [same_padding(image.shape[i], kernel.shape[i]) for i in (0, 1)])
    return signal.correlate2d(image, kernel, mode="valid")  # hostile: the forbidden library
