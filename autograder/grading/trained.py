"""The MNIST check's training, once per distinct model in a batch.

The grader's training is a function of what it is given, and of nothing the student sends but
the model's spec: the spec (a plain description, the same for a Sequential, functional or
subclassed model of the same layers), the grader's arrays, the epochs and the seed, run by the
child's modules on this TensorFlow and Keras. A class mostly builds the lecture's model, so a
batch trains each distinct model once and gives every student with that model the same
result: faster, and fairer (two runs of one model on many threads can differ in the last
digit, and so could two students' grades).

The cache is a folder of the batch's OUT (`Options.training_cache`), which every sandbox has
hidden: an entry is `<key>/outcomes`, the trainer job's own outcome stream, copied once that job
was read back well, and read again by `wire.read_outcomes`, which trusts nothing. A lock file
per key makes one batch worker train while another that needs the same model waits for it,
instead of training it too; the kernel drops the lock if its holder dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np

from autograder.core.calls import Outcome
from autograder.grading import wire

FORMAT = 1  # of the key and the entry: a change here starts a fresh cache
_DISTRIBUTIONS = ("numpy", "keras", "tensorflow", "tensorflow-cpu")


def key(spec: str, arrays: dict[str, np.ndarray], epochs: int, seed: int) -> str:
    """The training's identity: everything it is a function of."""
    digest = hashlib.sha256(f"{FORMAT}\0{_code()}\0{spec}\0{epochs}\0{seed}".encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.data)
    return digest.hexdigest()


@functools.cache
def _code() -> str:
    """The child's modules (the trainer runs them) and the versions of what they import."""
    from autograder.grading.child.worker import CHILD_MODULES
    from autograder.grading.kit import PACKAGE_DIR

    digest = hashlib.sha256()
    for name in sorted(CHILD_MODULES):
        digest.update(name.encode() + b"\0" + (PACKAGE_DIR / name).read_bytes())
    for distribution in _DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"\0{distribution}={metadata.version(distribution)}".encode())
    return digest.hexdigest()


@contextlib.contextmanager
def claimed(cache: Path | None, spec: str, arrays: dict[str, np.ndarray], epochs: int,
            seed: int) -> Iterator[Path | None]:
    """This training's entry folder in `cache`, this process alone holding it meanwhile; None
    without a cache, or with one that cannot be used here (a Dask worker on a machine without
    the batch's OUT, a full disk): then the training runs as if there were none."""
    if cache is None:
        yield None
        return
    with contextlib.ExitStack() as held:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            entry = cache / key(spec, arrays, epochs, seed)
            lock = held.enter_context(open(entry.with_name(f"{entry.name}.lock"), "a"))
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when it closes, or its holder dies
        except OSError:
            entry = None
        yield entry


def load(entry: Path | None) -> Outcome | None:
    """The stored outcome of this training, or None when there is none that reads back."""
    if entry is None or not (entry / wire.OUTCOMES).is_file():
        return None
    try:
        return wire.read_outcomes(entry).get("train")
    except (OSError, wire.BadResult):
        return None


def store(entry: Path | None, out: Path) -> None:
    """Keep `out` (a trainer job's, read back well) as `entry`; a cache that cannot take it is
    only slower."""
    if entry is None:
        return
    staging = entry.with_name(f".{entry.name}.{os.getpid()}")
    with contextlib.suppress(OSError):
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(out, staging, symlinks=True)  # a link stays a link, which reads refuse
        shutil.rmtree(entry, ignore_errors=True)  # a damaged entry that did not read back
        os.replace(staging, entry)
    shutil.rmtree(staging, ignore_errors=True)
