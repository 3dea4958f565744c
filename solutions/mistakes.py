"""Known student mistakes, each a small mutant of the reference solutions.

`python -m autograder.authoring.fixtures` runs every mutant on the public inputs and stores what it
returns, so a student's wrong answer that matches one gets that mistake named in its feedback;
the kit's tests check that every mutant fails a public check with a message that names it.
Ids are the keys of `autograder.registry.MISTAKES`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.registry import MISTAKES
from solutions import cross_correlation, padding, pooling, stride
from solutions import stride as stride_module  # `stride` is also a parameter name below

Mutant = Callable[..., Any]


def _f(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def _windows2d(image: np.ndarray, kernel: np.ndarray, s: tuple[int, int]) -> np.ndarray:
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape)[::s[0], ::s[1]], kernel)


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


# Padding rules that a mistake may use instead of TensorFlow's.
def _tf_pads(n: int, k: int, s: int) -> tuple[int, int]:
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _top_left_pads(n: int, k: int, s: int) -> tuple[int, int]:
    before, after = _tf_pads(n, k, s)
    return after, before


def _symmetric_pads(n: int, k: int, s: int) -> tuple[int, int]:
    return k // 2, k // 2


def _floor_pads(n: int, k: int, s: int) -> tuple[int, int]:
    """The 'same' rule with the output length rounded down: n // s, not ceil(n / s)."""
    total = max((n // s - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _unclipped_pads(n: int, k: int, s: int) -> tuple[int, int]:
    """The 'same' rule without max(..., 0): negative when the stride outruns the kernel."""
    total = (-(-n // s) - 1) * s + k - n
    return total // 2, total - total // 2


def _swapped(stride: Any) -> tuple[int, int]:
    """A (height, width) stride read as (width, height)."""
    sh, sw = _pair(stride)
    return sw, sh


def _strided(pads: Callable[[int, int, int], tuple[int, int]]) -> Mutant:
    def correlate2d_strided(image: Any, kernel: Any, stride: Any = 1, padding: str = "valid"):
        image, kernel, s = _f(image), _f(kernel), _pair(stride)
        if padding == "same":
            image = np.pad(image, [pads(image.shape[0], kernel.shape[0], s[0]),
                                   pads(image.shape[1], kernel.shape[1], s[1])])
        return _windows2d(image, kernel, s)
    return correlate2d_strided


def _padded(pads: Callable[[int, int, int], tuple[int, int]]) -> Mutant:
    def correlate2d_padded(image: Any, kernel: Any, padding: str = "valid"):
        return _strided(pads)(image, kernel, 1, padding)
    return correlate2d_padded


def _pool(pads: Callable[[int, int, int], tuple[int, int]] = _tf_pads, *, fill: float,
          reduce: str, stride_default_one: bool = False, count_padding: bool = False,
          across_channels: bool = False, in_input_dtype: bool = False) -> Mutant:
    def pool(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid"):
        x = np.array(x) if in_input_dtype else _f(x)
        (ph, pw) = _pair(pool_size)
        (sh, sw) = _pair(strides) if strides is not None else ((1, 1) if stride_default_one
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
    return pool


def _conv_layer(*, bias: bool = True, relu_first: bool = False, first_channel_only: bool = False,
                kernel_layout: bool = False, subsample: bool = False,
                pads: Callable[[int, int, int], tuple[int, int]] = _tf_pads) -> Mutant:
    def conv2d_layer(x: Any, kernels: Any, b: Any, stride: Any = 1, padding: str = "valid",
                     activation: str | None = "relu"):
        x, kernels, b = _f(x), _f(kernels), _f(b)
        kh, kw, c, f = kernels.shape
        if kernel_layout:  # indexes kernels[f, c, i, j] as if stored (F, C, kh, kw)
            kernels = kernels.reshape(f, c, kh, kw).transpose(2, 3, 1, 0)
        s = (1, 1) if subsample else _pair(stride)
        if padding == "same":
            x = np.pad(x, [pads(x.shape[0], kh, s[0]), pads(x.shape[1], kw, s[1]), (0, 0)])
        windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::s[0], ::s[1]]
        if first_channel_only:
            out = np.einsum("ijkl,klf->ijf", windows[:, :, 0], kernels[:, :, 0])
        else:
            out = np.einsum("ijckl,klcf->ijf", windows, kernels)
        if subsample:
            out = out[::_pair(stride)[0], ::_pair(stride)[1]]
        if relu_first and activation == "relu":
            return np.maximum(out, 0) + b
        out = out + b if bias else out
        return np.maximum(out, 0) if activation == "relu" else out
    return conv2d_layer


def _ceil_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    return -(-n // stride) if padding == "same" else -(-(n - kernel_size) // stride) + 1


def _floor_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    return n // stride if padding == "same" else (n - kernel_size) // stride + 1


def _cnn() -> Any:
    from solutions import cnn  # imports Keras: only when a CNN mutant is asked for

    return cnn


def _cnn_overrides(name: str) -> dict[str, Mutant]:
    cnn = _cnn()

    def relu_in_place(x: Any):
        x = np.asarray(x, dtype=np.float64)  # no copy for a float64 array
        x[x < 0] = 0
        return x

    def flatten_channels_first_forward(images: Any, weights: Any):
        k1, b1, k2, b2, w, b = (np.asarray(v, dtype=np.float64) for v in weights)
        x = cnn._max_pool_2x2(cnn.conv2d_layer(np.asarray(images, dtype=np.float64), k1, b1))
        x = cnn._max_pool_2x2(cnn.conv2d_layer(x, k2, b2))
        return x.transpose(0, 3, 1, 2).reshape(len(x), -1) @ w + b

    def truncating_preprocess(images: Any):
        return (np.asarray(images) // 255).astype(np.float32)[..., np.newaxis]

    def ceil_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                   padding: str = "valid"):
        (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
        n, h, w, _ = input_shape
        return (n, _ceil_output_size(h, kh, sh, padding), _ceil_output_size(w, kw, sw, padding),
                filters)

    def floor_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                    padding: str = "valid"):
        (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
        n, h, w, _ = input_shape
        return (n, _floor_output_size(h, kh, sh, padding), _floor_output_size(w, kw, sw, padding),
                filters)

    def swapped_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                      padding: str = "valid"):
        return cnn.conv_output_shape(input_shape, filters, kernel_size, _swapped(strides), padding)

    def stride_one_pool_shape(input_shape: Any, pool_size: Any = 2, strides: Any = None,
                              padding: str = "valid"):
        return cnn.pool_output_shape(input_shape, pool_size, 1 if strides is None else strides,
                                     padding)

    return {
        "forgot_bias": {"conv2d_layer": _conv_layer(bias=False)},
        "relu_before_bias": {"conv2d_layer": _conv_layer(relu_first=True)},
        "channels_not_summed": {"conv2d_layer": _conv_layer(first_channel_only=True)},
        "kernel_layout": {"conv2d_layer": _conv_layer(kernel_layout=True)},
        "subsampled_stride": {"conv2d_layer": _conv_layer(subsample=True)},
        "extra_top_left": {"conv2d_layer": _conv_layer(pads=_top_left_pads)},
        "flatten_channels_first": {"cnn_forward": flatten_channels_first_forward},
        "integer_truncation": {"preprocess": truncating_preprocess},
        "modifies_input": {"relu": relu_in_place},
        "ceil_stride": {"conv_output_shape": ceil_shape},
        "floor_same": {"conv_output_shape": floor_shape, "conv2d_layer": _conv_layer(pads=_floor_pads)},
        "swapped_stride": {"conv_output_shape": swapped_shape},
        "pool_stride_one": {"pool_output_shape": stride_one_pool_shape},
    }.get(name, {})  # type: ignore[return-value]


def _int_correlate1d(x: Any, kernel: Any):
    x, kernel = np.asarray(x), np.asarray(kernel)
    out = np.zeros(len(x) - len(kernel) + 1, dtype=x.dtype)  # takes the input's int dtype
    for i in range(len(out)):
        out[i] = np.dot(x[i:i + len(kernel)], kernel)
    return out


def _channelwise_correlate3d(volume: Any, kernel: Any):
    volume, kernel = _f(volume), _f(kernel)
    return np.stack([cross_correlation.correlate2d(volume[..., c], kernel[..., c])
                     for c in range(volume.shape[2])], axis=-1)


# mistake -> {exercise: {function: mutant}} for the NumPy exercises.
NUMPY_MUTANTS: dict[str, dict[str, dict[str, Mutant]]] = {
    "flipped_kernel": {"cross_correlation": {
        "correlate1d": lambda x, k: cross_correlation.correlate1d(x, _f(k)[::-1]),
        "correlate2d": lambda x, k: cross_correlation.correlate2d(x, _f(k)[::-1, ::-1]),
        "correlate3d": lambda x, k: cross_correlation.correlate3d(x, _f(k)[::-1, ::-1]),
    }},
    "unflipped_kernel": {"cross_correlation": {"convolve1d": cross_correlation.correlate1d}},
    "off_by_one": {"cross_correlation": {
        "correlate1d": lambda x, k: cross_correlation.correlate1d(x, k)[:-1],
        "correlate2d": lambda x, k: cross_correlation.correlate2d(x, k)[:-1, :-1],
    }},
    "channels_not_summed": {"cross_correlation": {"correlate3d": _channelwise_correlate3d}},
    "integer_truncation": {"cross_correlation": {"correlate1d": _int_correlate1d}},
    "uint8_overflow": {
        "cross_correlation": {"correlate2d": lambda x, k: np.einsum(
            "ijkl,kl->ij", sliding_window_view(np.asarray(x), np.shape(k)), np.asarray(k))},
        "pooling": {"avg_pool2d": _pool(fill=0.0, reduce="avg", in_input_dtype=True)},
    },
    "symmetric_same": {
        "padding": {"same_padding": lambda n, k, s=1: _symmetric_pads(n, k, s),
                    "correlate2d_padded": _padded(_symmetric_pads)},
        "stride": {"correlate2d_strided": _strided(_symmetric_pads)},
    },
    "extra_top_left": {
        "padding": {"same_padding": lambda n, k, s=1: _top_left_pads(n, k, s),
                    "correlate2d_padded": _padded(_top_left_pads)},
        "stride": {"correlate2d_strided": _strided(_top_left_pads)},
        "pooling": {"max_pool2d": _pool(_top_left_pads, fill=-np.inf, reduce="max"),
                    "avg_pool2d": _pool(_top_left_pads, fill=0.0, reduce="avg")},
    },
    "ceil_stride": {"stride": {"output_size": _ceil_output_size}},
    "floor_same": {
        "padding": {"same_padding": lambda n, k, s=1: _floor_pads(n, k, s)},
        "stride": {"output_size": _floor_output_size, "correlate2d_strided": _strided(_floor_pads)},
        "pooling": {"max_pool2d": _pool(_floor_pads, fill=-np.inf, reduce="max"),
                    "avg_pool2d": _pool(_floor_pads, fill=0.0, reduce="avg")},
    },
    "negative_same_padding": {"padding": {"same_padding": lambda n, k, s=1: _unclipped_pads(n, k, s)}},
    "swapped_stride": {
        "stride": {"correlate2d_strided": lambda image, kernel, stride=1, padding="valid":
                   stride_module.correlate2d_strided(image, kernel, _swapped(stride), padding)},
        "pooling": {"max_pool2d": lambda x, pool_size=2, strides=None, padding="valid":
                    pooling.max_pool2d(x, pool_size, None if strides is None else _swapped(strides),
                                       padding)},
    },
    "subsampled_stride": {"stride": {
        "correlate2d_strided": lambda image, kernel, stride=1, padding="valid":
            _strided(_tf_pads)(image, kernel, 1, padding)[::_pair(stride)[0], ::_pair(stride)[1]],
    }},
    "avg_counts_padding": {"pooling": {
        "avg_pool2d": _pool(fill=0.0, reduce="avg", count_padding=True)}},
    "max_pads_zeros": {"pooling": {"max_pool2d": _pool(fill=0.0, reduce="max")}},
    "pool_stride_one": {"pooling": {
        "max_pool2d": _pool(fill=-np.inf, reduce="max", stride_default_one=True),
        "avg_pool2d": _pool(fill=0.0, reduce="avg", stride_default_one=True)}},
    "pool_across_channels": {"pooling": {
        "max_pool2d": _pool(fill=-np.inf, reduce="max", across_channels=True),
        "avg_pool2d": _pool(fill=0.0, reduce="avg", across_channels=True)}},
    "flatten_channels_first": {"pooling": {
        "flatten": lambda x: _f(x).transpose(2, 0, 1).reshape(-1)}},
}


REFERENCE = {"cross_correlation": cross_correlation, "padding": padding, "stride": stride,
             "pooling": pooling}
MISTAKE_IDS = tuple(MISTAKES)


def overrides(mistake: str, exercise: str) -> dict[str, Mutant]:
    if exercise == "cnn":
        return _cnn_overrides(mistake)
    return NUMPY_MUTANTS.get(mistake, {}).get(exercise, {})


def mutants(exercise: str) -> dict[str, SimpleNamespace]:
    """`{mistake: module-like mutant}` for every known mistake that touches `exercise`."""
    reference = _cnn() if exercise == "cnn" else REFERENCE[exercise]
    public = {name: getattr(reference, name) for name in dir(reference) if not name.startswith("__")}
    found = {}
    for mistake in MISTAKE_IDS:
        replaced = overrides(mistake, exercise)
        if replaced:
            found[mistake] = SimpleNamespace(**{**public, **replaced})
    return found
