"""A seeded random sweep: the reference NumPy solutions against TensorFlow itself.

Every expected value here is computed in this file, straight from `tf.nn` ops (or Keras layers
in float64) on `tf.constant(..., dtype=tf.float64)` inputs, never from `autograder.authoring.oracle`, so
that a bug shared by the oracle and the solutions cannot hide. A subset of every sweep then
holds `autograder.authoring.oracle` to the same TensorFlow results (the `test_oracle_*` tests).

Each case list is drawn once, at import, from one `numpy.random.default_rng(SEED)`; a failing
case's id names its configuration (sizes, kernel/pool, stride, padding, input dtype).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

from autograder.authoring import oracle
from solutions import cnn, cross_correlation, padding, pooling, stride

SEED = 20_250_611
# TensorFlow's float64 convolutions and pools agree with exact arithmetic to ~1e-12.
RTOL_F64 = 1e-9
ATOL_F64 = 1e-9
# Keras models run in float32 by default.
RTOL_F32 = 1e-5
ATOL_F32 = 1e-5
# Every how-many-th case of each sweep is also computed by autograder.authoring.oracle.
ORACLE_EVERY = 3
MIN_CONFIGURATIONS = 500

DTYPES = ("f64", "f64", "f64", "f64", "int64", "uint8", "list")


# ---------------------------------------------------------------------------------------------
# Case generation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    args: dict[str, Any] = field(compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


_rng = np.random.default_rng(SEED)


def _int(low: int, high: int) -> int:
    """A Python int in [low, high] (inclusive)."""
    return int(_rng.integers(low, high + 1))


def _choice(options: Sequence[Any]) -> Any:
    return options[int(_rng.integers(len(options)))]


def _data(shape: tuple[int, ...], dtype: str) -> Any:
    """Random input data of a given kind: float64, int64, uint8 (full 0..255 range) or a list."""
    if dtype == "f64":
        return _rng.normal(size=shape)
    if dtype == "int64":
        return _rng.integers(-9, 10, size=shape).astype(np.int64)
    if dtype == "uint8":
        return _rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype == "list":
        return _rng.normal(size=shape).round(3).tolist()
    raise AssertionError(dtype)


def _kernel(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A float kernel, or for integer inputs sometimes an integer one."""
    if dtype == "int64" and _rng.random() < 0.5:
        return _rng.integers(-3, 4, size=shape).astype(np.int64)
    return _rng.normal(size=shape)


def _stride() -> int | tuple[int, int]:
    if _rng.random() < 0.3:
        return 1
    if _rng.random() < 0.6:
        return _int(1, 3)
    return (_int(1, 3), _int(1, 3))


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _sid(value: int | Sequence[int] | None, prefix: str = "s") -> str:
    if value is None:
        return f"{prefix}None"
    if isinstance(value, int):
        return f"{prefix}{value}"
    return f"{prefix}({value[0]},{value[1]})"


def _padding_for(h: int, w: int, kh: int, kw: int) -> str:
    """'same' whenever the window does not fit, else either mode."""
    if kh > h or kw > w:
        return "same"
    return _choice(("valid", "same"))


def _strided_cases(count: int) -> list[Case]:
    cases = []
    for _ in range(count):
        h, w, kh, kw = _int(1, 12), _int(1, 12), _int(1, 5), _int(1, 5)
        mode, s, dtype = _padding_for(h, w, kh, kw), _stride(), _choice(DTYPES)
        cases.append(Case(
            f"strided-{h}x{w}-k{kh}x{kw}-{_sid(s)}-{mode}-{dtype}",
            {"image": _data((h, w), dtype), "kernel": _kernel((kh, kw), dtype), "stride": s,
             "padding": mode},
        ))
    return cases


def _padding_cases(count: int) -> list[Case]:
    grid = [(n, k, s) for n in range(1, 13) for k in range(1, 7) for s in range(1, 5)]
    picks = _rng.choice(len(grid), size=count, replace=False)
    return [Case(f"pad-n{n}-k{k}-s{s}", {"n": n, "k": k, "s": s})
            for n, k, s in (grid[int(i)] for i in sorted(picks))]


