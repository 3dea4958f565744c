"""Hostile: an ndarray subclass whose every comparison and conversion lies; the data underneath
is wrong (all -1)."""

import numpy as np


class Lying(np.ndarray):
    # hostile: elementwise comparisons all True, any() / all() / bool() True
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    __hash__ = None

    def __bool__(self):
        return True

    # hostile: ufuncs (np.isclose, np.subtract, np.abs ...) answer "equal" / zero
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(self.shape)

    # hostile: np.allclose, np.array_equal, np.testing.* say "equal"
    def __array_function__(self, func, types, args, kwargs):
        return True

    # hostile: as a scalar it is whatever one compares it with
    def __float__(self):
        return 0.0

    def __int__(self):
        return 0

    # hostile: asked for an array, it hands out a different one
    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)

    def __reduce__(self):
        return (print, ("hostile: unpickled in the grader",))


def _lie(shape):
    return np.full(shape, -1.0).view(Lying)


def same_padding(n, kernel_size, stride=1):
    return _lie((2,))


def zero_pad(image, pads):
    (top, bottom), (left, right) = pads
    shape = np.shape(image)
    return _lie((shape[0] + top + bottom, shape[1] + left + right, *shape[2:]))


def correlate2d_padded(image, kernel, padding="valid"):
    return _lie(np.shape(image))
