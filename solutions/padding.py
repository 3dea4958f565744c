"""Reference solution: zero padding and TensorFlow's "same" rule.

Follows the slides "Padding Mode", "Zero Padding" and "No Padding". With `padding="valid"` the
kernel stays inside the image and the map shrinks by `k - 1`; with `padding="same"` zeros are added
around the image so that (at stride 1) the map keeps the input's size. TensorFlow puts the odd
pixel of padding, when there is one, at the bottom/right.
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


def _real_array(value: ArrayLike, name: str, ndims: tuple[int, ...]) -> np.ndarray:
    """A float64 copy of `value`, checked: float64 so uint8 pixels cannot wrap around."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim not in ndims:
        wanted = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have {wanted} dimensions, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    return array.astype(np.float64)


def same_padding(n: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """Zeros to add `(before, after)` along one axis of length `n` for `padding="same"`.

    The output length is `ceil(n / stride)`; the padding is whatever the last window needs to
    reach past the end, split with the extra pixel (if any) after.
    """
    n = _positive_int(n, "n")
    kernel_size = _positive_int(kernel_size, "kernel_size")
    stride = _positive_int(stride, "stride")
    out = -(-n // stride)  # ceil(n / stride) in exact integer arithmetic
    total = max((out - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image: ArrayLike, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """`image (H, W)` or `(H, W, C)` with `pads = ((top, bottom), (left, right))` rows/columns of
    zeros added; channels are never padded."""
    image = _real_array(image, "image", (2, 3))
    try:
        (top, bottom), (left, right) = pads
    except (TypeError, ValueError):
        raise ValueError(f"pads must be ((top, bottom), (left, right)), got {pads!r}") from None
    for amount in (top, bottom, left, right):
        if isinstance(amount, bool) or not isinstance(amount, (int, np.integer)) or amount < 0:
            raise ValueError(f"pads must be non-negative ints, got {pads!r}")
    widths = [(int(top), int(bottom)), (int(left), int(right))] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="constant", constant_values=0.0)


def correlate2d_padded(image: ArrayLike, kernel: ArrayLike, padding: str = "valid") -> np.ndarray:
    """Cross-correlate `image (H, W)` with `kernel (kh, kw)`.

    `"valid"`: no padding, `(H - kh + 1, W - kw + 1)`. `"same"`: zero padding by TensorFlow's
    rule, `(H, W)`.
    """
    if padding not in PADDING_MODES:
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}')
    image = _real_array(image, "image", (2,))
    kernel = _real_array(kernel, "kernel", (2,))
    if padding == "same":
        image = zero_pad(image, (same_padding(image.shape[0], kernel.shape[0]),
                                 same_padding(image.shape[1], kernel.shape[1])))
    elif kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"kernel of shape {kernel.shape} is larger than the image of shape {image.shape}; "
            'with padding="valid" it must fit inside the image'
        )
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)
