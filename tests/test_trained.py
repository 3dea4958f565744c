"""A batch trains each distinct model once (autograder.grading.trained): the same training is
read back from OUT/.training-cache, a different one is trained, a damaged entry is trained
again, and a cache that cannot be written only costs time. Real sandboxed trainer, real
TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.core.calls import Outcome
from autograder.grading import jobs, warm, wire
from autograder.grading.sandbox import default_sandbox

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spec(solution: dict[str, Any]) -> str:
    from autograder.core.probes import describe_model

    return str(describe_model(solution["cnn"].build_cnn())["spec"])


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {"x_train": rng.integers(0, 256, (128, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 128).astype(np.int64),
            "x_test": rng.integers(0, 256, (32, 28, 28), dtype=np.uint8)}


def _train(spec: str, cache: Path | None, *, seed: int = 3) -> Outcome:
    with warm.session():
        launcher = warm.launcher(default_sandbox(hide=[ROOT]), "tensorflow", "trainer")
        outcome = jobs.train(spec, **_data(), epochs=1, seed=seed, launcher=launcher,
                             timeout_s=300, cache=cache)
    assert isinstance(outcome, Outcome) and outcome.array is not None, outcome
    return outcome


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if p.is_dir())


def _mark(entry: Path, seconds: float) -> None:
    """Rewrite the stored training's reported seconds: only a read of the entry returns them."""
    stream = entry / wire.OUTCOMES
    header, _, payload = stream.read_bytes().partition(b"\n")
    record = json.loads(header)
    record["data"]["seconds"] = seconds
    stream.write_bytes(json.dumps(record).encode() + b"\n" + payload)


def test_the_same_training_is_read_back_and_another_one_is_trained(spec: str,
                                                                   tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _train(spec, cache)
    [entry] = _entries(cache)
    _mark(entry, 12345.0)
    again = _train(spec, cache)
    assert again.data is not None and again.data["seconds"] == 12345.0  # not trained again
    assert np.array_equal(again.array, first.array)
    assert {k: v for k, v in again.data.items() if k != "seconds"} == \
        {k: v for k, v in (first.data or {}).items() if k != "seconds"}

    other = _train(spec, cache, seed=4)  # another seed: another training, another entry
    assert len(_entries(cache)) == 2
    assert other.data is not None and other.data["seconds"] != 12345.0


def test_a_damaged_entry_is_trained_again_and_replaced(spec: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _train(spec, cache)
    [entry] = _entries(cache)
    (entry / wire.OUTCOMES).write_bytes(b'{"key": "train", "data": [1]}\n')  # malformed
    retrained = _train(spec, cache)
    assert retrained.data is not None and "params" in retrained.data
    assert wire.read_outcomes(entry).get("train").data == retrained.data


def test_a_cache_that_cannot_be_used_only_costs_a_training(spec: str, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    outcome = _train(spec, blocked / "cache")
    assert outcome.data is not None and "params" in outcome.data
    assert blocked.read_text() == "not a folder"
