"""TensorFlow/Keras as the oracle: each exercise function computed by the library itself.

The stored fixtures and the hidden checks take their expected values from here, never from the
NumPy reference solutions, so the kit's own solutions are held to TensorFlow too. Every input
is wrapped as float64 on purpose: some `tf.nn` ops given raw float64 arrays compute in float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from autograder.core.calls import Call
from autograder.core.tfquiet import tensorflow

tf = tensorflow()
import keras  # noqa: E402  (after TensorFlow's quiet import)

F64 = tf.float64


def _f64(x: Any) -> Any:
    return tf.constant(np.asarray(x, dtype=np.float64), dtype=F64)


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    return int(value[0]), int(value[1])


def _conv(image: Any, kernel: Any, strides: int | Sequence[int] = 1,
          padding: str = "valid") -> np.ndarray:
    """tf.nn.conv2d of one (H, W, C) image with (kh, kw, C, F) kernels."""
    out = tf.nn.conv2d(_f64(image)[tf.newaxis], _f64(kernel), strides=[1, *_pair(strides), 1],
                       padding=padding.upper())
    return out[0].numpy()


def correlate1d(x: Any, kernel: Any) -> np.ndarray:
    out = tf.nn.conv1d(_f64(x)[tf.newaxis, :, tf.newaxis],
                       _f64(kernel)[:, tf.newaxis, tf.newaxis], stride=1, padding="VALID")
    return out.numpy().reshape(-1)


def convolve1d(x: Any, kernel: Any) -> np.ndarray:
    return correlate1d(x, tf.reverse(_f64(kernel), axis=[0]).numpy())


def correlate2d(image: Any, kernel: Any) -> np.ndarray:
    return _conv(np.asarray(image)[..., None], np.asarray(kernel)[..., None, None])[..., 0]


def correlate3d(volume: Any, kernel: Any) -> np.ndarray:
    return _conv(volume, np.asarray(kernel)[..., None])[..., 0]


def same_padding(n: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """Read TensorFlow's padding off a 'same' convolution of positions 1..n.

    With a one-hot kernel at tap t, output 0 is x_padded[t]: the first tap that sees a real
    value (not a padded zero) is the number of zeros before; the output length then gives the
    total.
    """
    x = np.arange(1, n + 1, dtype=np.float64)[:, None]
    before = kernel_size  # no tap sees a real value: impossible, TF pads at most k - 1
    for tap in range(kernel_size):
        kernel = np.zeros((1, kernel_size, 1, 1))
        kernel[0, tap] = 1.0
        out = _conv(x.T[..., None], kernel, (1, stride), "same")
        if out[0, 0, 0] != 0:
            before = tap - int(out[0, 0, 0]) + 1
            break
    out_len = out.shape[1]
    total = max((out_len - 1) * stride + kernel_size - n, 0)
    return before, total - before


def zero_pad(image: Any, pads: Any) -> np.ndarray:
    image = _f64(image)
    widths = [list(pads[0]), list(pads[1])] + [[0, 0]] * (image.shape.rank - 2)
    return tf.pad(image, widths).numpy()


def correlate2d_padded(image: Any, kernel: Any, padding: str = "valid") -> np.ndarray:
    return correlate2d_strided(image, kernel, 1, padding)


def output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    out = _conv(np.ones((n, 1, 1)), np.ones((kernel_size, 1, 1, 1)), (stride, 1), padding)
    return int(out.shape[0])


def correlate2d_strided(image: Any, kernel: Any, stride: Any = 1,
                        padding: str = "valid") -> np.ndarray:
    return _conv(np.asarray(image)[..., None], np.asarray(kernel)[..., None, None], stride,
                 padding)[..., 0]


def _pool(layer: type, x: Any, pool_size: Any, strides: Any, padding: str) -> np.ndarray:
    pool = layer(pool_size=pool_size, strides=strides, padding=padding, dtype="float64")
    return pool(_f64(x)[tf.newaxis])[0].numpy()


def max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    return _pool(keras.layers.MaxPooling2D, x, pool_size, strides, padding)


def avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> np.ndarray:
    return _pool(keras.layers.AveragePooling2D, x, pool_size, strides, padding)


def global_avg_pool2d(x: Any) -> np.ndarray:
    return keras.layers.GlobalAveragePooling2D(dtype="float64")(_f64(x)[tf.newaxis])[0].numpy()


def flatten(x: Any) -> np.ndarray:
    return keras.layers.Flatten(dtype="float64")(_f64(x)[tf.newaxis])[0].numpy()


def relu(x: Any) -> np.ndarray:
    return tf.nn.relu(_f64(x)).numpy()


def conv2d_layer(x: Any, kernels: Any, bias: Any, stride: Any = 1, padding: str = "valid",
                 activation: str | None = "relu") -> np.ndarray:
    kernels = np.asarray(kernels, dtype=np.float64)
    layer = keras.layers.Conv2D(kernels.shape[3], kernels.shape[:2], strides=stride,
                                padding=padding, activation=activation, dtype="float64")
    layer.build((None, *np.shape(x)))
    layer.set_weights([kernels, np.asarray(bias, dtype=np.float64)])
    return layer(_f64(x)[tf.newaxis])[0].numpy()


def conv_output_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                      padding: str = "valid") -> tuple[int | None, ...]:
    layer = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    return tuple(layer.compute_output_shape(tuple(input_shape)))


def pool_output_shape(input_shape: Any, pool_size: Any = 2, strides: Any = None,
                      padding: str = "valid") -> tuple[int | None, ...]:
    layer = keras.layers.MaxPooling2D(pool_size=pool_size, strides=strides, padding=padding)
    return tuple(layer.compute_output_shape(tuple(input_shape)))


def reference_model(dtype: str = "float32") -> keras.Model:
    """The reference CNN of the exercise contract (the stub gives the same one to students)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1), dtype=dtype),
        keras.layers.Conv2D(8, 3, activation="relu", dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),
        keras.layers.Conv2D(16, 3, activation="relu", dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),
        keras.layers.Flatten(dtype=dtype),
        keras.layers.Dense(10, dtype=dtype),
    ])


def cnn_forward(images: Any, weights: Sequence[Any]) -> np.ndarray:
    model = reference_model("float64")
    model.set_weights([np.asarray(w, dtype=np.float64) for w in weights])
    return model(_f64(images)).numpy()


def preprocess(images: Any) -> np.ndarray:
    return (tf.cast(tf.constant(images), tf.float32) / 255.0)[..., tf.newaxis].numpy()


def compute(call: Call) -> Any:
    """The expected value of a call, computed by TensorFlow/Keras."""
    function: Callable[..., Any] = globals()[call.function]
    return function(*call.args, **call.kwargs)


def mistake_modules(exercise: str) -> dict[str, SimpleNamespace]:
    """The known mistakes touching one exercise, each as a module-like mutant of the reference."""
    from solutions import mistakes

    return mistakes.mutants(exercise)
