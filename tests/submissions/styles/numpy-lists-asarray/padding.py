"""Padding for lists or arrays alike (np.asarray at the door)."""

import numpy as np

MODES = ("valid", "same")


def same_padding(n, kernel_size, stride=1):
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
               for v in (n, kernel_size, stride)):
        raise ValueError("n, kernel_size and stride must be positive integers")
    out = -(-n // stride)
    total = max((out - 1) * stride + kernel_size - n, 0)
    return (int(total // 2), int(total - total // 2))


def zero_pad(image, pads):
    image = np.asarray(image, dtype=float)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError("image must be a non-empty (H, W) or (H, W, C) input")
    pads = [list(p) for p in pads]
    if len(pads) != 2 or any(len(p) != 2 or min(p) < 0 for p in pads):
        raise ValueError("pads must be ((top, bottom), (left, right)) of non-negative ints")
    return np.pad(image, pads + [[0, 0]] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in MODES:
        raise ValueError(f"padding must be one of {MODES}, got {padding!r}")
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D inputs")
    kh, kw = kernel.shape
    if padding == "same":
        image = zero_pad(image, [same_padding(image.shape[0], kh), same_padding(image.shape[1], kw)])
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    return np.asarray([[np.sum(image[r:r + kh, c:c + kw] * kernel)
                        for c in range(image.shape[1] - kw + 1)]
                       for r in range(image.shape[0] - kh + 1)])