def _conv_layer_cases(count: int) -> list[Case]:
    cases = []
    for i in range(count):
        h, w, c, f = _int(1, 12), _int(1, 12), _int(1, 4), _int(1, 5)
        kh, kw = _int(1, 5), _int(1, 5)
        mode, s, dtype = _padding_for(h, w, kh, kw), _stride(), _choice(DTYPES)
        activation = _choice(("relu", None))
        batch = 2 if i % 7 == 3 else None  # the reference also takes (N, H, W, C) batches
        shape = (h, w, c) if batch is None else (batch, h, w, c)
        # Biases of both signs, large enough to move values across ReLU's kink.
        bias = _rng.uniform(0.2, 2.0, size=f) * _rng.choice((-1.0, 1.0), size=f)
        if dtype == "uint8":
            bias = bias * 100
        cases.append(Case(
            f"conv-{'x'.join(map(str, shape))}-k{kh}x{kw}-C{c}F{f}-{_sid(s)}-{mode}"
            f"-{activation or 'linear'}-{dtype}",
            {"x": _data(shape, dtype), "kernels": _kernel((kh, kw, c, f), dtype), "bias": bias,
             "stride": s, "padding": mode, "activation": activation,
             "kernel_size": kh if kh == kw else (kh, kw)},
        ))
    return cases


def _pool_cases(count: int) -> list[Case]:
    cases = []
    for _ in range(count):
        kind = _choice(("max", "avg"))
        h, w, c = _int(1, 12), _int(1, 12), _int(1, 4)
        pool = _int(1, 5) if _rng.random() < 0.6 else (_int(1, 5), _int(1, 5))
        strides = None if _rng.random() < 0.4 else _stride()
        ph, pw = _pair(pool)
        mode, dtype = _padding_for(h, w, ph, pw), _choice(DTYPES)
        x = _data((h, w, c), dtype)
        sign = ""
        if kind == "max" and dtype == "f64" and _rng.random() < 0.4:
            x, sign = -np.abs(x) - 1.0, "-neg"  # padded cells must not win as zeros
        cases.append(Case(
            f"{kind}pool-{h}x{w}x{c}-{_sid(pool, 'p')}-{_sid(strides)}-{mode}-{dtype}{sign}",
            {"kind": kind, "x": x, "pool_size": pool, "strides": strides, "padding": mode},
        ))
    return cases


def _corr1d_cases(count: int) -> list[Case]:
    cases = []
    for _ in range(count):
        n = _int(1, 16)
        k, dtype = _int(1, n), _choice(DTYPES)
        cases.append(Case(f"1d-n{n}-k{k}-{dtype}",
                          {"x": _data((n,), dtype), "kernel": _kernel((k,), dtype)}))
    return cases


def _corr3d_cases(count: int) -> list[Case]:
    cases = []
    for _ in range(count):
        h, w, c = _int(1, 12), _int(1, 12), _int(1, 4)
        kh, kw, dtype = _int(1, min(h, 5)), _int(1, min(w, 5)), _choice(DTYPES)
        cases.append(Case(f"3d-{h}x{w}x{c}-k{kh}x{kw}-{dtype}",
                          {"volume": _data((h, w, c), dtype),
                           "kernel": _kernel((kh, kw, c), dtype)}))
    return cases


def _maps_cases(count: int) -> list[Case]:
    cases = []
    for _ in range(count):
        h, w, c, dtype = _int(1, 12), _int(1, 12), _int(1, 5), _choice(DTYPES)
        cases.append(Case(f"maps-{h}x{w}x{c}-{dtype}", {"x": _data((h, w, c), dtype)}))
    return cases


def _random_weights() -> list[np.ndarray]:
    shapes = [(3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (400, 10), (10,)]
    scales = [0.4, 0.2, 0.15, 0.2, 0.1, 0.2]
    return [(_rng.normal(size=shape) * scale) for shape, scale in zip(shapes, scales, strict=True)]


def _cnn_cases(count: int) -> list[Case]:
    cases = []
    for i in range(count):
        n, kind = _int(1, 4), ("unit", "uint8", "normal")[i % 3]
        if kind == "unit":
            images = _rng.uniform(size=(n, 28, 28, 1)).astype(np.float32)
        elif kind == "uint8":
            images = _rng.integers(0, 256, size=(n, 28, 28, 1)).astype(np.uint8)
        else:
            images = _rng.normal(size=(n, 28, 28, 1))
        cases.append(Case(f"cnn-N{n}-{kind}-{i}", {"images": images, "weights": _random_weights()}))
    return cases


STRIDED_CASES = _strided_cases(220)
PADDING_CASES = _padding_cases(150)
CONV_LAYER_CASES = _conv_layer_cases(130)
POOL_CASES = _pool_cases(200)
CORR1D_CASES = _corr1d_cases(60)
CORR3D_CASES = _corr3d_cases(60)
MAPS_CASES = _maps_cases(40)
CNN_CASES = _cnn_cases(12)

ALL_SWEEPS = {
    "strided": STRIDED_CASES, "padding": PADDING_CASES, "conv_layer": CONV_LAYER_CASES,
    "pool": POOL_CASES, "corr1d": CORR1D_CASES, "corr3d": CORR3D_CASES, "maps": MAPS_CASES,
    "cnn": CNN_CASES,
}


def _params(cases: list[Case], every: int = 1) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases[::every]]


