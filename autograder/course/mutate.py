"""What the exercises' known-mistake mutants share: wrong padding rules, a strided correlation
and a pooling written with one of them.

A mutant is the reference with one mistake a student makes; `autograder.authoring.fixtures`
stores what each returns on the public inputs, so a wrong answer matching one is named in its
feedback. Each `autograder/course/<exercise>.py` lists its mutants in `mutants(reference)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Mutant = Callable[..., Any]
Pads = Callable[[int, int, int], tuple[int, int]]  # (n, k, s) -> (before, after)


def f(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def windows2d(image: np.ndarray, kernel: np.ndarray, s: tuple[int, int]) -> np.ndarray:
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape)[::s[0], ::s[1]], kernel)


# Padding rules that a mistake may use instead of TensorFlow's.
def tf_pads(n: int, k: int, s: int) -> tuple[int, int]:
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def top_left_pads(n: int, k: int, s: int) -> tuple[int, int]:
    before, after = tf_pads(n, k, s)
    return after, before


def symmetric_pads(n: int, k: int, s: int) -> tuple[int, int]:
    return k // 2, k // 2


def floor_pads(n: int, k: int, s: int) -> tuple[int, int]:
    """The 'same' rule with the output length rounded down: n // s, not ceil(n / s)."""
    total = max((n // s - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def unclipped_pads(n: int, k: int, s: int) -> tuple[int, int]:
    """The 'same' rule without max(..., 0): negative when the stride outruns the kernel."""
    total = (-(-n // s) - 1) * s + k - n
    return total // 2, total - total // 2


def swapped(stride: Any) -> tuple[int, int]:
    """A (height, width) stride read as (width, height)."""
    sh, sw = pair(stride)
    return sw, sh


def ceil_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    return -(-n // stride) if padding == "same" else -(-(n - kernel_size) // stride) + 1


def floor_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    return n // stride if padding == "same" else (n - kernel_size) // stride + 1


def strided(pads: Pads) -> Mutant:
    """A strided 2D correlation whose 'same' padding follows `pads`."""
    def correlate(image: Any, kernel: Any, stride: Any = 1, padding: str = "valid") -> np.ndarray:
        image, kernel, s = f(image), f(kernel), pair(stride)
        if padding == "same":
            image = np.pad(image, [pads(image.shape[0], kernel.shape[0], s[0]),
                                   pads(image.shape[1], kernel.shape[1], s[1])])
        return windows2d(image, kernel, s)
    return correlate


def pool(pads: Pads = tf_pads, *, fill: float, reduce: str, stride_default_one: bool = False,
         count_padding: bool = False, across_channels: bool = False,
         in_input_dtype: bool = False) -> Mutant:
    """Max or average pooling with one of several mistakes switched on."""
    def pooled(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
        x = np.array(x) if in_input_dtype else f(x)
        (ph, pw) = pair(pool_size)
        (sh, sw) = pair(strides) if strides is not None else ((1, 1) if stride_default_one
                                                             else (ph, pw))
        real = np.ones((*x.shape[:2], 1))
        if padding == "same":
            widths = [pads(x.shape[0], ph, sh), pads(x.shape[1], pw, sw), (0, 0)]
            x, real = np.pad(x, widths, constant_values=fill), np.pad(real, widths)
        windows = sliding_window_view(x, (ph, pw), axis=(0, 1))[::sh, ::sw]
        if reduce == "max":
            out = windows.max(axis=(-2, -1))
        elif in_input_dtype:  # adds the window cells one by one in the input's dtype
            total = np.zeros(windows.shape[:3], dtype=x.dtype)
            for i in range(ph):
                for j in range(pw):
                    total += windows[..., i, j]
            out = total / (ph * pw)
        else:
            count = ph * pw if count_padding else sliding_window_view(
                real, (ph, pw), axis=(0, 1))[::sh, ::sw].sum(axis=(-2, -1))
            out = windows.sum(axis=(-2, -1)) / count
        if across_channels:
            out = np.repeat(out.max(axis=-1, keepdims=True) if reduce == "max"
                            else out.mean(axis=-1, keepdims=True), out.shape[-1], axis=-1)
        return out
    return pooled
