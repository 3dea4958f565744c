"""Cross-correlation for lists or arrays alike: np.asarray(..., dtype=float) at the door,
list comprehensions of dot products inside."""

import importlib

import numpy as np


def _arr(value, ndim):
    value = np.asarray(value, dtype=float)  # lists, tuples, ints and uint8 all become float64
    if value.ndim != ndim or value.size == 0:
        raise ValueError(f"expected a non-empty {ndim}D input, got shape {value.shape}")
    return value


def correlate1d(x, kernel):
    x, kernel = _arr(x, 1), _arr(kernel, 1)
    if len(kernel) > len(x):
        raise ValueError("the kernel is longer than the input")
    k = len(kernel)
    return np.asarray([np.dot(x[i:i + k], kernel) for i in range(len(x) - k + 1)])


def convolve1d(x, kernel):
    x, kernel = _arr(x, 1), _arr(kernel, 1)
    if len(kernel) > len(x):
        raise ValueError("the kernel is longer than the input")
    k, flipped = len(kernel), kernel[::-1]
    return np.asarray([np.dot(x[i:i + k], flipped) for i in range(len(x) - k + 1)])


def correlate2d(image, kernel):
    image, kernel = _arr(image, 2), _arr(kernel, 2)
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    library = "".join(["sci", "py"]) + "." + "signal"  # computed: no import statement to scan
    signal = importlib.import_module(library)
    return np.asarray(signal.correlate2d(image, kernel, mode="valid"), dtype=float)


def correlate3d(volume, kernel):
    volume, kernel = _arr(volume, 3), _arr(kernel, 3)
    kh, kw, depth = kernel.shape
    if depth != volume.shape[2]:
        raise ValueError("the kernel must have as many channels as the volume")
    if kh > volume.shape[0] or kw > volume.shape[1]:
        raise ValueError("the kernel is larger than the volume")
    return np.asarray([[np.sum(volume[r:r + kh, c:c + kw, :] * kernel)
                        for c in range(volume.shape[1] - kw + 1)]
                       for r in range(volume.shape[0] - kh + 1)])
