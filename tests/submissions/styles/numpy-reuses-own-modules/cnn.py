"""Exercise 5 built from this submission's own modules: conv2d_layer and the shape rules reuse
stride.py (which reuses padding.py), cnn_forward reuses pooling.py."""

import keras
import numpy as np
from pooling import flatten, max_pool2d
from stride import correlate2d_strided, output_size


def reference_model():
    """The CNN that cnn_forward reproduces (given with the exercise)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ])


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def conv2d_layer(x, kernels, bias, stride=1, padding="valid", activation="relu"):
    x = np.asarray(x)
    kernels, bias = np.asarray(kernels, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    if kernels.ndim != 4 or kernels.shape[2] != x.shape[2]:
        raise ValueError(f"kernels must be (kh, kw, {x.shape[2]}, F), got {kernels.shape}")
    if bias.shape != (kernels.shape[3],):
        raise ValueError(f"bias must have shape ({kernels.shape[3]},), got {bias.shape}")
    if activation not in ("relu", None):
        raise ValueError(f"activation must be 'relu' or None, got {activation!r}")
    maps = []
    for f in range(kernels.shape[3]):
        total = sum(correlate2d_strided(x[:, :, c], kernels[:, :, c, f], stride, padding)
                    for c in range(x.shape[2]))
        maps.append(total + bias[f])
    out = np.stack(maps, axis=-1)
    return relu(out) if activation == "relu" else out


def _spatial(n, size, step, padding):
    if n is None:
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        return None
    return output_size(n, size, step, padding)


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
        raise ValueError(f"filters must be a positive int, got {filters!r}")
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    n, h, w, _ = input_shape
    return (n, _spatial(h, kh, sh, padding), _spatial(w, kw, sw, padding), int(filters))


def pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid"):
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    ph, pw = _pair(pool_size)
    sh, sw = _pair((ph, pw) if strides is None else strides)
    n, h, w, c = input_shape
    return (n, _spatial(h, ph, sh, padding), _spatial(w, pw, sw, padding), c)


def cnn_forward(images, weights):
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, 28, 28, 1), got shape {images.shape}")
    if len(weights) != 6:
        raise ValueError(f"weights must hold 6 arrays, got {len(weights)}")
    k1, b1, k2, b2, dense, dense_bias = (np.asarray(w, dtype=np.float64) for w in weights)
    logits = []
    for image in images:
        x = max_pool2d(conv2d_layer(image, k1, b1), 2)
        x = max_pool2d(conv2d_layer(x, k2, b2), 2)
        logits.append(flatten(x) @ dense + dense_bias)
    return np.array(logits)


def preprocess(images):
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    return (images / 255.0).astype(np.float32)[:, :, :, None]


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(32, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
