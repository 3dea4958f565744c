"""How outcomes become verdicts: type, then shape, then values, then side conditions; every
failure says what was called, what came back and what was expected."""

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from autograder.core.calls import Call
from autograder.core.checks import public_checks
from autograder.core.execute import run_call

CHECKS = {c.id: c for c in public_checks("cross_correlation") + public_checks("padding")}
LECTURE = CHECKS["correlate1d-lecture-example"]
EXPECTED = [3, 10, 6, 6, 6, 9, 2, 6, 7]


def verdict(check_id: str, function: Any) -> Any:
    check = CHECKS[check_id]
    return check.judge(run_call(SimpleNamespace(**{check.call.function: function}), check.call))


def test_right_answer_passes_in_float32_too() -> None:
    assert verdict(LECTURE.id, lambda x, k: np.array(EXPECTED, dtype=np.float64)).passed
    assert verdict(LECTURE.id, lambda x, k: np.array(EXPECTED, dtype=np.float32)).passed


@pytest.mark.parametrize(("returned", "words"), [
    (lambda x, k: list(map(float, EXPECTED)), "returned a list"),
    (lambda x, k: tuple(map(float, EXPECTED)), "returned a tuple"),
    (lambda x, k: None, "returned None"),
    (lambda x, k: np.array(EXPECTED), "dtype int64"),
    (lambda x, k: np.array(EXPECTED, dtype=np.uint8), "wrap around"),
    (lambda x, k: np.array(EXPECTED, dtype=float)[:-1], "shape (8,)"),
    (lambda x, k: np.array(EXPECTED, dtype=float).reshape(1, -1), "shape (1, 9)"),
    (lambda x, k: np.full(9, np.nan), "NaN"),
    (lambda x, k: np.array(EXPECTED, dtype=float) + 0.5, "largest difference is 0.5"),
])
def test_wrong_returns_fail_with_a_message_that_says_what_came_back(returned: Any, words: str) -> None:
    result = verdict(LECTURE.id, returned)
    assert result.status == "fail"
    assert words in result.message
    lecture_call = "Called correlate1d([1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1], [2, 0, 2, 1])."
    assert result.message.startswith(lecture_call)


def test_a_crash_is_an_error_with_the_exception() -> None:
    def crash(x: Any, k: Any) -> None:
        raise IndexError("index 12 is out of bounds")

    result = verdict(LECTURE.id, crash)
    assert result.status == "error" and "IndexError: index 12 is out of bounds" in result.message


def test_a_missing_function_is_an_error_naming_it() -> None:
    outcome = run_call(SimpleNamespace(), LECTURE.call)
    result = LECTURE.judge(outcome)
    assert result.status == "error" and "no function correlate1d()" in result.message


def test_tensorflow_tensor_is_not_an_ndarray() -> None:
    import tensorflow as tf

    result = verdict(LECTURE.id, lambda x, k: tf.constant(EXPECTED, dtype=tf.float64))
    assert result.status == "fail" and "returned a tf.Tensor" in result.message
    assert ".numpy()" in result.message


def test_lying_objects_cannot_pass() -> None:
    class AlwaysEqual:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    class LyingArray(np.ndarray):
        def __eq__(self, other: object) -> Any:  # type: ignore[override]
            return np.ones(np.shape(other), dtype=bool)

        def __array_ufunc__(self, *args: Any, **kwargs: Any) -> Any:
            return True

    assert not verdict(LECTURE.id, lambda x, k: AlwaysEqual()).passed
    assert not verdict(LECTURE.id, lambda x, k: np.zeros(9).view(LyingArray)).passed
    shape = CHECKS["same_padding-even-kernel"]
    assert not shape.judge(run_call(SimpleNamespace(same_padding=lambda *a: AlwaysEqual()),
                                    shape.call)).passed


def test_modifying_the_input_loses_the_points_even_with_right_values() -> None:
    def on_a_converted_copy(x: Any, k: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)  # the check passes lists: this is already a copy
        return np.array([x[i:i + 4] @ np.asarray(k, float) for i in range(9)])

    assert verdict(LECTURE.id, on_a_converted_copy).passed

    def scribble(image: Any, pads: Any) -> np.ndarray:
        out = np.pad(image, [pads[0], pads[1]])
        image[0, 0] = 99  # the caller's array
        return out

    result = verdict("zero_pad-image", scribble)
    assert result.status == "fail" and "in place" in result.message


def test_exact_checks_want_ints_and_tuples() -> None:
    assert verdict("same_padding-even-kernel", lambda n, k, s=1: (1, 2)).passed
    assert "returned a list" in verdict("same_padding-even-kernel", lambda n, k, s=1: [1, 2]).message
    floats = verdict("same_padding-even-kernel", lambda n, k, s=1: (1.0, 2.0))
    assert floats.status == "fail" and "every entry must be an int" in floats.message


def test_bad_arguments_must_raise_value_error() -> None:
    check = CHECKS["correlate1d-rejects-long-kernel"]
    quiet = check.judge(run_call(SimpleNamespace(correlate1d=lambda x, k: np.zeros(0)), check.call))
    assert quiet.status == "fail" and "without complaint" in quiet.message
    wrong = check.judge(run_call(SimpleNamespace(correlate1d=lambda x, k: [][1]), check.call))
    assert wrong.status == "fail" and "IndexError" in wrong.message

    def strict(x: Any, k: Any) -> None:
        raise ValueError("kernel longer than input")

    assert check.judge(run_call(SimpleNamespace(correlate1d=strict), check.call)).passed


def test_inputs_are_fresh_copies_for_every_call() -> None:
    seen = []

    def keep(x: Any, k: Any) -> np.ndarray:
        seen.append(x)
        x.append(0)  # mutates only its own copy
        return np.zeros(9)

    call = Call("correlate1d", ([1.0, 2.0], [1.0]))
    run_call(SimpleNamespace(correlate1d=keep), call)
    run_call(SimpleNamespace(correlate1d=keep), call)
    assert call.args[0] == [1.0, 2.0] and seen[0] is not seen[1]