# ---------------------------------------------------------------------------------------------
# TensorFlow side (computed here, independently of autograder.authoring.oracle)
# ---------------------------------------------------------------------------------------------


def _f64(x: Any) -> tf.Tensor:
    return tf.constant(np.asarray(x, dtype=np.float64), dtype=tf.float64)


def tf_conv(x: Any, kernels: Any, strides: Any = 1, pad: Any = "valid") -> np.ndarray:
    """tf.nn.conv2d of a batch (N, H, W, C) with (kh, kw, C, F); `pad` a mode or explicit."""
    mode = pad.upper() if isinstance(pad, str) else [[0, 0], list(pad[0]), list(pad[1]), [0, 0]]
    out = tf.nn.conv2d(_f64(x), _f64(kernels), strides=[1, *_pair(strides), 1], padding=mode)
    assert out.dtype == tf.float64
    return out.numpy()


def tf_conv2d_single(image: Any, kernel: Any, strides: Any = 1, mode: str = "valid") -> np.ndarray:
    """One (H, W) image with one (kh, kw) kernel."""
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    return tf_conv(image[None, :, :, None], kernel[:, :, None, None], strides, mode)[0, :, :, 0]


def tf_pool(kind: str, x: Any, pool_size: Any, strides: Any, mode: str) -> np.ndarray:
    """tf.nn.max_pool2d / avg_pool2d of one (H, W, C) image; strides default to the pool."""
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    ksize = _pair(pool_size)
    step = ksize if strides is None else _pair(strides)
    out = op(_f64(x)[tf.newaxis], ksize=list(ksize), strides=list(step), padding=mode.upper())
    assert out.dtype == tf.float64
    return out[0].numpy()


def tf_same_pads(n: int, k: int, s: int) -> tuple[tuple[int, int], int]:
    """TensorFlow's own 'same' padding along one axis, read off a convolution, and its length.

    The input is all ones and tap t of the kernel weighs 2**t, so each output is a bit mask of
    the taps that saw real data: the lowest bit of the first output is the padding before, and
    the taps above the highest bit of the last output are the padding after.
    """
    kernel = (2.0 ** np.arange(k))[None, :]
    out = tf_conv2d_single(np.ones((1, n)), kernel, (1, s), "same")[0]
    first, last = int(out[0]), int(out[-1])
    assert out[0] == first and out[-1] == last and first > 0 and last > 0
    before = (first & -first).bit_length() - 1
    after = k - last.bit_length()
    return (before, after), len(out)


def _reference_model_f64() -> keras.Model:
    """`solutions.cnn.reference_model()` rebuilt layer by layer from its configs, in float64."""
    model = cnn.reference_model()
    layers = [type(layer).from_config({**layer.get_config(), "dtype": "float64"})
              for layer in model.layers]
    return keras.Sequential([keras.Input(shape=model.input_shape[1:], dtype="float64"), *layers])


# ---------------------------------------------------------------------------------------------
# Comparison helpers
# ---------------------------------------------------------------------------------------------


def _small(value: Any) -> str:
    return np.array2string(np.asarray(value), precision=6, threshold=200, max_line_width=120)


def assert_matches(actual: Any, expected: np.ndarray, what: str, *, rtol: float = RTOL_F64,
                   atol: float = ATOL_F64) -> None:
    """Type, then shape, then values; the message shows both outputs."""
    assert isinstance(actual, np.ndarray), f"{what}: returned {type(actual).__name__}"
    assert actual.dtype.kind == "f", f"{what}: returned dtype {actual.dtype}, not a float"
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape}, TensorFlow gives {expected.shape}\n"
        f"got:\n{_small(actual)}\nTensorFlow:\n{_small(expected)}")
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=atol,
        err_msg=f"{what}\ngot:\n{_small(actual)}\nTensorFlow:\n{_small(expected)}")


def _frozen(*values: Any) -> list[Any]:
    return [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values]


def _assert_unchanged(before: list[Any], after: Sequence[Any], what: str) -> None:
    for old, new in zip(before, after, strict=True):
        if isinstance(new, np.ndarray):
            assert new.dtype == old.dtype and np.array_equal(new, old), f"{what} modified its input"


