"""Zero padding and TensorFlow's 'same' rule, with explicit loops."""

import math

import numpy as np


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def same_padding(n, kernel_size, stride=1):
    n = _positive(n, "n")
    kernel_size = _positive(kernel_size, "kernel_size")
    stride = _positive(stride, "stride")
    out = math.ceil(n / stride)
    total = (out - 1) * stride + kernel_size - n
    if total < 0:
        total = 0
    before = total // 2
    if kernel_size % 2 == 0:  # BUG: for even kernels the odd pixel goes first (top/left)
        before = total - total // 2
    return before, total - before


def zero_pad(image, pads):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty 2D or 3D array, got shape {image.shape}")
    (top, bottom), (left, right) = pads
    for amount in (top, bottom, left, right):
        if isinstance(amount, bool) or not isinstance(amount, (int, np.integer)) or amount < 0:
            raise ValueError(f"pads must be non-negative integers, got {pads!r}")
    h, w = image.shape[:2]
    out = np.zeros((h + top + bottom, w + left + right, *image.shape[2:]))
    for r in range(h):
        for c in range(w):
            out[top + r, left + c] = image[r, c]
    return out


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    image = np.asarray(image)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D arrays")
    kh, kw = kernel.shape
    if padding == "same":
        image = zero_pad(image, (same_padding(image.shape[0], kh), same_padding(image.shape[1], kw)))
    else:
        image = image.astype(float)
        if kh > image.shape[0] or kw > image.shape[1]:
            raise ValueError(f"kernel {kernel.shape} does not fit in image {image.shape}")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            total = 0.0
            for i in range(kh):
                for j in range(kw):
                    total += image[r + i, c + j] * kernel[i, j]
            out[r, c] = total
    return out
