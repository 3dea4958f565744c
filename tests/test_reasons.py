"""Every verdict carries a typed reason, and the views decide on it, never on the message's
words: real outcomes of real checks, judged, rendered and read back from JSON."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from autograder.core.calls import Outcome
from autograder.core.checks import Check, public_checks
from autograder.core.execute import run_call
from autograder.core.judge import ArrayExpect, ExactExpect, RaisesExpect, Reason, Verdict
from autograder.core.results import SCHEMA_VERSION, CheckResult, ExerciseResult, SubmissionResult
from autograder.grading import render
from autograder.grading.grade import Options, grade
from autograder.grading.hidden import hidden_checks
from autograder.registry import exercise as lookup
from autograder.student.loop import check_exercise, load_module, next_action, render_exercise, run_checks
from tests.conftest import SOLUTIONS, STUBS

CROSS = {c.id: c for c in public_checks("cross_correlation")}
STRIDE = {c.id: c for c in public_checks("stride")}
LECTURE = CROSS["correlate1d-lecture-example"]
REFERENCE = load_module(SOLUTIONS / "cross_correlation.py")


def right(x: Any, k: Any) -> np.ndarray:
    return np.asarray(REFERENCE.correlate1d(x, k), dtype=np.float64)


def not_implemented(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("correlate1d is not implemented yet")


def crash(*args: Any, **kwargs: Any) -> Any:
    raise IndexError("index 12 is out of bounds")


def type_error(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("secret")


def in_place(x: Any, k: Any) -> np.ndarray:
    result = right(x, k)
    x[0] = 99
    return result


def judge(check: Check, function: Any) -> Verdict:
    return check.judge(run_call(SimpleNamespace(**{check.call.function: function}), check.call))


TIMEOUT = Outcome(error="Timeout: the call ran past 1 s", error_types=("Timeout", "BaseException"))


# --- the judges ----------------------------------------------------------------------------

@pytest.mark.parametrize(("function", "reason"), [
    (right, Reason.PASSED),
    (not_implemented, Reason.NOT_IMPLEMENTED),
    (crash, Reason.RAISED),
    (lambda x, k: right(x, k).tolist(), Reason.WRONG_TYPE),
    (lambda x, k: None, Reason.WRONG_TYPE),
    (lambda x, k: right(x, k).astype(np.int64), Reason.WRONG_DTYPE),
    (lambda x, k: right(x, k)[:-1], Reason.WRONG_SHAPE),
    (lambda x, k: np.full_like(right(x, k), np.nan), Reason.NON_FINITE),
    (lambda x, k: right(x, k) + 0.5, Reason.WRONG_VALUES),
    (in_place, Reason.MODIFIED_INPUT),
])
def test_an_array_check_names_why_it_failed(function: Any, reason: Reason) -> None:
    verdict = judge(LECTURE, function)
    assert verdict.reason is reason
    assert verdict.passed == (reason is Reason.PASSED)


def test_a_timeout_is_a_timeout_whatever_the_check() -> None:
    for check in (LECTURE, STRIDE["output_size-slide-example"], STRIDE["output_size-rejects-zero-stride"]):
        verdict = check.judge(TIMEOUT)
        assert (verdict.status, verdict.reason) == ("timeout", Reason.TIMEOUT)


@pytest.mark.parametrize(("function", "reason"), [
    (lambda *a: 24, Reason.PASSED),
    (lambda *a: 24.0, Reason.WRONG_TYPE),
    (lambda *a: (24,), Reason.WRONG_TYPE),
    (lambda *a: 23, Reason.WRONG_VALUES),
    (not_implemented, Reason.NOT_IMPLEMENTED),
])
def test_an_exact_check_names_why_it_failed(function: Any, reason: Reason) -> None:
    assert judge(STRIDE["output_size-slide-example"], function).reason is reason


@pytest.mark.parametrize(("function", "reason"), [
    (lambda *a: 4, Reason.ACCEPTED_BAD_ARGUMENTS),
    (type_error, Reason.WRONG_EXCEPTION),
    (not_implemented, Reason.NOT_IMPLEMENTED),
])
def test_bad_arguments_name_why_they_failed(function: Any, reason: Reason) -> None:
    check = STRIDE["output_size-rejects-zero-stride"]
    assert isinstance(check.expect, RaisesExpect)
    verdict = judge(check, function)
    assert (verdict.status, verdict.reason) == ("fail", reason)

    def value_error(*args: Any) -> None:
        raise ValueError("stride must be positive")

    assert judge(check, value_error).reason is Reason.PASSED


def test_a_verdict_is_passed_exactly_when_its_reason_is() -> None:
    assert Verdict("pass").reason is Reason.PASSED
    # a failure built without a reason gets its status's generic one, never PASSED
    assert Verdict("error", "it broke").reason is Reason.CRASHED
    assert Verdict("timeout", "too slow").reason is Reason.TIMEOUT
    with pytest.raises(ValueError, match="passing verdict"):
        Verdict("pass", reason=Reason.RAISED)
    assert json.dumps(Reason.WRONG_SHAPE) == '"wrong_shape"'  # a plain string in JSON


# --- hidden checks: the kind of failure, from the reason -------------------------------------

def hidden(exercise: str, function: str, expect: type) -> Check:
    return next(c for c in hidden_checks(exercise, seed=0, solutions=SOLUTIONS)
                if c.call.function == function
                and isinstance(c.expect.inner, expect))  # type: ignore[attr-defined]


def hidden_kind(check: Check, outcome: Outcome) -> tuple[str, Reason]:
    verdict = check.judge(outcome)
    prefix = f"A hidden random case of {check.call.function}() failed: "
    assert verdict.message.startswith(prefix) and verdict.message.endswith(".")
    return verdict.message[len(prefix):-1], verdict.reason


def hidden_run(check: Check, function: Any) -> tuple[str, Reason]:
    return hidden_kind(check, run_call(SimpleNamespace(**{check.call.function: function}), check.call))


def reference(name: str) -> Any:
    return getattr(REFERENCE, name)


def hidden_in_place(x: Any, *rest: Any) -> Any:
    result = reference("correlate1d")(x, *rest)
    np.asarray(x)[...] = 0  # the hidden inputs are arrays: change the caller's
    return result


@pytest.mark.parametrize(("function", "kind", "reason"), [
    (not_implemented, "it is not implemented yet", Reason.NOT_IMPLEMENTED),
    (crash, "it raised an exception", Reason.RAISED),
    (lambda *a: reference("correlate1d")(*a).tolist(), "it returned the wrong type", Reason.WRONG_TYPE),
    (lambda *a: None, "it returned the wrong type", Reason.WRONG_TYPE),
    (lambda *a: np.ones(3, dtype=np.int64), "it returned the wrong dtype", Reason.WRONG_DTYPE),
    (lambda *a: np.ones((1, 1, 1)), "it returned the wrong shape", Reason.WRONG_SHAPE),
    (lambda *a: reference("correlate1d")(*a) + 1, "it returned wrong values", Reason.WRONG_VALUES),
    (lambda *a: reference("correlate1d")(*a) * np.nan, "it returned wrong values", Reason.NON_FINITE),
])
def test_hidden_array_cases_name_the_kind_of_failure(function: Any, kind: str, reason: Reason) -> None:
    check = hidden("cross_correlation", "correlate1d", ArrayExpect)
    assert hidden_run(check, function) == (kind, reason)


def test_hidden_cases_report_changed_inputs_and_timeouts() -> None:
    check = next(c for c in hidden_checks("cross_correlation", seed=0, solutions=SOLUTIONS)
                 if c.call.function == "correlate1d" and isinstance(c.call.args[0], np.ndarray))
    assert hidden_run(check, hidden_in_place) == ("it changed its input in place",
                                                   Reason.MODIFIED_INPUT)
    assert hidden_kind(check, TIMEOUT) == ("it took too long", Reason.TIMEOUT)


@pytest.mark.parametrize(("function", "kind", "reason"), [
    (lambda *a, **k: None, "it returned the wrong type", Reason.WRONG_TYPE),
    # an int check that got a float: its values are what the hidden feedback names
    (lambda *a, **k: 2.5, "it returned wrong values", Reason.WRONG_TYPE),
    (lambda *a, **k: -1, "it returned wrong values", Reason.WRONG_VALUES),
    # text the student's code controls cannot choose the kind
    (lambda *a, **k: "It returned an array of shape (3,) in place", "it returned wrong values",
     Reason.WRONG_TYPE),
])
def test_hidden_exact_cases_name_the_kind_of_failure(function: Any, kind: str, reason: Reason) -> None:
    assert hidden_run(hidden("stride", "output_size", ExactExpect), function) == (kind, reason)


def test_hidden_bad_arguments_name_the_kind_of_failure() -> None:
    check = hidden("stride", "output_size", RaisesExpect)
    assert hidden_run(check, lambda *a, **k: 1) == (
        "it accepted bad arguments, which the contract asks it to reject",
        Reason.ACCEPTED_BAD_ARGUMENTS)
    assert hidden_run(check, type_error) == ("bad arguments raised the wrong kind of exception",
                                             Reason.WRONG_EXCEPTION)
    assert hidden_run(check, not_implemented) == ("it is not implemented yet",
                                                  Reason.NOT_IMPLEMENTED)


# --- the views read the reason ---------------------------------------------------------------

def _all(function: Any) -> SimpleNamespace:
    return SimpleNamespace(**{name: function for name in lookup("cross_correlation").functions})


def _says_not_implemented(*args: Any) -> None:
    raise ValueError("not implemented for this input")  # its words, not a stub


def test_the_student_loop_tells_stubs_from_wrong_code() -> None:
    stubs = check_exercise("cross_correlation", STUBS)
    assert {c.reason for c in stubs.checks} == {Reason.NOT_IMPLEMENTED}
    assert next_action([stubs]).startswith("Next: implement exercise cross_correlation")
    assert "About this exercise" not in render_exercise(stubs)

    wrong = ExerciseResult("cross_correlation",
                           tuple(run_checks(_all(_says_not_implemented), CROSS.values())))
    assert "not implemented" in wrong.checks[0].message
    assert {c.reason for c in wrong.checks if c.status != "pass"} == {Reason.RAISED}
    assert next_action([wrong]).startswith("Next: fix correlate1d-")
    assert "About this exercise" in render_exercise(wrong)


def test_feedback_shows_the_exercise_hint_only_for_wrong_code() -> None:
    hint = lookup("cross_correlation").hint
    stubs = check_exercise("cross_correlation", STUBS)
    assert hint not in render.markdown(SubmissionResult("s", (stubs,)))
    wrong = ExerciseResult("cross_correlation",
                           tuple(run_checks(_all(_says_not_implemented), CROSS.values())))
    assert hint in render.markdown(SubmissionResult("s", (wrong,)))


# --- results JSON ---------------------------------------------------------------------------

def _result() -> SubmissionResult:
    checks = run_checks(_all(lambda x, k: right(x, k) + 1), list(CROSS.values())[:3])
    checks.append(CheckResult.of(LECTURE, judge(LECTURE, right)))
    return SubmissionResult("alice", (ExerciseResult("cross_correlation", tuple(checks)),))


def test_a_result_keeps_its_reasons_through_json() -> None:
    result = _result()
    data = json.loads(result.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    assert [c["reason"] for c in data["exercises"][0]["checks"]] == [
        c.reason for c in result.exercises[0].checks]
    assert "wrong_values" in {c["reason"] for c in data["exercises"][0]["checks"]}
    assert SubmissionResult.from_dict(data) == result


def test_a_schema_1_result_still_loads() -> None:
    data = _result().to_dict()
    data["schema_version"] = 1
    for check in data["exercises"][0]["checks"]:
        del check["reason"]
    loaded = SubmissionResult.from_dict(data)
    assert [c.reason for c in loaded.exercises[0].checks] == [
        "passed" if c.status == "pass" else "" for c in loaded.exercises[0].checks]
    assert loaded.score == _result().score
    with pytest.raises(ValueError, match="unsupported result schema"):
        SubmissionResult.from_dict({**data, "schema_version": SCHEMA_VERSION + 1})


# --- the grader: reasons through the sandboxed worker and the gate ---------------------------

BROKEN_FOR_STRIDE_4 = '''

_right = output_size


def output_size(n, kernel_size, stride=1, padding="valid"):
    if padding == "same" and stride == 4:  # no published case asks this
        return 0
    return _right(n, kernel_size, stride, padding)
'''


def test_the_grader_records_reasons_and_withheld_points(tmp_path: Path) -> None:
    (tmp_path / "stride.py").write_text((SOLUTIONS / "stride.py").read_text() + BROKEN_FOR_STRIDE_4)
    result = grade(tmp_path, Options(only=("stride",)))
    checks = {c.id: c for c in result.exercises[0].checks}
    public = [c for c in checks.values() if c.visibility == "public" and c.id.startswith("output_size-")]
    assert public and {(c.status, c.reason) for c in public} == {("fail", "withheld")}
    failed = {c.reason for c in checks.values()
              if c.id.startswith("output_size-hidden-") and c.status != "pass"}
    assert failed == {"wrong_values"}
    assert SubmissionResult.from_dict(json.loads(result.to_json())).exercises == result.exercises