# ---------------------------------------------------------------------------------------------
# The sweep size and coverage
# ---------------------------------------------------------------------------------------------


def test_sweep_size_and_coverage() -> None:
    total = sum(len(cases) for cases in ALL_SWEEPS.values())
    assert total >= MIN_CONFIGURATIONS, f"only {total} configurations swept"
    for name, cases in ALL_SWEEPS.items():
        assert len({c.id for c in cases}) > 0.8 * len(cases), f"{name}: too many repeated draws"

    def dtype_of(value: Any) -> str:
        return "list" if isinstance(value, list) else np.asarray(value).dtype.name

    strided = [c.args for c in STRIDED_CASES]
    checks: dict[str, bool] = {
        "valid": any(a["padding"] == "valid" for a in strided),
        "same": any(a["padding"] == "same" for a in strided),
        "stride 2": any(a["stride"] == 2 for a in strided),
        "stride 3 same": any(a["stride"] == 3 and a["padding"] == "same" for a in strided),
        "stride 2 same even": any(a["stride"] == 2 and a["padding"] == "same"
                                  and np.shape(a["image"])[0] % 2 == 0 for a in strided),
        "stride pair": any(isinstance(a["stride"], tuple) and a["stride"][0] != a["stride"][1]
                           for a in strided),
        "even kernel": any(np.shape(a["kernel"])[0] % 2 == 0 for a in strided),
        "kernel > input, same": any(np.shape(a["kernel"])[0] > np.shape(a["image"])[0]
                                    for a in strided),
        "H != W": any(np.shape(a["image"])[0] != np.shape(a["image"])[1] for a in strided),
        "int64 input": any(dtype_of(a["image"]) == "int64" for a in strided),
        "uint8 input": any(dtype_of(a["image"]) == "uint8" for a in strided),
        "list input": any(dtype_of(a["image"]) == "list" for a in strided),
        "conv C != F": any(np.shape(c["kernels"])[2] != np.shape(c["kernels"])[3]
                           for c in CONV_LAYER_CASES),
        "conv relu": any(c["activation"] == "relu" for c in CONV_LAYER_CASES),
        "conv linear": any(c["activation"] is None for c in CONV_LAYER_CASES),
        "conv bias < 0": any((c["bias"] < 0).any() for c in CONV_LAYER_CASES),
        "conv bias > 0": any((c["bias"] > 0).any() for c in CONV_LAYER_CASES),
        "conv uint8": any(dtype_of(c["x"]) == "uint8" for c in CONV_LAYER_CASES),
        "conv batch": any(np.ndim(c["x"]) == 4 for c in CONV_LAYER_CASES),
        "max pool same": any(c["kind"] == "max" and c["padding"] == "same" for c in POOL_CASES),
        "avg pool same": any(c["kind"] == "avg" and c["padding"] == "same" for c in POOL_CASES),
        "pool > input": any(max(_pair(c["pool_size"])) > min(np.shape(c["x"])[:2])
                            for c in POOL_CASES),
        "pool default strides": any(c["strides"] is None for c in POOL_CASES),
        "pool uint8": any(dtype_of(c["x"]) == "uint8" for c in POOL_CASES),
        "max pool negative same": any(c.id.endswith("-neg") and c["padding"] == "same"
                                      for c in POOL_CASES),
    }
    missing = [name for name, present in checks.items() if not present]
    assert not missing, f"the sweep never covers: {missing}"


# ---------------------------------------------------------------------------------------------
# Reference solutions against TensorFlow
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(STRIDED_CASES))
def test_strided_and_padded_correlation(case: Case) -> None:
    image, kernel, s, mode = case["image"], case["kernel"], case["stride"], case["padding"]
    expected = tf_conv2d_single(image, kernel, s, mode)
    before = _frozen(image, kernel)
    got = stride.correlate2d_strided(image, kernel, s, mode)
    _assert_unchanged(before, (image, kernel), "correlate2d_strided")
    assert_matches(got, expected, f"correlate2d_strided [{case.id}]")

    (h, w), (kh, kw), (sh, sw) = np.shape(image), np.shape(kernel), _pair(s)
    assert (stride.output_size(h, kh, sh, mode), stride.output_size(w, kw, sw, mode)) == \
        expected.shape, f"output_size [{case.id}]"

    if mode == "same":
        # TF's 'same' equals explicit zero padding by the reference's (before, after).
        pads = (padding.same_padding(h, kh, sh), padding.same_padding(w, kw, sw))
        explicit = tf_conv(np.asarray(image, dtype=np.float64)[None, :, :, None],
                           np.asarray(kernel, dtype=np.float64)[:, :, None, None], s, pads)
        assert_matches(expected, explicit[0, :, :, 0], f"same_padding {pads} [{case.id}]")
        assert_matches(padding.zero_pad(image, pads), tf.pad(_f64(image), pads).numpy(),
                       f"zero_pad {pads} [{case.id}]")
    if (sh, sw) == (1, 1):
        assert_matches(padding.correlate2d_padded(image, kernel, mode), expected,
                       f"correlate2d_padded [{case.id}]")
        if mode == "valid":
            assert_matches(cross_correlation.correlate2d(image, kernel), expected,
                           f"correlate2d [{case.id}]")


