"""Exercise 5 in one Keras style: The functional API: `inputs = keras.Input(...)`, layers called on
tensors, `keras.Model(inputs, outputs)`.
"""

import keras
import numpy as np


def _pair(value, name):
    """An int or a (height, width) pair of positive ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {value!r}")
        first, second = value
    else:
        first = second = value
    for v in (first, second):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must hold positive ints, got {value!r}")
    return int(first), int(second)


def _out_len(n, size, step, padding):
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if n is None:
        return None
    if padding == "same":
        return (n + step - 1) // step
    if size > n:
        raise ValueError(f"a window of {size} does not fit in {n} with 'valid' padding")
    return (n - size) // step + 1


def _pad_amounts(n, size, step):
    needed = max(((n + step - 1) // step - 1) * step + size - n, 0)
    return needed // 2, needed - needed // 2


def relu(x):
    values = np.array(x, dtype=np.float64)
    values[values < 0] = 0.0
    return values


def conv2d_layer(x, kernels, bias, stride=1, padding="valid", activation="relu"):
    x = np.asarray(x)
    kernels = np.asarray(kernels, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    if x.ndim != 3 or x.size == 0:
        raise ValueError(f"x must be a non-empty (H, W, C) array, got shape {x.shape}")
    if kernels.ndim != 4:
        raise ValueError(f"kernels must be (kh, kw, C, F), got shape {kernels.shape}")
    kh, kw, channels, filters = kernels.shape
    if channels != x.shape[2]:
        raise ValueError(f"kernels have {channels} input channels, x has {x.shape[2]}")
    if bias.shape != (filters,):
        raise ValueError(f"bias must have shape ({filters},), got {bias.shape}")
    if activation not in ("relu", None):
        raise ValueError(f"unknown activation {activation!r}")
    sh, sw = _pair(stride, "stride")
    height, width = x.shape[:2]
    out_h = _out_len(height, kh, sh, padding)
    out_w = _out_len(width, kw, sw, padding)
    data = x.astype(np.float64)
    if padding == "same":
        data = np.pad(data, (_pad_amounts(height, kh, sh), _pad_amounts(width, kw, sw), (0, 0)))
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            patch = data[i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[i, j, :] = np.tensordot(patch, kernels, axes=([0, 1, 2], [0, 1, 2])) + bias
    if activation == "relu":
        out = np.maximum(out, 0.0)
    return out


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
        raise ValueError(f"filters must be a positive int, got {filters!r}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    n, height, width, _ = input_shape
    return (n, _out_len(height, kh, sh, padding), _out_len(width, kw, sw, padding), int(filters))


def pool_output_shape(input_shape, pool_size=2, strides=None, padding="valid"):
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, H, W, C), got {input_shape!r}")
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair(strides if strides is not None else (ph, pw), "strides")
    n, height, width, channels = input_shape
    return (n, _out_len(height, ph, sh, padding), _out_len(width, pw, sw, padding), channels)


def _halve(maps):
    """MaxPool2D(2) on one (H, W, C) stack: an odd last row or column is dropped."""
    h, w = maps.shape[0] // 2, maps.shape[1] // 2
    trimmed = maps[:2 * h, :2 * w]
    return trimmed.reshape(h, 2, w, 2, maps.shape[2]).max(axis=(1, 3))


def cnn_forward(images, weights):
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, 28, 28, 1), got shape {images.shape}")
    if len(weights) != 6:
        raise ValueError(f"expected the 6 weight arrays of reference_model(), got {len(weights)}")
    k1, b1, k2, b2, dense, dense_bias = (np.asarray(w, dtype=np.float64) for w in weights)
    logits = []
    for image in images:
        maps = _halve(conv2d_layer(image, k1, b1))
        maps = _halve(conv2d_layer(maps, k2, b2))
        logits.append(maps.reshape(-1) @ dense + dense_bias)
    return np.array(logits)


def preprocess(images):
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    return np.expand_dims(images.astype(np.float32) / np.float32(255.0), axis=-1)


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


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    """The functional API: tensors passed from layer to layer, then keras.Model(inputs, outputs)."""
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
    x = keras.layers.MaxPool2D()(x)
    x = keras.layers.Conv2D(48, 3, activation="relu")(x)
    x = keras.layers.MaxPool2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(48, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs, name="functional_cnn")
