"""The MNIST check's cache in the student loop: a rerun with the same model description, the
same preprocessing and the same data reuses the earlier training result, and says so; any
change trains again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from autograder.core import probes, tfquiet
from autograder.core.calls import Outcome
from autograder.core.checks import public_checks
from autograder.student import loop as student
from tests.conftest import ROOT, SOLUTIONS

SPEC = '[{"class": "Dense"}]'


@pytest.fixture
def mnist_check():  # type: ignore[no-untyped-def]
    (check,) = [c for c in public_checks("cnn", seed=student.GRADER_SEED)
                if c.call.mode == "mnist"]
    return check


class FakeKeras:
    """The two sides of the MNIST check without TensorFlow: the student's side describes a
    model (`spec`) and preprocesses as told; the training predicts the right labels."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, y_test: np.ndarray) -> None:
        self.spec, self.scale, self.trained = SPEC, 255.0, 0
        monkeypatch.setattr(tfquiet, "tensorflow", lambda: None)
        monkeypatch.setattr(probes, "submit_mnist", self.submit)
        monkeypatch.setattr(probes, "train_from_spec", self.train)
        self.y_test = y_test

    def submit(self, module: ModuleType, call) -> Outcome:  # type: ignore[no-untyped-def]
        images = np.concatenate([call.kwargs["x_train"], call.kwargs["x_test"]])
        pixels = images.astype(np.float32)[..., np.newaxis] / np.float32(self.scale)
        return Outcome(type_name="keras.Model", is_ndarray=True, array=pixels,
                       data={"type": "keras.Model", "is_model": True, "spec": self.spec})

    def train(self, spec: str, **kwargs: object) -> Outcome:
        self.trained += 1
        labels = np.asarray(self.y_test, dtype=np.int64)
        return Outcome(type_name="keras.Model", is_ndarray=True,
                       array=np.stack([np.zeros_like(labels), labels]),
                       data={"type": "keras.Model", "is_model": True, "layers": [],
                             "params": 10, "final_activation": None})


def _run(check, root: Path) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    module = ModuleType("cnn")
    module.build_cnn = lambda: None  # type: ignore[attr-defined]
    run = student.ExerciseRun(student.lookup("cnn"), student.Found(root / "cnn.py", "cnn.py"),
                              student.MnistCache.beside(root))
    verdict = run._run(module, check)
    return check.judge(verdict).status, run.notes


def test_a_rerun_reuses_the_training_result_until_something_changes(
        mnist_check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(student.CACHE_VARIABLE, raising=False)
    fake = FakeKeras(monkeypatch, mnist_check.expect.y_test)
    assert _run(mnist_check, tmp_path) == ("pass", [])
    assert fake.trained == 1
    assert sorted(p.suffix for p in (tmp_path / ".autograder-cache").iterdir()) == [".json", ".npy"]

    status, notes = _run(mnist_check, tmp_path)
    assert (status, fake.trained) == ("pass", 1)
    assert notes == [f"build_cnn-mnist-threshold: reused the result of an earlier training run "
                     f"(the model, the preprocessing and the data are unchanged); delete "
                     f"{tmp_path / '.autograder-cache'}/ to train again"]

    fake.spec = '[{"class": "Dense", "units": 12}]'  # another model: trained again
    assert _run(mnist_check, tmp_path)[1] == [] and fake.trained == 2
    fake.spec = SPEC
    assert _run(mnist_check, tmp_path)[1] != [] and fake.trained == 2  # the first is still there

    other = mnist_check.call.kwargs["x_test"].copy()
    other[0, 0, 0] ^= 1  # other data: trained again
    changed = type(mnist_check)(**{**mnist_check.__dict__, "call": type(mnist_check.call)(
        **{**mnist_check.call.__dict__, "kwargs": {**mnist_check.call.kwargs, "x_test": other}})})
    assert _run(changed, tmp_path)[1] == [] and fake.trained == 3


def test_wrong_preprocessing_is_never_trained_nor_cached(
        mnist_check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(student.CACHE_VARIABLE, raising=False)
    fake = FakeKeras(monkeypatch, mnist_check.expect.y_test)
    fake.scale = 1.0
    assert _run(mnist_check, tmp_path) == ("fail", [])
    assert fake.trained == 0 and not (tmp_path / ".autograder-cache").exists()


def test_the_cache_folder_can_be_moved_or_switched_off(
        mnist_check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake = FakeKeras(monkeypatch, mnist_check.expect.y_test)
    monkeypatch.setenv(student.CACHE_VARIABLE, "off")
    _run(mnist_check, tmp_path)
    assert _run(mnist_check, tmp_path)[1] == [] and fake.trained == 2
    monkeypatch.setenv(student.CACHE_VARIABLE, str(tmp_path / "elsewhere"))
    _run(mnist_check, tmp_path)
    assert _run(mnist_check, tmp_path)[1] != [] and fake.trained == 3
    assert (tmp_path / "elsewhere").is_dir() and not (tmp_path / ".autograder-cache").exists()


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path) -> None:
    cache = student.MnistCache(tmp_path)
    cache.store("k", Outcome(type_name="keras.Model", is_ndarray=True,
                             array=np.zeros((2, 3), dtype=np.int64), data={"params": 1}))
    assert cache.load("k") is not None
    (tmp_path / "k.npy").write_bytes(b"not an array")
    assert cache.load("k") is None
    assert cache.load("missing") is None


@pytest.mark.slow
def test_autograder_check_cnn_twice_reuses_the_training(tmp_path: Path) -> None:
    shutil.copytree(SOLUTIONS, tmp_path / "exercises",
                    ignore=shutil.ignore_patterns("__init__.py", "mistakes.py", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != student.CACHE_VARIABLE}

    def check() -> tuple[float, str]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "cnn"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=900,
                              env={**env, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return time.perf_counter() - started, done.stdout

    first, out = check()
    assert "reused the result" not in out
    second, out = check()
    assert "build_cnn-mnist-threshold: reused the result of an earlier training run" in out
    assert "30/30 points" in out and out.rstrip().splitlines()[-1].startswith("All done")
    assert second < first