@pytest.mark.parametrize("case", _params(PADDING_CASES))
def test_same_padding_and_output_size(case: Case) -> None:
    n, k, s = case["n"], case["k"], case["s"]
    pads, same_length = tf_same_pads(n, k, s)
    assert padding.same_padding(n, k, s) == pads, f"same_padding({n}, {k}, {s})"
    assert stride.output_size(n, k, s, "same") == same_length
    if k <= n:
        valid = tf_conv2d_single(np.ones((1, n)), np.ones((1, k)), (1, s), "valid")
        assert stride.output_size(n, k, s, "valid") == valid.shape[1]
        assert stride.output_size(n, k, s) == valid.shape[1]  # "valid" is the default
    else:
        with pytest.raises(ValueError):
            stride.output_size(n, k, s, "valid")


@pytest.mark.parametrize("case", _params(CONV_LAYER_CASES))
def test_conv2d_layer(case: Case) -> None:
    x, kernels, bias = case["x"], case["kernels"], case["bias"]
    s, mode, activation = case["stride"], case["padding"], case["activation"]
    batch = np.asarray(x, dtype=np.float64)
    batch = batch if batch.ndim == 4 else batch[np.newaxis]
    out = tf.nn.bias_add(tf_conv(batch, kernels, s, mode), _f64(bias))
    if activation == "relu":
        out = tf.nn.relu(out)
    expected = out.numpy() if np.ndim(x) == 4 else out.numpy()[0]

    before = _frozen(x, kernels, bias)
    got = cnn.conv2d_layer(x, kernels, bias, s, mode, activation)
    _assert_unchanged(before, (x, kernels, bias), "conv2d_layer")
    assert_matches(got, expected, f"conv2d_layer [{case.id}]")

    filters, kernel_size = np.shape(kernels)[3], case["kernel_size"]
    tf_shape = tuple(out.shape)
    shape = cnn.conv_output_shape(batch.shape, filters, kernel_size, s, mode)
    assert shape == tf_shape and all(type(d) is int for d in shape), f"conv_output_shape {shape}"
    unknown = cnn.conv_output_shape((None, *batch.shape[1:]), filters, kernel_size, s, mode)
    assert unknown == (None, *tf_shape[1:]), f"conv_output_shape, None batch: {unknown}"


@pytest.mark.parametrize("case", _params(CONV_LAYER_CASES, 4))
def test_conv_output_shape_against_keras_with_unknown_sizes(case: Case) -> None:
    """Keras keeps unknown (None) batch and spatial sizes unknown."""
    (h, w, c), filters = np.shape(case["x"])[-3:], np.shape(case["kernels"])[3]
    kernel_size, s, mode = case["kernel_size"], case["stride"], case["padding"]
    layer = keras.layers.Conv2D(filters, kernel_size, strides=s, padding=mode)
    for shape in ((None, h, w, c), (None, None, w, c), (None, h, None, c), (3, h, w, c)):
        expected = tuple(layer.compute_output_shape(shape))
        assert cnn.conv_output_shape(shape, filters, kernel_size, s, mode) == expected, shape


@pytest.mark.parametrize("case", _params(POOL_CASES))
def test_pooling(case: Case) -> None:
    kind, x, pool, strides, mode = (case["kind"], case["x"], case["pool_size"], case["strides"],
                                    case["padding"])
    expected = tf_pool(kind, x, pool, strides, mode)
    function = pooling.max_pool2d if kind == "max" else pooling.avg_pool2d
    before = _frozen(x)
    got = function(x, pool, strides, mode) if strides is not None else function(
        x, pool, padding=mode)  # strides left out: the default must be the pool size
    _assert_unchanged(before, (x,), function.__name__)
    assert_matches(got, expected, f"{function.__name__} [{case.id}]")

    shape = (1, *np.shape(x))
    tf_shape = (1, *expected.shape)
    got_shape = cnn.pool_output_shape(shape, pool, strides, mode)
    assert got_shape == tf_shape and all(type(d) is int for d in got_shape), got_shape
    assert cnn.pool_output_shape((None, *shape[1:]), pool, strides, mode) == (None, *tf_shape[1:])


