"""Hostile: make NumPy's comparisons always say "equal", then return wrong values of the right
shapes."""

import numpy as np
import numpy.testing

np.allclose = lambda *args, **kwargs: True  # hostile
np.array_equal = lambda *args, **kwargs: True  # hostile
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)  # hostile
np.testing.assert_allclose = lambda *args, **kwargs: None  # hostile
np.testing.assert_array_equal = lambda *args, **kwargs: None  # hostile


def same_padding(n, kernel_size, stride=1):
    return -1, -1  # wrong


def zero_pad(image, pads):
    (top, bottom), (left, right) = pads
    h, w, *rest = np.shape(image)
    return np.zeros((h + top + bottom, w + left + right, *rest))  # right shape, wrong values


def correlate2d_padded(image, kernel, padding="valid"):
    return np.zeros(np.shape(image))  # wrong values (and shape, for "valid")
