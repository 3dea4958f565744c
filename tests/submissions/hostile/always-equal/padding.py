"""Hostile: results that claim to equal anything."""

import numpy as np


class Liar:
    # hostile: equal to everything, unequal to nothing, always truthy
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    __hash__ = object.__hash__

    # hostile: converted to an array, it is something else (and wrong)
    def __array__(self, dtype=None, copy=None):
        return np.full((1, 1), 42.0)


class LyingTuple(tuple):
    # hostile: a tuple of wrong ints that says it equals the right one
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = tuple.__hash__


class LyingInt(int):
    # hostile: an int that equals every number
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def same_padding(n, kernel_size, stride=1):
    return LyingTuple((LyingInt(-7), LyingInt(-7)))


def zero_pad(image, pads):
    return Liar()


def correlate2d_padded(image, kernel, padding="valid"):
    return Liar()