@pytest.mark.parametrize("case", _params(POOL_CASES, 4))
def test_pooling_against_keras_layers(case: Case) -> None:
    """Keras pooling layers (what the course uses) in float64, and their output shapes."""
    kind, x, pool, strides, mode = (case["kind"], case["x"], case["pool_size"], case["strides"],
                                    case["padding"])
    layer_type = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    layer = layer_type(pool_size=pool, strides=strides, padding=mode, dtype="float64")
    expected = layer(_f64(x)[tf.newaxis])[0].numpy()
    function = pooling.max_pool2d if kind == "max" else pooling.avg_pool2d
    assert_matches(function(x, pool, strides, mode), expected, f"{function.__name__} [{case.id}]")
    for shape in ((None, *np.shape(x)), (None, None, np.shape(x)[1], np.shape(x)[2])):
        assert cnn.pool_output_shape(shape, pool, strides, mode) == \
            tuple(layer.compute_output_shape(shape)), shape


@pytest.mark.parametrize("case", _params(CORR1D_CASES))
def test_correlate1d_and_convolve1d(case: Case) -> None:
    x, kernel = case["x"], case["kernel"]
    x64, k64 = np.asarray(x, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    tf_corr = tf.nn.conv1d(_f64(x64)[tf.newaxis, :, tf.newaxis], _f64(k64)[:, tf.newaxis, tf.newaxis],
                           stride=1, padding="VALID").numpy().reshape(-1)
    tf_conv_ = tf.nn.conv1d(_f64(x64)[tf.newaxis, :, tf.newaxis],
                            _f64(k64[::-1].copy())[:, tf.newaxis, tf.newaxis],
                            stride=1, padding="VALID").numpy().reshape(-1)
    before = _frozen(x, kernel)
    corr = cross_correlation.correlate1d(x, kernel)
    conv = cross_correlation.convolve1d(x, kernel)
    _assert_unchanged(before, (x, kernel), "correlate1d/convolve1d")
    assert_matches(corr, tf_corr, f"correlate1d vs tf.nn.conv1d [{case.id}]")
    assert_matches(corr, np.convolve(x64, k64[::-1], "valid"), f"correlate1d vs numpy [{case.id}]")
    assert_matches(conv, tf_conv_, f"convolve1d vs tf.nn.conv1d [{case.id}]")
    assert_matches(conv, np.convolve(x64, k64, "valid"), f"convolve1d vs np.convolve [{case.id}]")


@pytest.mark.parametrize("case", _params(CORR3D_CASES))
def test_correlate3d(case: Case) -> None:
    volume, kernel = case["volume"], case["kernel"]
    expected = tf_conv(np.asarray(volume, dtype=np.float64)[np.newaxis],
                       np.asarray(kernel, dtype=np.float64)[..., np.newaxis])[0, :, :, 0]
    before = _frozen(volume, kernel)
    got = cross_correlation.correlate3d(volume, kernel)
    _assert_unchanged(before, (volume, kernel), "correlate3d")
    assert_matches(got, expected, f"correlate3d [{case.id}]")


@pytest.mark.parametrize("case", _params(MAPS_CASES))
def test_global_pool_flatten_relu(case: Case) -> None:
    x = case["x"]
    batch = _f64(x)[tf.newaxis]
    gap = keras.layers.GlobalAveragePooling2D(dtype="float64")(batch)[0].numpy()
    flat = keras.layers.Flatten(dtype="float64")(batch)[0].numpy()
    before = _frozen(x)
    assert_matches(pooling.global_avg_pool2d(x), gap, f"global_avg_pool2d [{case.id}]")
    assert_matches(pooling.global_avg_pool2d(x), tf.reduce_mean(_f64(x), axis=(0, 1)).numpy(),
                   f"global_avg_pool2d vs reduce_mean [{case.id}]")
    assert_matches(pooling.flatten(x), flat, f"flatten [{case.id}]")
    assert_matches(cnn.relu(x), tf.nn.relu(_f64(x)).numpy(), f"relu [{case.id}]")
    _assert_unchanged(before, (x,), "global_avg_pool2d/flatten/relu")


@pytest.fixture(scope="module")
def keras_models() -> tuple[keras.Model, keras.Model]:
    """The reference CNN as given (float32) and rebuilt from its layer configs in float64."""
    return cnn.reference_model(), _reference_model_f64()


def test_float64_replica_is_the_reference_model(
        keras_models: tuple[keras.Model, keras.Model]) -> None:
    given, replica = keras_models
    assert [type(layer) for layer in given.layers] == [type(layer) for layer in replica.layers]
    assert [w.shape for w in given.get_weights()] == [w.shape for w in replica.get_weights()]
    assert given.output_shape == replica.output_shape == (None, 10)
    assert all(w.dtype == np.float64 for w in replica.get_weights())


@pytest.mark.parametrize("case", _params(CNN_CASES))
def test_cnn_forward(case: Case, keras_models: tuple[keras.Model, keras.Model]) -> None:
    images, weights = case["images"], case["weights"]
    given, replica = keras_models
    replica.set_weights(weights)
    expected = replica(_f64(images)).numpy()
    before = _frozen(images, *weights)
    got = cnn.cnn_forward(images, weights)
    _assert_unchanged(before, (images, *weights), "cnn_forward")
    assert_matches(got, expected, f"cnn_forward vs float64 Keras [{case.id}]")

    if images.dtype == np.float32:  # also the model exactly as given, in float32
        given.set_weights([w.astype(np.float32) for w in weights])
        weights32 = given.get_weights()
        logits32 = given(tf.constant(images)).numpy()
        assert_matches(cnn.cnn_forward(images, weights32), logits32.astype(np.float64),
                       f"cnn_forward vs float32 Keras [{case.id}]", rtol=RTOL_F32, atol=ATOL_F32)
    if images.dtype == np.uint8:
        pixels = images[..., 0]
        expected_pre = (tf.cast(tf.constant(pixels), tf.float32) / 255.0)[..., tf.newaxis].numpy()
        got_pre = cnn.preprocess(pixels)
        assert isinstance(got_pre, np.ndarray) and got_pre.dtype == np.float32, got_pre.dtype
        assert got_pre.shape == expected_pre.shape
        np.testing.assert_allclose(got_pre, expected_pre, rtol=RTOL_F32, atol=ATOL_F32)


# ---------------------------------------------------------------------------------------------
# autograder.authoring.oracle held to the same TensorFlow results, on a subset of every sweep
# ---------------------------------------------------------------------------------------------


def _oracle_matches(function: Callable[..., Any], args: tuple[Any, ...], expected: np.ndarray,
                    what: str, **tolerance: float) -> None:
    got = function(*args)
    assert_matches(np.asarray(got), expected, f"oracle.{what}", **tolerance)


@pytest.mark.parametrize("case", _params(STRIDED_CASES, ORACLE_EVERY))
def test_oracle_correlation_2d(case: Case) -> None:
    image, kernel, s, mode = case["image"], case["kernel"], case["stride"], case["padding"]
    expected = tf_conv2d_single(image, kernel, s, mode)
    _oracle_matches(oracle.function("correlate2d_strided"), (image, kernel, s, mode), expected,
                    f"correlate2d_strided [{case.id}]")
    (h, w), (kh, kw), (sh, sw) = np.shape(image), np.shape(kernel), _pair(s)
    output_size = oracle.function("output_size")
    assert (output_size(h, kh, sh, mode), output_size(w, kw, sw, mode)) == expected.shape
    if (sh, sw) == (1, 1):
        _oracle_matches(oracle.function("correlate2d_padded"), (image, kernel, mode), expected,
                        f"correlate2d_padded [{case.id}]")
        if mode == "valid":
            _oracle_matches(oracle.function("correlate2d"), (image, kernel), expected,
                            f"correlate2d [{case.id}]")
    if mode == "same":
        pads = (tf_same_pads(h, kh, sh)[0], tf_same_pads(w, kw, sw)[0])
        _oracle_matches(oracle.function("zero_pad"), (image, pads), tf.pad(_f64(image), pads).numpy(),
                        f"zero_pad [{case.id}]")


@pytest.mark.parametrize("case", _params(PADDING_CASES, ORACLE_EVERY))
def test_oracle_same_padding_and_output_size(case: Case) -> None:
    n, k, s = case["n"], case["k"], case["s"]
    pads, same_length = tf_same_pads(n, k, s)
    assert oracle.function("same_padding")(n, k, s) == pads
    assert oracle.function("output_size")(n, k, s, "same") == same_length
    if k <= n:
        valid = tf_conv2d_single(np.ones((1, n)), np.ones((1, k)), (1, s), "valid")
        assert oracle.function("output_size")(n, k, s, "valid") == valid.shape[1]


@pytest.mark.parametrize("case", _params(CONV_LAYER_CASES, ORACLE_EVERY))
def test_oracle_conv2d_layer(case: Case) -> None:
    x, kernels, bias = case["x"], case["kernels"], case["bias"]
    s, mode, activation = case["stride"], case["padding"], case["activation"]
    image = np.asarray(x)[0] if np.ndim(x) == 4 else x  # the oracle takes one image
    out = tf.nn.bias_add(tf_conv(np.asarray(image, dtype=np.float64)[np.newaxis], kernels, s,
                                 mode), _f64(bias))
    if activation == "relu":
        out = tf.nn.relu(out)
    _oracle_matches(oracle.function("conv2d_layer"), (image, kernels, bias, s, mode, activation),
                    out.numpy()[0], f"conv2d_layer [{case.id}]")
    filters, kernel_size = np.shape(kernels)[3], case["kernel_size"]
    assert oracle.function("conv_output_shape")((None, *np.shape(image)), filters, kernel_size, s, mode) == \
        (None, *out.shape[1:])


@pytest.mark.parametrize("case", _params(POOL_CASES, ORACLE_EVERY))
def test_oracle_pooling(case: Case) -> None:
    kind, x, pool, strides, mode = (case["kind"], case["x"], case["pool_size"], case["strides"],
                                    case["padding"])
    expected = tf_pool(kind, x, pool, strides, mode)
    function = oracle.function("max_pool2d") if kind == "max" else oracle.function("avg_pool2d")
    _oracle_matches(function, (x, pool, strides, mode), expected, f"{kind}_pool2d [{case.id}]")
    assert oracle.function("pool_output_shape")((None, *np.shape(x)), pool, strides, mode) == \
        (None, *expected.shape)


@pytest.mark.parametrize("case", _params(CORR1D_CASES, ORACLE_EVERY))
def test_oracle_correlate1d_and_convolve1d(case: Case) -> None:
    x, kernel = case["x"], case["kernel"]
    x64, k64 = np.asarray(x, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    _oracle_matches(oracle.function("correlate1d"), (x, kernel), np.convolve(x64, k64[::-1], "valid"),
                    f"correlate1d [{case.id}]")
    _oracle_matches(oracle.function("convolve1d"), (x, kernel), np.convolve(x64, k64, "valid"),
                    f"convolve1d [{case.id}]")


@pytest.mark.parametrize("case", _params(CORR3D_CASES, ORACLE_EVERY))
def test_oracle_correlate3d(case: Case) -> None:
    volume, kernel = case["volume"], case["kernel"]
    expected = tf_conv(np.asarray(volume, dtype=np.float64)[np.newaxis],
                       np.asarray(kernel, dtype=np.float64)[..., np.newaxis])[0, :, :, 0]
    _oracle_matches(oracle.function("correlate3d"), (volume, kernel), expected, f"correlate3d [{case.id}]")


@pytest.mark.parametrize("case", _params(MAPS_CASES, ORACLE_EVERY))
def test_oracle_global_pool_flatten_relu(case: Case) -> None:
    x = case["x"]
    x64 = np.asarray(x, dtype=np.float64)
    _oracle_matches(oracle.function("global_avg_pool2d"), (x,), tf.reduce_mean(_f64(x), axis=(0, 1)).numpy(),
                    f"global_avg_pool2d [{case.id}]")
    _oracle_matches(oracle.function("flatten"), (x,), tf.reshape(_f64(x), [-1]).numpy(),
                    f"flatten [{case.id}]")
    _oracle_matches(oracle.function("relu"), (x,), np.maximum(x64, 0.0), f"relu [{case.id}]")


@pytest.mark.parametrize("case", _params(CNN_CASES, 2))
def test_oracle_cnn_forward(case: Case, keras_models: tuple[keras.Model, keras.Model]) -> None:
    images, weights = case["images"], case["weights"]
    replica = keras_models[1]
    replica.set_weights(weights)
    _oracle_matches(oracle.function("cnn_forward"), (images, weights), replica(_f64(images)).numpy(),
                    f"cnn_forward [{case.id}]")
    if images.dtype == np.uint8:
        pixels = images[..., 0]
        expected = (tf.cast(tf.constant(pixels), tf.float32) / 255.0)[..., tf.newaxis].numpy()
        got = oracle.function("preprocess")(pixels)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=RTOL_F32, atol=ATOL_F32)
