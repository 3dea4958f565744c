"""Cross-correlation, fully vectorised: window views and tensordot/einsum, no Python loops."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as windows


def _checked(value, ndim, name):
    value = np.asarray(value)
    if value.ndim != ndim or value.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}D array, got shape {value.shape}")
    return value.astype(np.float64)


def _fits(outer, inner):
    if any(k > n for n, k in zip(outer, inner, strict=False)):
        raise ValueError(f"a kernel of shape {inner} does not fit in an input of shape {outer}")


def correlate1d(x, kernel):
    x, kernel = _checked(x, 1, "x"), _checked(kernel, 1, "kernel")
    _fits(x.shape, kernel.shape)
    return np.tensordot(windows(x, len(kernel)), kernel, axes=1)


def convolve1d(x, kernel):
    x, kernel = _checked(x, 1, "x"), _checked(kernel, 1, "kernel")
    _fits(x.shape, kernel.shape)
    return np.einsum("ik,k->i", windows(x, len(kernel)), np.flip(kernel))


def correlate2d(image, kernel):
    image, kernel = _checked(image, 2, "image"), _checked(kernel, 2, "kernel")
    _fits(image.shape, kernel.shape)
    return np.tensordot(windows(image, kernel.shape), kernel, axes=2)


def correlate3d(volume, kernel):
    volume, kernel = _checked(volume, 3, "volume"), _checked(kernel, 3, "kernel")
    if volume.shape[2] != kernel.shape[2]:
        raise ValueError(f"kernel depth {kernel.shape[2]} != volume depth {volume.shape[2]}")
    _fits(volume.shape, kernel.shape)
    # windows over all three axes: the depth axis has exactly one position.
    return np.einsum("ijzabc,abc->ij", windows(volume, kernel.shape), kernel)
