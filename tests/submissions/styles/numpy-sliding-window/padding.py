"""Padding, vectorised: np.pad and a window view."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def same_padding(n, kernel_size, stride=1):
    n, k, s = _int(n, "n", 1), _int(kernel_size, "kernel_size", 1), _int(stride, "stride", 1)
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, (total + 1) // 2


def zero_pad(image, pads):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) or (H, W, C) array, got {image.shape}")
    try:
        (top, bottom), (left, right) = pads
    except (TypeError, ValueError):
        raise ValueError(f"pads must look like ((top, bottom), (left, right)), got {pads!r}") from None
    widths = [(_int(top, "pad", 0), _int(bottom, "pad", 0)), (_int(left, "pad", 0), _int(right, "pad", 0))]
    return np.pad(image.astype(np.float64), widths + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding mode {padding!r}")
    image, kernel = np.asarray(image), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    if padding == "same":
        pads = tuple(same_padding(n, k) for n, k in zip(image.shape, kernel.shape, strict=True))
        image = zero_pad(image, pads)
    elif kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel {kernel.shape} is larger than image {image.shape}")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image.astype(np.float64), kernel.shape), kernel)
