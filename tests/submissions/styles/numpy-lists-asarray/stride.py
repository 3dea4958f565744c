"""Strided cross-correlation for lists or arrays alike."""

import numpy as np


def output_size(n, kernel_size, stride=1, padding="valid"):
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
               for v in (n, kernel_size, stride)):
        raise ValueError("n, kernel_size and stride must be positive integers")
    if padding == "same":
        return int(-(-n // stride))
    if padding == "valid":
        if kernel_size > n:
            raise ValueError("the kernel is larger than the input")
        return int((n - kernel_size) // stride + 1)
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def correlate2d_strided(image, kernel, stride=1, padding="valid"):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2D inputs")
    sh, sw = (list(stride) * 2)[:2] if isinstance(stride, (tuple, list)) else (stride, stride)
    kh, kw = kernel.shape
    rows = output_size(image.shape[0], kh, sh, padding)
    cols = output_size(image.shape[1], kw, sw, padding)
    if padding == "same":
        th = max((rows - 1) * sh + kh - image.shape[0], 0)
        tw = max((cols - 1) * sw + kw - image.shape[1], 0)
        image = np.pad(image, [[th // 2, th - th // 2], [tw // 2, tw - tw // 2]])
    return np.asarray([[np.sum(image[r * sh:r * sh + kh, c * sw:c * sw + kw] * kernel)
                        for c in range(cols)] for r in range(rows)])
