"""Cross-correlation: the building block the other modules of this submission import."""

import numpy as np


def _float(value, ndim, name):
    value = np.asarray(value)
    if value.ndim != ndim or value.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}D array, got shape {value.shape}")
    return value.astype(np.float64)


def correlate1d(x, kernel):
    x, kernel = _float(x, 1, "x"), _float(kernel, 1, "kernel")
    if kernel.size > x.size:
        raise ValueError("the kernel is longer than the input")
    return np.array([x[i:i + kernel.size] @ kernel for i in range(x.size - kernel.size + 1)])


def convolve1d(x, kernel):
    return correlate1d(x, _float(kernel, 1, "kernel")[::-1])


def correlate2d(image, kernel):
    image, kernel = _float(image, 2, "image"), _float(kernel, 2, "kernel")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * image[i:i + out.shape[0], j:j + out.shape[1]]
    return out


def correlate3d(volume, kernel):
    volume, kernel = _float(volume, 3, "volume"), _float(kernel, 3, "kernel")
    if volume.shape[2] != kernel.shape[2]:
        raise ValueError("the kernel must be as deep as the volume")
    return sum(correlate2d(volume[:, :, c], kernel[:, :, c]) for c in range(volume.shape[2]))
