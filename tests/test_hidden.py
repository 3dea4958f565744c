"""Hidden checks: reproducible from the seed, varied, covering each function's rule whatever
the seed, bad arguments expected to raise, and their expected values agree with
TensorFlow/Keras (the reference computes them)."""

import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from autograder import course
from autograder.authoring import oracle
from autograder.core.calls import Call
from autograder.core.judge import RaisesExpect
from autograder.course.draws import KINDS
from autograder.grading.hidden import hidden_calls, hidden_checks
from autograder.registry import EXERCISES
from autograder.student.loop import load_module
from tests.conftest import SOLUTIONS

SEEDS = (0, 1, 20261126)
# Every function's hidden-case plan, from the exercises' course files.
PLANS = {f: plan for e in EXERCISES for f, plan in course.plans(e.name).items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("exercise", [e.name for e in EXERCISES])
def test_hidden_expected_values_match_tensorflow(exercise: str, seed: int) -> None:
    for check in hidden_checks(exercise, seed=seed, solutions=SOLUTIONS):
        if isinstance(check.expect.inner, RaisesExpect):  # type: ignore[attr-defined]
            continue  # the reference raised ValueError (hidden_checks makes sure)
        expected = check.expect.inner.expected  # type: ignore[attr-defined]
        truth = oracle.compute(check.call)
        if isinstance(expected, np.ndarray):
            assert expected.shape == truth.shape, check.call.describe()
            np.testing.assert_allclose(expected, truth, rtol=1e-9, atol=1e-9)
        else:
            assert expected == truth, check.call.describe()


def test_every_function_but_build_cnn_has_hidden_cases() -> None:
    functions = {f for e in EXERCISES for f in e.functions}
    assert functions - set(PLANS) == {"build_cnn"}


def test_hidden_checks_have_no_points_and_guard_their_function() -> None:
    for exercise in EXERCISES:
        for check in hidden_checks(exercise.name, seed=5, solutions=SOLUTIONS):
            assert check.points == 0 and check.visibility == "hidden"
            assert check.gates == check.call.function


def test_hidden_messages_never_show_inputs() -> None:
    from types import SimpleNamespace

    from autograder.core.execute import run_call

    check = next(c for c in hidden_checks("padding", seed=3, solutions=SOLUTIONS)
                 if not isinstance(c.expect.inner, RaisesExpect))  # type: ignore[attr-defined]
    verdict = check.judge(run_call(SimpleNamespace(**{check.call.function: lambda *a: None}),
                                   check.call))
    assert not verdict.passed
    assert verdict.message == (f"A hidden random case of {check.call.function}() failed: "
                               "it returned the wrong type.")


def _bad_argument_verdict(function: str, returned: Any) -> str:
    check = next(c for c in hidden_checks("stride", seed=3, solutions=SOLUTIONS)
                 if c.call.function == function and isinstance(c.expect.inner, RaisesExpect))  # type: ignore[attr-defined]
    from types import SimpleNamespace

    from autograder.core.execute import run_call

    return check.judge(run_call(SimpleNamespace(**{function: returned}), check.call)).message


def test_bad_argument_cases_say_only_that_bad_arguments_were_accepted() -> None:
    def raise_type_error(*args: Any) -> None:
        raise TypeError("secret")

    assert _bad_argument_verdict("output_size", lambda *a, **k: 1) == (
        "A hidden random case of output_size() failed: it accepted bad arguments, which the "
        "contract asks it to reject.")
    assert _bad_argument_verdict("output_size", raise_type_error) == (
        "A hidden random case of output_size() failed: bad arguments raised the wrong kind of "
        "exception.")


# --- coverage: the conditions that tell a rule from a near miss, for every seed ---------------

WINDOWED = {  # function: (input, window, stride, default stride)
    "correlate2d_padded": ("image", "kernel", None, 1),
    "correlate2d_strided": ("image", "kernel", "stride", 1),
    "max_pool2d": ("x", "pool_size", "strides", None),
    "avg_pool2d": ("x", "pool_size", "strides", None),
    "conv2d_layer": ("x", "kernels", "stride", 1),
    "conv_output_shape": ("input_shape", "kernel_size", "strides", 1),
    "pool_output_shape": ("input_shape", "pool_size", "strides", None),
}
EXERCISE_OF = {f: e.name for e in EXERCISES for f in e.functions}


def _arguments(call: Call) -> dict[str, Any]:
    module = load_module(SOLUTIONS / f"{EXERCISE_OF[call.function]}.py")
    bound = inspect.signature(getattr(module, call.function)).bind(*call.args, **call.kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _axes(call: Call) -> Iterator[tuple[str, int, int, int, int, bool]]:
    """(mode, axis, n, k, s, square input) of a windowed 2D case."""
    given, window, stride, default = WINDOWED[call.function]
    args = _arguments(call)
    shape = args[given] if "shape" in given else np.shape(args[given])
    h, w = (shape[1], shape[2]) if "shape" in given else (shape[0], shape[1])
    k = _pair(args[window]) if "kernel" not in window or "size" in window else np.shape(args[window])[:2]
    s = _pair(args[stride] if stride and args[stride] is not None else default or k)
    for axis, n in enumerate((h, w)):
        yield args.get("padding", "valid"), axis, n, k[axis], s[axis], h == w


def _facts(function: str, seed: int) -> set[tuple[Any, ...]]:
    facts: set[tuple[Any, ...]] = set()
    for call, bad in hidden_calls(function, seed):
        if bad:
            continue
        for mode, axis, n, k, s, square in _axes(call):
            facts |= {(mode, axis, "stride", s), (mode, axis, "odd" if k % 2 else "even"),
                      (mode, "square" if square else "non-square")}
            if s > 1:
                facts.add((mode, axis, "divisible" if n % s == 0 else "not divisible"))
        args = _arguments(call)
        given = args.get("stride", args.get("strides"))
        if isinstance(given, tuple) and given[0] != given[1]:
            facts.add(("unequal strides", given[0] < given[1]))
    return facts


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("function", sorted(WINDOWED))
def test_windowed_functions_cover_every_condition(function: str, seed: int) -> None:
    facts = _facts(function, seed)
    strides = (1,) if function == "correlate2d_padded" else (1, 2, 3)
    for mode in ("valid", "same"):
        assert (mode, "non-square") in facts
        for axis in (0, 1):
            assert {(mode, axis, "odd"), (mode, axis, "even")} <= facts, (mode, axis)
            assert {(mode, axis, "stride", s) for s in strides} <= facts, (mode, axis)
            if function != "correlate2d_padded":
                assert {(mode, axis, "divisible"), (mode, axis, "not divisible")} <= facts
    if function != "correlate2d_padded":
        assert {("unequal strides", True), ("unequal strides", False)} <= facts


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("function", ["same_padding", "output_size"])
def test_size_rules_cover_strides_parities_and_divisibility(function: str, seed: int) -> None:
    seen = set()
    for call, bad in hidden_calls(function, seed):
        if not bad:
            args = _arguments(call)
            n, k, s = args["n"], args["kernel_size"], args["stride"]
            seen.add((args.get("padding", "same"), s, k % 2, n % s == 0, k > n))
    modes = ("valid", "same") if function == "output_size" else ("same",)
    for mode in modes:
        for s in (1, 2, 3, 4):
            for parity in (0, 1):
                wanted = {True} if s == 1 else {True, False}
                assert wanted <= {d for m, st, p, d, _ in seen if (m, st, p) == (mode, s, parity)}
    assert any(longer for *_, longer in seen)  # 'same' with a window longer than the input


def _first_input_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else str(np.asarray(value).dtype)


ARRAY_FUNCTIONS = sorted(f for f in PLANS if f not in (
    "same_padding", "output_size", "conv_output_shape", "pool_output_shape", "cnn_forward",
    "preprocess"))


@pytest.mark.parametrize("function", ARRAY_FUNCTIONS)
def test_every_input_kind_of_the_contract_is_covered(function: str) -> None:
    kinds = {_first_input_kind(call.args[0]) for call, bad in hidden_calls(function, 0) if not bad}
    assert set(KINDS) <= kinds


def test_conv2d_layer_cases_have_other_channel_counts_out_than_in_and_both_activations() -> None:
    layers = [_arguments(call) for call, bad in hidden_calls("conv2d_layer", 0) if not bad]
    assert all(np.shape(a["kernels"])[2] != np.shape(a["kernels"])[3] for a in layers[:12])
    assert {a["activation"] for a in layers} == {"relu", None}


@pytest.mark.parametrize("function", sorted(set(PLANS) - {"relu"}))
def test_every_function_with_bad_arguments_has_cases_that_must_raise(function: str) -> None:
    exercise = EXERCISE_OF[function]
    checks = [c for c in hidden_checks(exercise, seed=0, solutions=SOLUTIONS) if c.gates == function]
    raising = [c for c in checks if isinstance(c.expect.inner, RaisesExpect)]  # type: ignore[attr-defined]
    assert len(raising) >= 2
    assert checks[-len(raising):] == raising  # last: a student's valid cases are judged first


def test_cheap_functions_get_many_cases_and_costly_ones_few() -> None:
    counts = {f: sum(not bad for _, bad in hidden_calls(f, 0)) for f in PLANS}  # bad: cheap
    cheap = ("same_padding", "output_size", "conv_output_shape", "pool_output_shape", "relu",
             "flatten", "zero_pad", "global_avg_pool2d", "correlate1d")
    assert all(counts[f] >= 30 for f in cheap), counts
    assert counts["cnn_forward"] <= 6 and counts["conv2d_layer"] <= 25, counts


@pytest.mark.parametrize("function", sorted(PLANS))
def test_the_seed_decides_the_cases(function: str) -> None:
    def described(seed: int) -> list[str]:
        return [call.describe() for call, _ in hidden_calls(function, seed)]

    assert described(4) == described(4) != described(5)
    ids = [c.id for c in hidden_checks(EXERCISE_OF[function], seed=4, solutions=SOLUTIONS)
           if c.gates == function]
    assert ids == [f"{function}-hidden-{n}" for n in range(1, len(ids) + 1)]


def test_the_instructors_seed_never_travels_with_a_call() -> None:
    """The calls go to the student's process; the seed that draws the hidden cases must not
    (the MNIST check carries a training seed derived from it)."""
    from autograder.core.checks import public_checks

    seed = 987_654_321
    for exercise in EXERCISES:
        for check in public_checks(exercise.name, profile="mnist-offline", seed=seed):
            assert seed not in [v for v in check.call.kwargs.values() if isinstance(v, int)]
            assert seed not in [a for a in check.call.args if isinstance(a, int)]
