"""Hidden checks: reproducible from the seed, varied, and their expected values agree with
TensorFlow/Keras (the reference computes them for the NumPy exercises)."""

import numpy as np
import pytest

from autograder import oracle
from autograder.hidden import DRAWS, hidden_checks
from autograder.registry import EXERCISES
from tests.conftest import SOLUTIONS


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES])
def test_hidden_expected_values_match_tensorflow(exercise: str, seed: int) -> None:
    for check in hidden_checks(exercise, seed=seed, solutions=SOLUTIONS):
        expected = check.expect.inner.expected  # type: ignore[attr-defined]
        truth = oracle.compute(check.call)
        if isinstance(expected, np.ndarray):
            assert expected.shape == truth.shape, check.call.describe()
            np.testing.assert_allclose(expected, truth, rtol=1e-9, atol=1e-9)
        else:
            assert expected == truth, check.call.describe()


def test_every_function_but_build_cnn_has_hidden_cases() -> None:
    functions = {f for e in EXERCISES for f in e.functions}
    assert functions - set(DRAWS) == {"build_cnn"}


def test_hidden_checks_have_no_points_and_guard_their_function() -> None:
    for exercise in EXERCISES:
        for check in hidden_checks(exercise.name, seed=5, solutions=SOLUTIONS):
            assert check.points == 0 and check.visibility == "hidden"
            assert check.gates == check.call.function


def test_hidden_messages_never_show_inputs() -> None:
    from types import SimpleNamespace

    from autograder.calls import run_call

    check = hidden_checks("padding", seed=3, solutions=SOLUTIONS)[-1]
    verdict = check.judge(run_call(SimpleNamespace(**{check.call.function: lambda *a: None}),
                                   check.call))
    assert not verdict.passed
    assert verdict.message == (f"A hidden random case of {check.call.function}() failed: "
                               "it returned the wrong type.")
