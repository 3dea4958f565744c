"""Reference solution: cross-correlation in 1D, 2D and 3D.

Follows the slides "Cross Correlation", "Convolution", "2D Convolutional Operation" and
"Convolution in 3D". Deep learning's "convolution" is cross-correlation: the kernel slides over
the input as it is, and each output value is the dot product of the kernel with the window under
it. No padding, stride 1.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike


def _real_array(value: ArrayLike, name: str, ndim: int) -> np.ndarray:
    """A float64 copy of `value`, checked: float64 so uint8 pixels cannot wrap around."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    return array.astype(np.float64)


def _check_fits(input_shape: tuple[int, ...], kernel_shape: tuple[int, ...]) -> None:
    if any(k > n for n, k in zip(input_shape, kernel_shape, strict=False)):
        raise ValueError(
            f"kernel of shape {kernel_shape} is larger than the input of shape {input_shape}; "
            "without padding it must fit inside the input"
        )


def correlate1d(x: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Slide `kernel (k,)` over `x (n,)`; return the `(n - k + 1,)` dot products."""
    x = _real_array(x, "x", 1)
    kernel = _real_array(kernel, "kernel", 1)
    _check_fits(x.shape, kernel.shape)
    # Row i of the window view is x[i:i + k]: one matrix-vector product does every position.
    return sliding_window_view(x, kernel.shape[0]) @ kernel


def convolve1d(x: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """True convolution: cross-correlation with the kernel reversed (np.convolve's "valid")."""
    kernel = _real_array(kernel, "kernel", 1)
    return correlate1d(x, kernel[::-1])


def correlate2d(image: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Slide `kernel (kh, kw)` over `image (H, W)`: a `(H - kh + 1, W - kw + 1)` feature map."""
    image = _real_array(image, "image", 2)
    kernel = _real_array(kernel, "kernel", 2)
    _check_fits(image.shape, kernel.shape)
    windows = sliding_window_view(image, kernel.shape)  # (H', W', kh, kw)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def correlate3d(volume: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """Slide `kernel (kh, kw, C)` over `volume (H, W, C)`, summing over all C channels.

    The kernel has the input's depth, so it only moves in height and width: the result is one
    `(H - kh + 1, W - kw + 1)` feature map.
    """
    volume = _real_array(volume, "volume", 3)
    kernel = _real_array(kernel, "kernel", 3)
    if volume.shape[2] != kernel.shape[2]:
        raise ValueError(
            f"the kernel has {kernel.shape[2]} channel(s) but the volume has {volume.shape[2]}; "
            "a 3D kernel must have the input's depth"
        )
    _check_fits(volume.shape[:2], kernel.shape[:2])
    windows = sliding_window_view(volume, kernel.shape[:2], axis=(0, 1))  # (H', W', C, kh, kw)
    return np.einsum("ijckl,klc->ij", windows, kernel)
