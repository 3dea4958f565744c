"""Reference solution: a convolutional layer, the shape rules, a CNN forward pass, a Keras CNN.

Follows the slides "Convolutional Layer", "Bias and Activation", "ReLU Activation",
"Classifier" and the TensorFlow examples ("Convolutional Layer - TF", "Pooling Layer - TF").
A convolutional layer cross-correlates its input with F kernels, each as deep as the input,
adds one bias per feature map and applies the activation; pooling layers shrink the maps, and a
dense classifier reads the flattened result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import keras

PADDING_MODES = ("valid", "same")
ACTIVATIONS = ("relu", None)


def reference_model() -> keras.Model:
    """The CNN that `cnn_forward` reproduces (given, not an exercise)."""
    import keras  # here, not at the top: the NumPy functions of this module need no TensorFlow

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),  # logits
    ])


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """An int or a `(height, width)` pair of positive ints, as Keras accepts it."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in values
    ):
        raise ValueError(f"{name} must be a positive int or a (height, width) pair, got {value!r}")
    return int(values[0]), int(values[1])


def _output_length(n: int | None, size: int, stride: int, padding: str) -> int | None:
    if padding not in PADDING_MODES:
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}')
    if n is None:  # Keras keeps unknown spatial sizes unknown
        return None
    if padding == "same":
        return -(-n // stride)
    if size > n:
        raise ValueError(f'window of size {size} does not fit in length {n} with padding="valid"')
    return (n - size) // stride + 1


def _same_pads(n: int, size: int, stride: int) -> tuple[int, int]:
    total = max((-(-n // stride) - 1) * stride + size - n, 0)
    return total // 2, total - total // 2  # the odd pixel goes after (bottom/right)


def relu(x: ArrayLike) -> np.ndarray:
    """`max(x, 0)` elementwise, any shape."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def conv2d_layer(
    x: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
    activation: str | None = "relu",
) -> np.ndarray:
    """`activation(cross-correlation(x, kernels) + bias)`, like `keras.layers.Conv2D`.

    `x (H, W, C)` (or a batch `(N, H, W, C)`), `kernels (kh, kw, C, F)`, `bias (F,)` ->
    `(H', W', F)` (or `(N, H', W', F)`).
    """
    x = np.asarray(x)
    kernels = np.asarray(kernels, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    if x.ndim not in (3, 4) or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) image or (N, H, W, C) batch, got {x.shape}")
    if kernels.ndim != 4:
        raise ValueError(f"kernels must have shape (kh, kw, C, F), got {kernels.shape}")
    if kernels.shape[2] != x.shape[-1]:
        raise ValueError(f"kernels expect {kernels.shape[2]} channel(s), x has {x.shape[-1]}")
    if bias.shape != (kernels.shape[3],):
        raise ValueError(f"bias must have shape ({kernels.shape[3]},), one per kernel, got {bias.shape}")
    if activation not in ACTIVATIONS:
        raise ValueError(f'activation must be "relu" or None, got {activation!r}')
    batch = x if x.ndim == 4 else x[np.newaxis]
    batch = batch.astype(np.float64)  # uint8 pixels would wrap around
    kh, kw = kernels.shape[:2]
    sh, sw = _pair(stride, "stride")
    height, width = batch.shape[1:3]
    out_h = _output_length(height, kh, sh, padding)
    out_w = _output_length(width, kw, sw, padding)
    if padding == "same":
        batch = np.pad(batch, [(0, 0), _same_pads(height, kh, sh), _same_pads(width, kw, sw), (0, 0)])
    windows = sliding_window_view(batch, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :out_h, :out_w]
    # windows (N, H', W', C, kh, kw) x kernels (kh, kw, C, F): sum over the window and channels.
    out = np.einsum("nijckl,klcf->nijf", windows, kernels) + bias  # the bias before the activation
    if activation == "relu":
        out = relu(out)
    return out if x.ndim == 4 else out[0]


def conv_output_shape(
    input_shape: tuple[int | None, int, int, int],
    filters: int,
    kernel_size: int | tuple[int, int],
    strides: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> tuple[int | None, int | None, int | None, int]:
    """The output shape of `keras.layers.Conv2D(filters, kernel_size, strides, padding)`."""
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
        raise ValueError(f"filters must be a positive int, got {filters!r}")
    (kh, kw), (sh, sw) = _pair(kernel_size, "kernel_size"), _pair(strides, "strides")
    n, height, width, _ = input_shape
    return (n, _output_length(height, kh, sh, padding), _output_length(width, kw, sw, padding),
            int(filters))


def pool_output_shape(
    input_shape: tuple[int | None, int, int, int],
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> tuple[int | None, int | None, int | None, int]:
    """The output shape of `keras.layers.MaxPool2D(pool_size, strides, padding)`."""
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair((ph, pw) if strides is None else strides, "strides")
    n, height, width, channels = input_shape
    return (n, _output_length(height, ph, sh, padding), _output_length(width, pw, sw, padding),
            channels)


def _max_pool_2x2(batch: np.ndarray) -> np.ndarray:
    """`MaxPool2D(2)` on `(N, H, W, C)`: valid padding drops an odd last row/column."""
    n, height, width, channels = batch.shape
    h2, w2 = height // 2, width // 2
    blocks = batch[:, : 2 * h2, : 2 * w2].reshape(n, h2, 2, w2, 2, channels)
    return blocks.max(axis=(2, 4))


def cnn_forward(images: ArrayLike, weights: Sequence[ArrayLike]) -> np.ndarray:
    """The logits `(N, 10)` of `reference_model()` with `weights` on `images (N, 28, 28, 1)`.

    `weights` is `reference_model().get_weights()`: `[kernels1, bias1, kernels2, bias2, dense
    matrix, dense bias]`.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, 28, 28, 1), got {images.shape}")
    if len(weights) != 6:
        raise ValueError(f"weights must be the 6 arrays of reference_model(), got {len(weights)}")
    k1, b1, k2, b2, dense_w, dense_b = (np.asarray(w, dtype=np.float64) for w in weights)
    x = _max_pool_2x2(conv2d_layer(images, k1, b1))
    x = _max_pool_2x2(conv2d_layer(x, k2, b2))
    # Flatten in (H, W, C) order, like keras.layers.Flatten on channels-last maps.
    return x.reshape(len(x), -1) @ dense_w + dense_b


def preprocess(images: ArrayLike) -> np.ndarray:
    """MNIST pixels `uint8 (N, 28, 28)` -> `float32 (N, 28, 28, 1)` in `[0, 1]`."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, 28, 28), got {images.shape}")
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def build_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10) -> keras.Model:
    """A small CNN for digits: two conv/pool blocks extract features, a small MLP classifies.

    The hidden Dense layer makes training on 4,000 images in 3 epochs steadier across seeds
    (see bench/calibrate_mnist.py). It returns logits (no softmax): the grader then trains it
    with `from_logits=True`.
    """
    import keras

    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(num_classes),
    ])
