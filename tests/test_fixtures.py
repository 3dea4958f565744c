"""The stored expected values still match TensorFlow/Keras, and the mistakes' outputs still
match the mutants."""

import subprocess
import sys

import pytest

from autograder.authoring.fixtures import drift
from autograder.core import fixtures
from autograder.core.checks import cases
from autograder.registry import EXERCISES
from tests.conftest import ROOT


@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES])
def test_stored_fixtures_match_a_fresh_generation(exercise: str) -> None:
    assert drift(exercise) == []


@pytest.mark.slow
def test_a_generation_in_a_fresh_process_writes_the_stored_bytes() -> None:
    """Regeneration is byte-reproducible (a fresh process: TensorFlow starts single-threaded)."""
    done = subprocess.run([sys.executable, "-m", "autograder.authoring.fixtures", "--check",
                           "--exact"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES])
def test_every_value_case_has_a_fixture(exercise: str) -> None:
    stored = fixtures.load(exercise)
    for case in cases(exercise):
        assert case.raises or case.id in stored, case.id


def test_lecture_example_is_stored_verbatim() -> None:
    expected, mistakes = fixtures.load("cross_correlation")["correlate1d-lecture-example"]
    assert expected.tolist() == [3, 10, 6, 6, 6, 9, 2, 6, 7]
    assert "flipped_kernel" in mistakes


def test_exercises_table_examples() -> None:
    """The discriminating vectors that EXERCISES.md verified against TF 2.21."""
    stored = {k: v[0].tolist() for e in EXERCISES for k, v in fixtures.load(e.name).items()
              if hasattr(v[0], "tolist")}
    assert stored["correlate2d_padded-lecture-same"] == [[6, 3, 10, 6, 6, 6, 9, 2, 6, 7, 2, 4]]
    assert stored["correlate1d-int-input-float-kernel"] == [-1, 4.75, 2.5, -1, 2, 3, -1.75, 3, 2.5]
    assert stored["correlate2d-asymmetric-kernel"] == [[19, 25], [37, 43]]
    assert stored["correlate2d_strided-same-stride-2-even"] == [[45, 39], [66, 50]]
    assert stored["avg_pool2d-same-all-ones"] == [[[1.0]] * 3] * 3
    assert [[c[0] for c in row] for row in stored["max_pool2d-same-all-negative"]] == [
        [-1, -3, -5], [-11, -13, -15], [-21, -23, -25]]
    assert stored["flatten-order"] == list(range(12))
    assert fixtures.load("padding")["same_padding-stride-2"][0] == (0, 1)
    assert fixtures.load("cnn")["conv_output_shape-slide-example"][0] == (1, 24, 24, 32)
    assert fixtures.load("cnn")["pool_output_shape-slide-example"][0] == (1, 12, 12, 32)
