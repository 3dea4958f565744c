"""Reference solution: strided cross-correlation.

Follows the slide "Stride Size": the stride says how far the kernel moves per step, so the map
shrinks by about that factor. With `padding="same"` TensorFlow chooses the padding for the
stride (it is not the stride-1 padding), so subsampling the stride-1 map gives wrong answers.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

PADDING_MODES = ("valid", "same")


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """An int or a `(height, width)` pair, as Keras accepts it."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (height, width) pair, got {value!r}")
        return _positive_int(value[0], name), _positive_int(value[1], name)
    size = _positive_int(value, name)
    return size, size


def output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    """Length of the output along an axis of length `n`, by TensorFlow's rule."""
    n = _positive_int(n, "n")
    kernel_size = _positive_int(kernel_size, "kernel_size")
    stride = _positive_int(stride, "stride")
    if padding == "same":
        return -(-n // stride)  # ceil(n / stride): padding makes room for every start position
    if padding != "valid":
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}')
    if kernel_size > n:
        raise ValueError(f'kernel_size {kernel_size} is larger than n={n} with padding="valid"')
    return (n - kernel_size) // stride + 1


def _same_pads(n: int, kernel_size: int, stride: int) -> tuple[int, int]:
    total = max((output_size(n, kernel_size, stride, "same") - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2  # the odd pixel goes after (bottom/right)


def correlate2d_strided(
    image: ArrayLike,
    kernel: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> np.ndarray:
    """Cross-correlate `image (H, W)` with `kernel (kh, kw)`, moving `stride` pixels per step.

    Returns a map of `output_size(H, kh, sh, padding) x output_size(W, kw, sw, padding)`.
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    for name, array in (("image", image), ("kernel", kernel)):
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
        if array.ndim != 2:
            raise ValueError(f"{name} must have 2 dimensions, got shape {array.shape}")
        if array.size == 0:
            raise ValueError(f"{name} is empty (shape {array.shape})")
    sh, sw = _pair(stride, "stride")
    out_h = output_size(image.shape[0], kernel.shape[0], sh, padding)
    out_w = output_size(image.shape[1], kernel.shape[1], sw, padding)
    if padding == "same":
        pads = (_same_pads(image.shape[0], kernel.shape[0], sh),
                _same_pads(image.shape[1], kernel.shape[1], sw))
        image = np.pad(image, pads)
    # float64 before multiplying: uint8 pixels would wrap around.
    windows = sliding_window_view(image.astype(np.float64), kernel.shape)[::sh, ::sw]
    return np.einsum("ijkl,kl->ij", windows[:out_h, :out_w], kernel.astype(np.float64))
