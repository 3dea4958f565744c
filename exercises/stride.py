"""Exercise 3: the stride, how far the kernel moves in one step.

With stride 1 the kernel visits every position; with stride `s` it jumps `s` pixels at a time,
so the feature map shrinks by about that factor. This exercise follows the slide "Stride Size"
and uses TensorFlow's rules for the output length of an axis of length `n`, kernel size `k` and
stride `s`:

- `padding="valid"`: `(n - k) // s + 1` (a window that would stick out is dropped);
- `padding="same"`: `ceil(n / s)`, with a total padding of `max((out - 1) * s + k - n, 0)` zeros,
  split as `before = total // 2`, `after = total - before` (the odd zero at the bottom/right).

Careful: with `"same"` the padding depends on the stride. Computing the stride-1 feature map and
keeping every s-th value gives the right shape but the wrong numbers.

Conventions for this exercise:

- `output_size` takes an int stride; `correlate2d_strided` takes an int or a
  `(height, width)` pair.
- Inputs may be lists or arrays of any real dtype (`uint8` too). Feature maps come back as float
  `np.ndarray` (float64 recommended); `output_size` returns a Python int.
- Never modify the inputs.
- Raise `ValueError` for an unknown padding mode (only `"valid"` and `"same"`), a non-positive
  size or stride, a kernel larger than the input with `"valid"`, an input with the wrong number
  of dimensions, or an empty input.
- Use NumPy only: TensorFlow, Keras, SciPy, PyTorch and JAX may not be imported here.

Run the checks from the repository root with `pytest exercises/test_stride.py` or
`autograder check stride`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    """The length of the output along one axis of length `n`, by TensorFlow's rule.

    Returns:
        a Python int.

    Raises:
        ValueError: if `n`, `kernel_size` or `stride` is not a positive int, `padding` is not
            `"valid"` or `"same"`, or `kernel_size > n` with `"valid"`.

    The lecture's Conv2D example: 28 pixels, a kernel of 5, no padding.

    >>> output_size(28, 5)
    24
    >>> output_size(7, 3, stride=2)
    3
    >>> output_size(8, 3, stride=3)  # floor: the last window would stick out
    2
    >>> output_size(8, 3, stride=3, padding="same")  # ceil(8 / 3)
    3
    """
    # TODO: check n, kernel_size and stride (positive ints) and the padding mode.
    # TODO: return the length from the formula of the chosen mode (use integer arithmetic,
    #       not floats, for the ceiling).
    raise NotImplementedError("output_size is not implemented yet")


def correlate2d_strided(
    image: ArrayLike,
    kernel: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> np.ndarray:
    """Cross-correlate `image (H, W)` with `kernel (kh, kw)`, moving `stride` pixels per step.

    `stride` is an int (the same on both axes) or a `(height, width)` pair. The kernel is not
    flipped.

    Returns:
        a float array of shape `(output_size(H, kh, sh, padding), output_size(W, kw, sw,
        padding))`, where `(sh, sw)` is the stride.

    Raises:
        ValueError: for an unknown padding mode, a non-positive stride, an `image` or `kernel`
            that is not 2D or is empty, or (with `"valid"`) a kernel larger than the image.

    With "same" on a 4 x 4 image, stride 2 pads 0 rows/columns before and 1 after:

    >>> image = np.arange(16).reshape(4, 4)
    >>> correlate2d_strided(image, np.ones((3, 3)), stride=2, padding="same")
    array([[45., 39.],
           [66., 50.]])

    (Padding 1 on every side, as for stride 1, gives `[[10, 24], [51, 90]]`: same shape, wrong
    values.)
    """
    # TODO: convert and check the inputs; turn stride into a (sh, sw) pair of positive ints.
    # TODO: get the output height and width from output_size.
    # TODO: for "same", zero-pad the image for this stride (the odd zero at the bottom/right).
    # TODO: output [i, j] is the kernel times the patch starting at row i * sh, column j * sw.
    raise NotImplementedError("correlate2d_strided is not implemented yet")
