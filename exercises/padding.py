"""Exercise 2: padding modes, zero padding and TensorFlow's "same" rule.

Without padding the kernel has to stay inside the image, so every feature map is smaller than
its input and the border pixels take part in fewer windows. Zero padding adds a frame of zeros
around the image first, so the kernel may also sit on the border. This exercise follows the
slides "Padding Mode", "Zero Padding" and "No Padding"; in Keras the two modes are
`padding="valid"` (no padding) and `padding="same"` (zero padding).

TensorFlow's exact rule, for an axis of length `n`, kernel size `k` and stride `s`:

- the output length is `ceil(n / s)` for `"same"` (and `(n - k) // s + 1` for `"valid"`);
- the total padding is `max((out - 1) * s + k - n, 0)`;
- it is split as `before = total // 2`, `after = total - before`: when the total is odd, the
  extra zero goes to the bottom/right. Only odd kernels at stride 1 pad both sides equally
  (a kernel of 4 pads 1 before and 2 after).

Conventions for this exercise:

- Images are `(H, W)` or channels last `(H, W, C)`; only the two spatial axes are padded.
- Inputs may be lists or arrays of any real dtype (`uint8` too). Arrays come back as float
  `np.ndarray` (float64 recommended); `same_padding` returns a tuple of two Python ints.
- Never modify the inputs.
- Raise `ValueError` for an unknown padding mode (only the lowercase strings `"valid"` and
  `"same"`), a non-positive size or stride, negative pads, a kernel larger than the image with
  `"valid"`, an input with the wrong number of dimensions, or an empty input.
- Use NumPy only: TensorFlow, Keras, SciPy, PyTorch and JAX may not be imported here.

Run the checks from the repository root with `pytest exercises/test_padding.py` or
`autograder check padding`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def same_padding(n: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """The zeros `(before, after)` that `padding="same"` adds to one axis of length `n`.

    Returns:
        a tuple of two non-negative Python ints; `before` is never larger than `after`.

    Raises:
        ValueError: if `n`, `kernel_size` or `stride` is not a positive int.

    >>> same_padding(5, 3)  # odd kernel, stride 1: symmetric
    (1, 1)
    >>> same_padding(5, 4)  # even kernel: the odd zero goes after
    (1, 2)
    >>> same_padding(4, 3, stride=2)  # the padding depends on the stride
    (0, 1)
    """
    # TODO: check that n, kernel_size and stride are positive ints.
    # TODO: compute the output length ceil(n / stride) with integer arithmetic, then the total
    #       padding from the rule in the module docstring, and split it with the odd zero after.
    raise NotImplementedError("same_padding is not implemented yet")


def zero_pad(image: ArrayLike, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """Surround `image (H, W)` or `(H, W, C)` with zeros on the two spatial axes.

    `pads = ((top, bottom), (left, right))` counts the rows and columns of zeros to add; the
    channel axis, if there is one, is never padded.

    Returns:
        a float array of shape `(top + H + bottom, left + W + right)` (plus `C` if given), with
        the image's values in the middle.

    Raises:
        ValueError: if `image` is not 2D or 3D, or is empty, or `pads` is not two pairs of
            non-negative ints.

    >>> zero_pad([[1, 2], [3, 4]], ((1, 0), (0, 2)))
    array([[0., 0., 0., 0.],
           [1., 2., 0., 0.],
           [3., 4., 0., 0.]])
    >>> zero_pad(np.ones((2, 2, 3)), ((1, 1), (1, 1))).shape
    (4, 4, 3)
    """
    # TODO: convert and check the image and unpack pads into top, bottom, left, right
    #       (all non-negative ints).
    # TODO: make a float array of zeros of the padded shape and copy the image into the
    #       middle of it (the channels, if any, stay as they are).
    raise NotImplementedError("zero_pad is not implemented yet")


def correlate2d_padded(image: ArrayLike, kernel: ArrayLike, padding: str = "valid") -> np.ndarray:
    """Cross-correlate `image (H, W)` with `kernel (kh, kw)` in the given padding mode.

    Stride 1, kernel not flipped. `padding="valid"` uses no padding; `padding="same"` zero-pads
    each axis by `same_padding` first, so the feature map keeps the image's size.

    Returns:
        a float array of shape `(H - kh + 1, W - kw + 1)` for `"valid"`, `(H, W)` for `"same"`.

    Raises:
        ValueError: for a padding mode other than `"valid"` or `"same"`, an `image` or `kernel`
            that is not 2D or is empty, or (with `"valid"`) a kernel larger than the image.

    The lecture's example as a 1 x 12 image: "same" pads 1 zero on the left and 2 on the right.

    >>> x = [[1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1]]
    >>> correlate2d_padded(x, [[2, 0, 2, 1]], "same")
    array([[ 6.,  3., 10.,  6.,  6.,  6.,  9.,  2.,  6.,  7.,  2.,  4.]])
    >>> correlate2d_padded(x, [[2, 0, 2, 1]], "valid")
    array([[ 3., 10.,  6.,  6.,  6.,  9.,  2.,  6.,  7.]])
    """
    # TODO: reject any padding mode other than "valid" and "same"; convert and check the inputs.
    # TODO: for "same", pad the image with zero_pad, using same_padding for each axis.
    # TODO: slide the kernel over the (padded) image as in correlate2d and return the map.
    raise NotImplementedError("correlate2d_padded is not implemented yet")
