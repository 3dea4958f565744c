"""Exercise 5, the CNN, for instructors and authors: its notebook introduction, its Keras
oracle, its hidden-case plans and its known-mistake mutants. (`build_cnn` has none of these:
its MNIST check, run by the grader's trainer, is the test.)"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.core.calls import Call
from autograder.course import draws as d
from autograder.course import mutate as m
from autograder.course import tfops as ops

ABOUT = (
    "A convolutional layer applies many kernels to its input at once. Each kernel is as deep "
    "as the input, produces one feature map, shares its weights across all positions and "
    "adds one bias for the whole map before the activation (usually ReLU). A CNN stacks such "
    "layers with pooling layers into a feature extractor and puts a small dense classifier "
    "on top. Here you write that layer and a whole forward pass in NumPy, predict the shapes "
    "Keras layers produce, and design a Keras CNN that learns MNIST.")
# Functions the stub gives as they are (part of the statement), with the line above their cell.
GIVEN = {"reference_model": "The model that `cnn_forward` reproduces is given (read-only): "
                            "run its cell."}


# --- the oracle -----------------------------------------------------------------------------

def tf_relu(x: Any) -> np.ndarray:
    return ops.tf().nn.relu(ops.f64(x)).numpy()


def tf_conv2d_layer(x: Any, kernels: Any, bias: Any, stride: Any = 1, padding: str = "valid",
                    activation: str | None = "relu") -> np.ndarray:
    kernels = np.asarray(kernels, dtype=np.float64)
    layer = ops.keras().layers.Conv2D(kernels.shape[3], kernels.shape[:2], strides=stride,
                                      padding=padding, activation=activation, dtype="float64")
    layer.build((None, *np.shape(x)))
    layer.set_weights([kernels, np.asarray(bias, dtype=np.float64)])
    return layer(ops.f64(x)[None])[0].numpy()


def tf_conv_output_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                         padding: str = "valid") -> tuple[int | None, ...]:
    layer = ops.keras().layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    return tuple(layer.compute_output_shape(tuple(input_shape)))


def tf_pool_output_shape(input_shape: Any, pool_size: Any = 2, strides: Any = None,
                         padding: str = "valid") -> tuple[int | None, ...]:
    layer = ops.keras().layers.MaxPooling2D(pool_size=pool_size, strides=strides, padding=padding)
    return tuple(layer.compute_output_shape(tuple(input_shape)))


def reference_model(dtype: str = "float32") -> Any:
    """The reference CNN of the exercise contract (the stub gives the same one to students)."""
    keras = ops.keras()
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1), dtype=dtype),
        keras.layers.Conv2D(8, 3, activation="relu", dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),
        keras.layers.Conv2D(16, 3, activation="relu", dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),
        keras.layers.Flatten(dtype=dtype),
        keras.layers.Dense(10, dtype=dtype),
    ])


def tf_cnn_forward(images: Any, weights: Any) -> np.ndarray:
    model = reference_model("float64")
    model.set_weights([np.asarray(w, dtype=np.float64) for w in weights])
    return model(ops.f64(images)).numpy()


def tf_preprocess(images: Any) -> np.ndarray:
    tf = ops.tf()
    return (tf.cast(tf.constant(images), tf.float32) / 255.0)[..., None].numpy()


# --- hidden cases ---------------------------------------------------------------------------
def _cover_relu(rng: np.random.Generator) -> list[Call]:
    """Each input kind in one to four dimensions; all negative; all zeros."""
    calls = [Call("relu", (d.data(rng, tuple(d.size(rng, 1, 4) for _ in range(ndim)), kind),))
             for kind in d.KINDS for ndim in (1, 2, 3, 4)]
    return [*calls, Call("relu", (-rng.uniform(0.1, 5, size=(3, 2)),)), Call("relu", (np.zeros(4),))]


def _relu(rng: np.random.Generator) -> Call:
    return Call("relu", (d.image(rng, (d.size(rng, 1, 5), d.size(rng, 1, 5))),))


def _conv(rng: np.random.Generator) -> Call:
    h, w, c, f = d.size(rng, 3, 9), d.size(rng, 3, 9), d.size(rng, 1, 4), d.size(rng, 1, 5)
    kernels = rng.normal(size=(d.size(rng, 1, h), d.size(rng, 1, w), c, f)).round(3)
    activation = "relu" if rng.random() < 0.5 else None
    return Call("conv2d_layer", (d.image(rng, (h, w, c)), kernels, rng.normal(size=f).round(3),
                                 d.random_stride(rng), d.mode(rng), activation))


def _layer_weights(rng: np.random.Generator, sizes: d.Sizes, channels: tuple[int, int],
                   kind: str) -> tuple[Any, Any]:
    (kh, kw), (c, f) = sizes[1], channels
    return d.data(rng, (kh, kw, c, f), kind), rng.normal(size=f).round(3)


def _cover_conv(rng: np.random.Generator) -> list[Call]:
    """Every stride with both modes (parity and divisibility rotating), C != F, both
    activations; a kernel larger than the input with 'same'; the defaults."""
    calls = []
    for i, g in enumerate(d.rotation(d.STRIDES)):
        sizes = g.draw(rng)
        c = d.size(rng, 1, 3)
        f = c + d.size(rng, 1, 2)
        kernels, bias = _layer_weights(rng, sizes, (c, f), ("float64", "float32", "int64", "list")[i % 4])
        x = d.data(rng, (*sizes[0], c), d.KINDS[i % len(d.KINDS)])
        calls.append(Call("conv2d_layer", (x, kernels, bias, g.stride, g.mode, ("relu", None)[i // 2 % 2])))
    x = rng.normal(size=(3, 4, 2)).round(3)
    calls += [Call("conv2d_layer", (x, rng.normal(size=(7, 6, 2, 3)).round(3), [0.5, -0.5, 0.1], 1, "same")),
              Call("conv2d_layer", (rng.normal(size=(1, 1, 1)).round(3), [[[[1.5, -2.0]]]], [0.25, 0.5])),
              Call("conv2d_layer", (x, rng.normal(size=(2, 3, 2, 1)).round(3), [-0.2])),  # defaults
              Call("conv2d_layer", (x, rng.normal(size=(3, 2, 2, 2)).round(3), [0.3, -1.0]),
                   {"stride": (2, 1), "padding": "same", "activation": None})]
    return calls


def _bad_conv(rng: np.random.Generator) -> list[Call]:
    """Channel mismatches (input vs kernels, kernels vs bias), unknown modes and activations,
    non-positive strides, wrong ranks, a kernel larger than a 'valid' input, empty."""
    x, kernels, bias = rng.normal(size=(4, 5, 2)).round(3), np.ones((2, 2, 2, 3)), np.zeros(3)
    return [Call("conv2d_layer", args) for args in (
        (x, np.ones((2, 2, 3, 3)), bias), (x, kernels, np.zeros(2)), (x, kernels, np.zeros(1)),
        (x, np.ones((2, 2, 2, 1)), bias),
        (x, kernels, bias, 1, "valid", "sigmoid"), (x, kernels, bias, 0), (x, kernels, bias, (1, 0)),
        (x[..., 0], np.ones((2, 2, 1, 3)), bias), (x, np.ones((2, 2, 2)), bias),
        (x, np.ones((5, 2, 2, 3)), bias), (np.ones((0, 3, 2)), np.ones((1, 1, 2, 3)), bias),
        (np.ones((0, 3, 2)), np.ones((1, 1, 2, 3)), bias, 1, "same"))] + d.bad_modes(
        "conv2d_layer", (x, kernels, bias, 1))


def _shape_call(name: str) -> d.Draw:
    def draw(rng: np.random.Generator) -> Call:
        batch = None if rng.random() < 0.5 else d.size(rng, 1, 8)
        h, w = d.size(rng, 5, 40), d.size(rng, 5, 40)
        shape = (batch, h, w, d.size(rng, 1, 16))
        window = d.size(rng, 1, 5)
        if name == "conv_output_shape":
            return Call(name, (shape, d.size(rng, 1, 64), window, d.random_stride(rng), d.mode(rng)))
        strides = None if rng.random() < 0.4 else d.random_stride(rng)
        return Call(name, (shape, window, strides, d.mode(rng)))
    return draw


def _cover_shape(name: str) -> d.Cover:
    """The grid (default pool strides too), a known or unknown batch, square windows as ints;
    the defaults."""
    strides = d.STRIDES if name == "conv_output_shape" else d.POOL_STRIDES

    def cover(rng: np.random.Generator) -> list[Call]:
        calls = []
        for i, g in enumerate(d.grid(strides)):
            (h, w), window, _ = g.draw(rng)
            shape = ((None, d.size(rng, 1, 8))[i % 2], h, w, d.size(rng, 1, 16))
            size = d.as_given(window)
            args = ((shape, d.size(rng, 1, 64), size, g.stride, g.mode) if name == "conv_output_shape"
                    else (shape, size, g.stride, g.mode))
            calls.append(Call(name, args))
        shape = (None, d.size(rng, 5, 20), d.size(rng, 5, 20), 3)
        if name == "conv_output_shape":  # the defaults; a single filter
            return [*calls, Call(name, (shape, 8, 3)), Call(name, (shape, 1, (2, 3), 2, "same"))]
        return [*calls, Call(name, (shape,)), Call(name, (shape, 3))]
    return cover


def _bad_shape(name: str) -> d.Cover:
    def bad(rng: np.random.Generator) -> list[Call]:
        shape = (None, 6, 7, 3)
        if name == "conv_output_shape":
            cases: tuple[tuple[Any, ...], ...] = (
                ((6, 7, 3), 4, 3), (shape, 0, 3), (shape, 4, 0), (shape, 4, (3, 0)), (shape, 4, 3, 0),
                (shape, 4, 3, (1, -1)), (shape, 4, (7, 2)), (shape, 4, (2, 8)))
        else:
            cases = (((6, 7, 3),), (shape, 0), (shape, (2, 0)), (shape, 2, 0), (shape, 2, (0, 1)),
                     (shape, (7, 2)), (shape, (2, 8)))
        modes = (shape, 4, 3, 1) if name == "conv_output_shape" else (shape, 2, None)
        return [Call(name, args) for args in cases] + d.bad_modes(name, modes)
    return bad


def _weights(rng: np.random.Generator, dtype: type = np.float32) -> list[np.ndarray]:
    shapes = ((3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (400, 10), (10,))
    return [(rng.normal(size=s) * 0.3).astype(dtype) for s in shapes]


def _forward(rng: np.random.Generator) -> Call:
    return Call("cnn_forward", (rng.uniform(size=(d.size(rng, 1, 4), 28, 28, 1)).astype(np.float32),
                                _weights(rng)))


def _cover_forward(rng: np.random.Generator) -> list[Call]:
    """One to three images in float32 and float64, weights in either."""
    return [Call("cnn_forward", (rng.uniform(size=(n, 28, 28, 1)).round(3).astype(dtype),
                                 _weights(rng, weights)))
            for n, dtype, weights in ((1, np.float32, np.float64), (2, np.float64, np.float32),
                                      (3, np.float32, np.float32))]


def _bad_forward(rng: np.random.Generator) -> list[Call]:
    images = rng.uniform(size=(2, 28, 28, 1)).astype(np.float32)
    return [Call("cnn_forward", (images, _weights(rng)[:5])),
            Call("cnn_forward", (images[0], _weights(rng)))]


def _pixels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)


def _bad_preprocess(rng: np.random.Generator) -> list[Call]:
    return [Call("preprocess", (_pixels(rng, 1)[0],)), Call("preprocess", (_pixels(rng, 2)[..., None],))]


DRAWS = {
    "relu": d.Plan(_cover_relu, d.none, _relu, 15),
    "conv2d_layer": d.Plan(_cover_conv, _bad_conv, _conv, 4),
    "conv_output_shape": d.Plan(_cover_shape("conv_output_shape"), _bad_shape("conv_output_shape"),
                                _shape_call("conv_output_shape"), 15),
    "pool_output_shape": d.Plan(_cover_shape("pool_output_shape"), _bad_shape("pool_output_shape"),
                                _shape_call("pool_output_shape"), 15),
    "cnn_forward": d.Plan(_cover_forward, _bad_forward, _forward, 2),
    "preprocess": d.Plan(lambda rng: [Call("preprocess", (_pixels(rng, n),)) for n in (1, 2, 3)],
                         _bad_preprocess,
                         lambda rng: Call("preprocess", (_pixels(rng, d.size(rng, 1, 4)),)), 3),
}


# --- known mistakes -------------------------------------------------------------------------

def _conv_layer(*, bias: bool = True, relu_first: bool = False, first_channel_only: bool = False,
                kernel_layout: bool = False, subsample: bool = False,
                pads: m.Pads = m.tf_pads) -> m.Mutant:
    def conv2d_layer(x: Any, kernels: Any, b: Any, stride: Any = 1, padding: str = "valid",
                     activation: str | None = "relu") -> np.ndarray:
        x, kernels, b = m.f(x), m.f(kernels), m.f(b)
        kh, kw, c, f = kernels.shape
        if kernel_layout:  # indexes kernels[f, c, i, j] as if stored (F, C, kh, kw)
            kernels = kernels.reshape(f, c, kh, kw).transpose(2, 3, 1, 0)
        s = (1, 1) if subsample else m.pair(stride)
        if padding == "same":
            x = np.pad(x, [pads(x.shape[0], kh, s[0]), pads(x.shape[1], kw, s[1]), (0, 0)])
        windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::s[0], ::s[1]]
        if first_channel_only:
            out = np.einsum("ijkl,klf->ijf", windows[:, :, 0], kernels[:, :, 0])
        else:
            out = np.einsum("ijckl,klcf->ijf", windows, kernels)
        if subsample:
            out = out[::m.pair(stride)[0], ::m.pair(stride)[1]]
        if relu_first and activation == "relu":
            return np.maximum(out, 0) + b
        out = out + b if bias else out
        return np.maximum(out, 0) if activation == "relu" else out
    return conv2d_layer


def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{mistake: {function: mutant}}`, each mutant the `reference` module with one mistake."""
    cnn = reference

    def relu_in_place(x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)  # no copy for a float64 array
        x[x < 0] = 0
        return x

    def flatten_channels_first_forward(images: Any, weights: Any) -> np.ndarray:
        k1, b1, k2, b2, w, b = (np.asarray(v, dtype=np.float64) for v in weights)
        x = cnn._max_pool_2x2(cnn.conv2d_layer(np.asarray(images, dtype=np.float64), k1, b1))
        x = cnn._max_pool_2x2(cnn.conv2d_layer(x, k2, b2))
        return x.transpose(0, 3, 1, 2).reshape(len(x), -1) @ w + b

    def truncating_preprocess(images: Any) -> np.ndarray:
        return (np.asarray(images) // 255).astype(np.float32)[..., np.newaxis]

    def shape_with(rule: m.Mutant) -> m.Mutant:
        def shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                  padding: str = "valid") -> tuple[Any, ...]:
            (kh, kw), (sh, sw) = m.pair(kernel_size), m.pair(strides)
            n, h, w, _ = input_shape
            return n, rule(h, kh, sh, padding), rule(w, kw, sw, padding), filters
        return shape

    def swapped_shape(input_shape: Any, filters: int, kernel_size: Any, strides: Any = 1,
                      padding: str = "valid") -> tuple[Any, ...]:
        return cnn.conv_output_shape(input_shape, filters, kernel_size, m.swapped(strides), padding)

    def stride_one_pool_shape(input_shape: Any, pool_size: Any = 2, strides: Any = None,
                              padding: str = "valid") -> tuple[Any, ...]:
        return cnn.pool_output_shape(input_shape, pool_size, 1 if strides is None else strides,
                                     padding)

    return {
        "forgot_bias": {"conv2d_layer": _conv_layer(bias=False)},
        "relu_before_bias": {"conv2d_layer": _conv_layer(relu_first=True)},
        "channels_not_summed": {"conv2d_layer": _conv_layer(first_channel_only=True)},
        "kernel_layout": {"conv2d_layer": _conv_layer(kernel_layout=True)},
        "subsampled_stride": {"conv2d_layer": _conv_layer(subsample=True)},
        "extra_top_left": {"conv2d_layer": _conv_layer(pads=m.top_left_pads)},
        "flatten_channels_first": {"cnn_forward": flatten_channels_first_forward},
        "integer_truncation": {"preprocess": truncating_preprocess},
        "modifies_input": {"relu": relu_in_place},
        "ceil_stride": {"conv_output_shape": shape_with(m.ceil_output_size)},
        "floor_same": {"conv_output_shape": shape_with(m.floor_output_size),
                       "conv2d_layer": _conv_layer(pads=m.floor_pads)},
        "swapped_stride": {"conv_output_shape": swapped_shape},
        "pool_stride_one": {"pool_output_shape": stride_one_pool_shape},
    }
