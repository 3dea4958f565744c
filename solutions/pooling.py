"""Reference solution: max and average pooling, global average pooling, flatten.

Follows the slides "Pooling Layer", "Pooling Modes" and "Feature Extractor". A pooling window
slides over each channel on its own; by default it moves by its own size (Keras `strides=None`).
With `padding="same"` the padded cells are not data: max pooling ignores them (as if `-inf`) and
average pooling divides by the number of real cells in the window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

PADDING_MODES = ("valid", "same")


def _positive_pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """An int or a `(height, width)` pair of positive ints, as Keras accepts it."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in values
    ):
        raise ValueError(f"{name} must be a positive int or a (height, width) pair, got {value!r}")
    return int(values[0]), int(values[1])


def _feature_maps(x: ArrayLike) -> np.ndarray:
    """A float64 copy of `x (H, W, C)`, checked."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"x must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 3:
        raise ValueError(f"x must have shape (H, W, C), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"x is empty (shape {array.shape})")
    return array.astype(np.float64)


def _pool(
    x: ArrayLike,
    pool_size: int | tuple[int, int],
    strides: int | tuple[int, int] | None,
    padding: str,
    reduce: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fill: float,
) -> np.ndarray:
    """Windows of `x`, padded with `fill`, each reduced by `reduce(windows, real_cell_mask)`."""
    x = _feature_maps(x)
    ph, pw = _positive_pair(pool_size, "pool_size")
    sh, sw = _positive_pair((ph, pw) if strides is None else strides, "strides")
    if padding not in PADDING_MODES:
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}')
    height, width = x.shape[:2]
    real = np.ones((height, width, 1))
    if padding == "same":
        pads = [_same_pads(height, ph, sh), _same_pads(width, pw, sw), (0, 0)]
        x = np.pad(x, pads, constant_values=fill)
        real = np.pad(real, pads)
    elif ph > height or pw > width:
        raise ValueError(
            f"pool of size {(ph, pw)} is larger than the input {(height, width)} "
            'with padding="valid"'
        )
    # (H', W', C, ph, pw): every window of every channel, the channels never mixed.
    windows = sliding_window_view(x, (ph, pw), axis=(0, 1))[::sh, ::sw]
    mask = sliding_window_view(real, (ph, pw), axis=(0, 1))[::sh, ::sw]
    return reduce(windows, mask)


def _same_pads(n: int, size: int, stride: int) -> tuple[int, int]:
    total = max((-(-n // stride) - 1) * stride + size - n, 0)
    return total // 2, total - total // 2  # the odd cell goes after (bottom/right)


def max_pool2d(
    x: ArrayLike,
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Max pooling of `x (H, W, C)` -> `(H', W', C)`; padded cells count as `-inf`."""
    return _pool(x, pool_size, strides, padding,
                 lambda windows, _: windows.max(axis=(-2, -1)), fill=-np.inf)


def avg_pool2d(
    x: ArrayLike,
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Average pooling of `x (H, W, C)` -> `(H', W', C)`, dividing by the real cells only."""
    return _pool(x, pool_size, strides, padding,
                 lambda windows, real: windows.sum(axis=(-2, -1)) / real.sum(axis=(-2, -1)),
                 fill=0.0)


def global_avg_pool2d(x: ArrayLike) -> np.ndarray:
    """The mean of each feature map of `x (H, W, C)`: a `(C,)` vector."""
    return _feature_maps(x).mean(axis=(0, 1))


def flatten(x: ArrayLike) -> np.ndarray:
    """`x (H, W, C)` as one `(H*W*C,)` vector in row-major order, like `keras.layers.Flatten`."""
    return _feature_maps(x).reshape(-1)
