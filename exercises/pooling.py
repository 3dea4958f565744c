"""Exercise 4: pooling layers, global average pooling and flatten.

A pooling layer gathers a small region of a feature map into one number, the maximum (max
pooling) or the mean (average pooling), which makes the maps smaller. At the end of the feature
extractor, the last block of maps has to become one vector for the classifier: either by
flattening it or by global average pooling (one mean per feature map). This exercise follows the
slides "Pooling Layer", "Pooling Modes" and "Feature Extractor".

Conventions for this exercise:

- Channels last: `x` is one image `(H, W, C)`; each channel is pooled on its own, never mixed
  with the others.
- `pool_size` and `strides` are an int or a `(height, width)` pair. `strides=None` means the
  stride equals the pool size, as in Keras.
- Output lengths follow TensorFlow: `"valid"` gives `(n - p) // s + 1`, `"same"` gives
  `ceil(n / s)` and pads `max((out - 1) * s + p - n, 0)` cells in total, the odd one at the
  bottom/right.
- With `"same"` the padded cells are not data: max pooling ignores them (treat them as `-inf`),
  and average pooling divides by the number of real cells in the window, not by the window size.
- Inputs may be lists or arrays of any real dtype (`uint8` too). Return a float `np.ndarray`
  (float64 recommended). Never modify the inputs.
- Raise `ValueError` for an unknown padding mode (only `"valid"` and `"same"`), a non-positive
  pool size or stride, a pool larger than the input with `"valid"`, an `x` that is not 3D, or an
  empty `x`.
- Use NumPy only: TensorFlow, Keras, SciPy, PyTorch and JAX may not be imported here.

Run the checks from the repository root with `pytest exercises/test_pooling.py` or
`autograder check pooling`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def max_pool2d(
    x: ArrayLike,
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Max pooling of `x (H, W, C)`, like `keras.layers.MaxPool2D`.

    Returns:
        a float array `(H', W', C)`: the maximum of each pooling window, channel by channel.

    Raises:
        ValueError: for an unknown padding mode, a non-positive `pool_size` or `strides`, an `x`
            that is not `(H, W, C)` or is empty, or (with `"valid"`) a pool larger than `x`.

    >>> max_pool2d(np.arange(16).reshape(4, 4, 1))[:, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])

    All-negative input with "same": a padded zero must never win.

    >>> x = -np.arange(1, 26).reshape(5, 5, 1)
    >>> max_pool2d(x, 2, padding="same")[:, :, 0]
    array([[ -1.,  -3.,  -5.],
           [-11., -13., -15.],
           [-21., -23., -25.]])
    """
    # TODO: check x and the arguments; turn pool_size and strides into (height, width) pairs,
    #       with strides defaulting to the pool size.
    # TODO: work out the output size; for "same", pad height and width with -inf (the odd cell
    #       at the bottom/right), never the channels.
    # TODO: for each output position and channel, take the maximum over its window.
    raise NotImplementedError("max_pool2d is not implemented yet")


def avg_pool2d(
    x: ArrayLike,
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Average pooling of `x (H, W, C)`, like `keras.layers.AveragePooling2D`.

    With `"same"`, each window's sum is divided by the number of real (not padded) cells in it.

    Returns:
        a float array `(H', W', C)`: the mean of each pooling window, channel by channel.

    Raises:
        ValueError: in the same cases as `max_pool2d`.

    >>> avg_pool2d(np.arange(16).reshape(4, 4, 1))[:, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])

    The mean of ones is one everywhere, at the border too:

    >>> avg_pool2d(np.ones((3, 3, 1)), 3, 1, "same")[:, :, 0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    # TODO: check the arguments and find the windows as in max_pool2d (pad with zeros here).
    # TODO: divide each window's sum by the number of its cells that lie inside x, not by
    #       the window size.
    raise NotImplementedError("avg_pool2d is not implemented yet")


def global_avg_pool2d(x: ArrayLike) -> np.ndarray:
    """Global average pooling of `x (H, W, C)`: one mean per feature map.

    Returns:
        a float array of shape `(C,)`.

    Raises:
        ValueError: if `x` is not `(H, W, C)` or is empty.

    >>> global_avg_pool2d(np.arange(12).reshape(2, 2, 3))
    array([4.5, 5.5, 6.5])
    """
    # TODO: check x, then average over the height and width axes (not the channels).
    raise NotImplementedError("global_avg_pool2d is not implemented yet")


def flatten(x: ArrayLike) -> np.ndarray:
    """Flatten `x (H, W, C)` into one vector, like `keras.layers.Flatten`.

    The order is row-major `(H, W, C)`: the channel index changes fastest.

    Returns:
        a float array of shape `(H * W * C,)`.

    Raises:
        ValueError: if `x` is not `(H, W, C)` or is empty.

    >>> flatten(np.arange(12).reshape(2, 2, 3))
    array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.])
    """
    # TODO: check x, then return its values as one float vector in (H, W, C) order, without
    #       moving the channel axis first.
    raise NotImplementedError("flatten is not implemented yet")
