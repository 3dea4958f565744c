"""Cross-correlation in float32 throughout (the dtype Keras uses); every array returned is float32."""

import numpy as np

F32 = np.float32


def _f32(value, ndim, name):
    array = np.asarray(value)
    if array.ndim != ndim or array.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}D array, got shape {array.shape}")
    return array.astype(F32)


def _valid(n, k):
    if k > n:
        raise ValueError(f"a kernel of {k} does not fit in {n}")
    return n - k + 1


def correlate1d(x, kernel):
    x, kernel = _f32(x, 1, "x"), _f32(kernel, 1, "kernel")
    out = np.zeros(_valid(len(x), len(kernel)), dtype=F32)
    for j, weight in enumerate(kernel):  # one shifted copy of x per kernel tap
        out += weight * x[j:j + len(out)]
    return out


def convolve1d(x, kernel):
    return correlate1d(x, _f32(kernel, 1, "kernel")[::-1])


def correlate2d(image, kernel):
    image, kernel = _f32(image, 2, "image"), _f32(kernel, 2, "kernel")
    rows, cols = _valid(image.shape[0], kernel.shape[0]), _valid(image.shape[1], kernel.shape[1])
    out = np.zeros((rows, cols), dtype=F32)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * image[i:i + rows, j:j + cols]
    return out


def correlate3d(volume, kernel):
    volume, kernel = _f32(volume, 3, "volume"), _f32(kernel, 3, "kernel")
    if volume.shape[2] != kernel.shape[2]:
        raise ValueError(f"kernel depth {kernel.shape[2]} != volume depth {volume.shape[2]}")
    rows, cols = _valid(volume.shape[0], kernel.shape[0]), _valid(volume.shape[1], kernel.shape[1])
    out = np.zeros((rows, cols), dtype=F32)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += volume[i:i + rows, j:j + cols, :] @ kernel[i, j, :]
    return out
