"""Exercise 1: cross-correlation, the sliding dot product, in 1D, 2D and 3D.

A convolutional layer finds local features by sliding a small kernel over its input and taking,
at every position, the dot product of the kernel with the patch beneath it. The bigger the
number, the more strongly that feature is present there. You build that operation here, step by
step, following the slides "Cross Correlation", "Convolution", "2D Convolutional Operation" and
"Convolution in 3D".

Conventions for this exercise:

- No padding and stride 1: an input of length `n` and a kernel of length `k` fit `n - k + 1`
  positions (on each axis).
- What deep learning calls a convolution is cross-correlation: the kernel is used as it is, not
  flipped. Only `convolve1d` flips it, to show the difference.
- Channels last: a volume is `(H, W, C)`, and a 3D kernel `(kh, kw, C)` has the input's depth.
- Inputs may be lists or arrays of any real dtype (`uint8` too). Return a float `np.ndarray`
  (float64 is safest: integer or `uint8` arithmetic truncates or wraps around).
- Never modify the inputs.
- Raise `ValueError` (with a message saying what is wrong) for an input with the wrong number of
  dimensions, an empty input, a kernel larger than the input, or a 3D kernel whose depth differs
  from the volume's.
- Use NumPy only: TensorFlow, Keras, SciPy, PyTorch and JAX may not be imported here, and
  `np.correlate` / `np.convolve` may not be called in `correlate1d` or `convolve1d`. The grader
  checks this.

Run the checks from the repository root with `pytest exercises/test_cross_correlation.py` or
`autograder check cross_correlation`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def correlate1d(x: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Cross-correlate a signal `x (n,)` with a `kernel (k,)`.

    Output value `i` is the dot product of `kernel` with the window `x[i], ..., x[i + k - 1]`.

    Returns:
        a float array of shape `(n - k + 1,)`.

    Raises:
        ValueError: if `x` or `kernel` is not 1D, is empty, or if `k > n`.

    Do not call `np.correlate` or `np.convolve`: writing the sliding dot product is the exercise.

    The lecture's example, looking for the feature (2 0 2 1):

    >>> correlate1d([1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1], [2, 0, 2, 1])
    array([ 3., 10.,  6.,  6.,  6.,  9.,  2.,  6.,  7.])
    """
    # TODO: turn x and kernel into float arrays and check them (1D, not empty, k <= n).
    # TODO: for each of the n - k + 1 start positions i, take the dot product of kernel with
    #       x[i:i + k] and collect the results in one float array.
    raise NotImplementedError("correlate1d is not implemented yet")


def convolve1d(x: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """True convolution of `x (n,)` with `kernel (k,)`: the kernel is reversed before sliding.

    The result equals `np.convolve(x, kernel, "valid")`, but `np.convolve` and `np.correlate`
    may not be used here; call your own `correlate1d` instead.

    Returns:
        a float array of shape `(n - k + 1,)`.

    Raises:
        ValueError: in the same cases as `correlate1d`.

    Same input as the lecture's example; the flipped kernel finds different values:

    >>> convolve1d([1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1], [2, 0, 2, 1])
    array([ 9.,  7.,  6.,  5., 10.,  4.,  4.,  8.,  3.])
    """
    # TODO: reverse the kernel (last element first) and hand the work to correlate1d.
    raise NotImplementedError("convolve1d is not implemented yet")


def correlate2d(image: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Slide a `kernel (kh, kw)` over an `image (H, W)`: the 2D feature map.

    Output value `[i, j]` is the sum of `kernel` times the `(kh, kw)` patch of `image` whose
    top-left corner is `[i, j]`.

    Returns:
        a float array of shape `(H - kh + 1, W - kw + 1)`.

    Raises:
        ValueError: if `image` or `kernel` is not 2D, is empty, or the kernel does not fit
            inside the image on either axis.

    >>> correlate2d([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]])
    array([[19., 25.],
           [37., 43.]])

    (A flipped kernel would give `[[5, 11], [23, 29]]`: that is convolution, not what we want.)
    """
    # TODO: convert and check image and kernel (2D, not empty, kernel fits in the image).
    # TODO: loop over every output position [i, j]; multiply the kernel with the patch
    #       image[i:i + kh, j:j + kw] elementwise and sum.
    raise NotImplementedError("correlate2d is not implemented yet")


def correlate3d(volume: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Slide a `kernel (kh, kw, C)` over a `volume (H, W, C)`, summing over every channel.

    The kernel is exactly as deep as the volume, so it only moves along height and width, and
    one kernel gives one 2D feature map.

    Returns:
        a float array of shape `(H - kh + 1, W - kw + 1)`.

    Raises:
        ValueError: if `volume` or `kernel` is not 3D, is empty, the channel counts differ, or
            the kernel does not fit inside the volume's height and width.

    Two channels, a kernel of ones: each value adds up 2 x 2 x 2 = 8 numbers.

    >>> volume = np.arange(12).reshape(2, 3, 2)  # (H, W, C) = (2, 3, 2)
    >>> correlate3d(volume, np.ones((2, 2, 2)))
    array([[36., 52.]])
    """
    # TODO: convert and check volume and kernel (3D, not empty, same C, kernel fits in H and W).
    # TODO: for every output position [i, j], multiply the kernel with the (kh, kw, C) block
    #       volume[i:i + kh, j:j + kw, :] elementwise and sum over all three axes.
    raise NotImplementedError("correlate3d is not implemented yet")
