"""Cross-correlation written with explicit Python loops over output positions."""

import numpy as np


def _as_float(values, name, ndim):
    array = np.asarray(values)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    return array.astype(float)


def correlate1d(x, kernel):
    x = _as_float(x, "x", 1)
    kernel = _as_float(kernel, "kernel", 1)
    n, k = len(x), len(kernel)
    if k > n:
        raise ValueError(f"kernel of length {k} is longer than the input of length {n}")
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        total = 0.0
        for j in range(k):
            total += x[i + j] * kernel[j]
        out[i] = total
    return out


def convolve1d(x, kernel):
    x = _as_float(x, "x", 1)
    kernel = _as_float(kernel, "kernel", 1)
    n, k = len(x), len(kernel)
    if k > n:
        raise ValueError(f"kernel of length {k} is longer than the input of length {n}")
    out = np.zeros(n - k + 1)
    for i in range(n - k + 1):
        total = 0.0
        for j in range(k):
            total += x[i + j] * kernel[k - 1 - j]
        out[i] = total
    return out


def correlate2d(image, kernel):
    image = _as_float(image, "image", 2)
    kernel = _as_float(kernel, "kernel", 2)
    (h, w), (kh, kw) = image.shape, kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel {kernel.shape} does not fit in image {image.shape}")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for r in range(h - kh + 1):
        for c in range(w - kw + 1):
            total = 0.0
            for i in range(kh):
                for j in range(kw):
                    total += image[r + i, c + j] * kernel[i, j]
            out[r, c] = total
    return out


def correlate3d(volume, kernel):
    volume = _as_float(volume, "volume", 3)
    kernel = _as_float(kernel, "kernel", 3)
    (h, w, depth), (kh, kw, kd) = volume.shape, kernel.shape
    if kd != depth:
        raise ValueError(f"kernel depth {kd} differs from the volume's {depth} channels")
    if kh > h or kw > w:
        raise ValueError(f"kernel {kernel.shape} does not fit in volume {volume.shape}")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for r in range(h - kh + 1):
        for c in range(w - kw + 1):
            total = 0.0
            for i in range(kh):
                for j in range(kw):
                    for d in range(depth):
                        total += volume[r + i, c + j, d] * kernel[i, j, d]
            out[r, c] = total
    return out
