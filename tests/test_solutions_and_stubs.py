"""Every reference solution gets full marks; every stub fails each exercise; both keep the
contract's names and signatures."""

import inspect
from pathlib import Path

import pytest

from autograder.registry import EXERCISES
from autograder.student.loop import check_exercise, load_module
from tests.conftest import SOLUTIONS, STUBS

NUMPY_EXERCISES = [e.name for e in EXERCISES if not e.uses_tensorflow]


@pytest.mark.parametrize("exercise", NUMPY_EXERCISES)
def test_reference_solution_passes_every_public_check(exercise: str) -> None:
    result = check_exercise(exercise, SOLUTIONS)
    assert [c.message for c in result.checks if c.status != "pass"] == []
    assert result.score == result.max_score > 0


@pytest.mark.slow
def test_reference_cnn_passes_every_public_check_including_mnist() -> None:
    result = check_exercise("cnn", SOLUTIONS, profile="mnist-offline")
    assert [c.message for c in result.checks if c.status != "pass"] == []
    mnist = result.checks[-1]
    assert mnist.id == "build_cnn-mnist-threshold" and "Test accuracy" in mnist.message


@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES])
def test_every_stub_fails_and_says_it_is_not_implemented(exercise: str) -> None:
    result = check_exercise(exercise, STUBS, profile="mnist-offline")
    assert result.score == 0
    assert all(c.status != "pass" for c in result.checks)
    assert any("is not implemented yet" in c.message for c in result.checks)


def _signatures(directory: Path, exercise: str) -> dict[str, str]:
    module = load_module(directory / f"{exercise}.py")
    return {name: str(inspect.signature(fn))
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == module.__name__}


@pytest.mark.parametrize("exercise", [e for e in EXERCISES], ids=lambda e: e.name)
def test_stub_and_solution_signatures_match_the_contract(exercise) -> None:  # type: ignore[no-untyped-def]
    stub, reference = _signatures(STUBS, exercise.name), _signatures(SOLUTIONS, exercise.name)
    assert stub == reference
    assert set(exercise.functions) <= set(stub)
    extra = set(stub) - set(exercise.functions)
    assert extra <= {"reference_model"}, extra  # the one given function


def test_reference_raises_value_error_on_bad_arguments() -> None:
    import numpy as np

    cross = load_module(SOLUTIONS / "cross_correlation.py")
    padding = load_module(SOLUTIONS / "padding.py")
    pooling = load_module(SOLUTIONS / "pooling.py")
    stride = load_module(SOLUTIONS / "stride.py")
    bad_calls = [
        lambda: cross.correlate1d([1, 2], [1, 2, 3]),
        lambda: cross.correlate2d(np.ones(3), np.ones((2, 2))),
        lambda: cross.correlate2d(np.ones((0, 3)), np.ones((1, 1))),
        lambda: cross.correlate3d(np.ones((3, 3, 2)), np.ones((2, 2, 3))),
        lambda: padding.same_padding(5, 0),
        lambda: padding.zero_pad(np.ones((2, 2)), ((0, -1), (0, 0))),
        lambda: padding.correlate2d_padded(np.ones((3, 3)), np.ones((2, 2)), "full"),
        lambda: stride.output_size(5, 3, -1),
        lambda: stride.correlate2d_strided(np.ones((3, 3)), np.ones((4, 4))),
        lambda: pooling.max_pool2d(np.ones((3, 3)), 2),
        lambda: pooling.avg_pool2d(np.ones((3, 3, 1)), 2, 0),
    ]
    for call in bad_calls:
        with pytest.raises(ValueError, match=r"\w+"):
            call()
