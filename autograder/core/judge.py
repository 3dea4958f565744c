"""Verdicts: how an Outcome is compared with what was expected.

Pure functions of plain data; they run in the parent (the grader) or in-process (the student
loop), never in the sandbox. Assertions go in the order the student can act on: did it run,
the type, the shape, the values, then the side conditions (inputs left unchanged), which can
only take points away.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from autograder.core.calls import Call, Outcome, Plain, describe_value
from autograder.core.modelrules import Rule, model_problem
from autograder.registry import MISTAKES

Status = Literal["pass", "fail", "error", "timeout", "policy"]


class Reason(enum.StrEnum):
    """Why a check got its verdict, for views to act on (the message is for people: no view
    reads its words). A value is a plain string in a result's JSON."""

    PASSED = "passed"
    NOT_IMPLEMENTED = "not_implemented"  # it still raises the stub's NotImplementedError
    RAISED = "raised"  # it raised where a value was expected
    TIMEOUT = "timeout"  # it ran past its limit, or was not run after an earlier case did
    WRONG_TYPE = "wrong_type"  # not an ndarray, not an int or tuple of ints, not a keras.Model
    WRONG_DTYPE = "wrong_dtype"
    WRONG_SHAPE = "wrong_shape"
    NON_FINITE = "non_finite"  # NaN or infinite values where the expected ones are finite
    WRONG_VALUES = "wrong_values"
    MODIFIED_INPUT = "modified_input"  # right values, but an input was changed in place
    POLICY = "policy"  # a forbidden routine or import, or something the sandbox refused
    ACCEPTED_BAD_ARGUMENTS = "accepted_bad_arguments"  # returned where ValueError was expected
    WRONG_EXCEPTION = "wrong_exception"  # bad arguments raised, but not the expected error
    LOAD_ERROR = "load_error"  # the module is missing or did not import (status: how)
    CRASHED = "crashed"  # the worker died during the call, or its result was unusable
    MODEL = "model"  # a rule of the build_cnn() contract, or a model the kit cannot use
    ACCURACY = "accuracy"  # the trained model scored below the threshold
    WITHHELD = "withheld"  # this case passes; hidden cases of its function failed


# What a failure built without a reason gets (code outside the kit's own verdicts).
_STATUS_REASON: dict[str, Reason] = {"fail": Reason.WRONG_VALUES, "error": Reason.CRASHED,
                                      "timeout": Reason.TIMEOUT, "policy": Reason.POLICY}


@dataclass(frozen=True)
class Verdict:
    """`reason` is PASSED for a pass; a failure names its own (one built without gets its
    status's generic reason)."""

    status: Status
    message: str = ""
    hint: str | None = None  # the likely mistake, when the output matches a known one
    reason: Reason = Reason.PASSED
    # A failed array check's small 2-D/3-D maps as nested lists, for the pictures and grids:
    # "expected", "returned", "wrong" (a mask, when the shapes agree), "input"/"kernel" (the
    # call's array arguments, when small). See `ArrayExpect.maps`; `CheckResult.of` keeps them
    # for public checks only.
    arrays: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.status == "pass":
            if self.reason is not Reason.PASSED:
                raise ValueError(f"a passing verdict with the reason {self.reason!r}")
        elif self.reason is Reason.PASSED:
            object.__setattr__(self, "reason", _STATUS_REASON[self.status])

    @property
    def passed(self) -> bool:
        return self.status == "pass"


PASS = Verdict("pass")


@dataclass(frozen=True)
class Tolerance:
    """`|actual - expected| <= atol * max(1, max|expected|) + rtol * |expected|`, elementwise.

    Float64 results must agree to about 7 significant digits; float32 results (accepted by the
    contract) get float32's precision.
    """

    rtol: float
    atol: float

    def allclose(self, actual: np.ndarray, expected: np.ndarray) -> bool:
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        return bool(np.allclose(actual, expected, rtol=self.rtol, atol=self.atol * scale,
                                equal_nan=False))


FLOAT64 = Tolerance(rtol=1e-7, atol=1e-9)
FLOAT32 = Tolerance(rtol=1e-5, atol=1e-5)


def tolerance_for(dtype: np.dtype) -> Tolerance:
    return FLOAT64 if dtype.itemsize >= 8 else FLOAT32


def _called(call: Call) -> str:
    return f"Called {call.describe()}."


def _hint(mistakes: tuple[str, ...] | str | None) -> str | None:
    """The hint for the known mistakes an output matches, naming each."""
    if not mistakes:
        return None
    names = (mistakes,) if isinstance(mistakes, str) else mistakes
    if len(names) == 1:
        return MISTAKES[names[0]].hint
    labels = " or ".join(MISTAKES[n].label for n in names)
    return f"This matches {labels}. " + " ".join(MISTAKES[n].hint for n in names)


def error_verdict(call: Call, outcome: Outcome) -> Verdict:
    """The call raised where a value was expected."""
    error = outcome.error or ""
    if "Timeout" in outcome.error_types:
        return Verdict("timeout", f"{_called(call)} It did not finish: {error}",
                       reason=Reason.TIMEOUT)
    if "NotImplementedError" in outcome.error_types:
        return Verdict("fail", f"{call.function} is not implemented yet: replace the "
                       "`raise NotImplementedError` with your code.",
                       reason=Reason.NOT_IMPLEMENTED)
    where = f"\n{outcome.details.strip()}" if outcome.details else ""
    return Verdict("error", f"{_called(call)} It raised {error}{where}", reason=Reason.RAISED)


@dataclass(frozen=True)
class ArrayExpect:
    """A float ndarray of a given shape and values, within a tolerance."""

    expected: np.ndarray
    mistakes: Mapping[str, np.ndarray] = field(default_factory=dict)
    dtype: str | None = None  # an exact dtype the contract asks for (preprocess: float32)

    def match_mistakes(self, actual: np.ndarray) -> tuple[str, ...]:
        return tuple(
            name for name, output in self.mistakes.items()
            if output.shape == actual.shape
            and tolerance_for(actual.dtype).allclose(actual.astype(np.float64), output)
        )

    def maps(self, call: Call, actual: np.ndarray, tolerance: Tolerance) -> dict[str, Any] | None:
        """The maps a failed check's pictures need, or None when the output is not a small
        2-D/3-D map (or holds non-finite values)."""
        expected = self.expected
        if not (_small_map(expected) and _small_map(actual)):
            return None
        arrays: dict[str, Any] = {"expected": expected.astype(np.float64).tolist(),
                                  "returned": actual.astype(np.float64).tolist()}
        if actual.shape == expected.shape:
            scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
            limit = tolerance.atol * scale + tolerance.rtol * np.abs(expected)
            arrays["wrong"] = (np.abs(actual - expected) > limit).tolist()
        # Array arguments only: tuples are sizes or pads ((1, 2), (0, 3)), never a map.
        given = [a for a in call.args if isinstance(a, (np.ndarray, list))]
        for name, value in zip(("input", "kernel"), given, strict=False):
            try:
                array = np.asarray(value)
            except ValueError:  # a ragged list
                continue
            if array.dtype.kind in "biuf" and _small_map(array):
                arrays[name] = array.astype(np.float64).tolist()
        return arrays

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        if outcome.raised:
            return error_verdict(call, outcome)
        actual, expected = outcome.array, self.expected
        shown = f"an array of shape {expected.shape}: {describe_value(expected)}"
        if actual is None or not outcome.is_ndarray:
            what = outcome.type_name or "nothing"
            fix = " Convert it with np.asarray(...)." if actual is not None else ""
            if what == "NoneType":
                what, fix = "None", " Did you forget to `return` the result?"
            if outcome.type_name == "tf.Tensor":
                fix = " Use NumPy here, or call .numpy() on the tensor."
            return Verdict("fail", f"{_called(call)} It returned {'' if what == 'None' else 'a '}{what}"
                           f"{': ' + describe_value(outcome.value) if outcome.value is not None else ''}"
                           f", but the check expected a numpy.ndarray.{fix}",
                           reason=Reason.WRONG_TYPE)
        mistake = self.match_mistakes(actual)
        if actual.dtype.kind != "f" or actual.dtype.itemsize < 4:
            why = {
                "i": "integer arithmetic truncates the results",
                "u": "unsigned integers wrap around (uint8 overflow) and truncate",
                "b": "booleans are not numbers here",
                "c": "the results are real numbers",
            }.get(actual.dtype.kind, "float16 is too imprecise")
            return Verdict("fail", f"{_called(call)} It returned an array of dtype {actual.dtype}, "
                           f"but the contract asks for floats (float64 recommended): {why}. "
                           "Convert the inputs with .astype(np.float64) before computing.",
                           _hint(mistake), Reason.WRONG_DTYPE)
        if self.dtype and actual.dtype != np.dtype(self.dtype):
            return Verdict("fail", f"{_called(call)} It returned an array of dtype {actual.dtype}, "
                           f"but the contract asks for {self.dtype}.", _hint(mistake),
                           Reason.WRONG_DTYPE)
        if actual.shape != expected.shape:
            return Verdict("fail", f"{_called(call)} It returned an array of shape {actual.shape}, "
                           f"but the check expected {shown}.", _hint(mistake),
                           Reason.WRONG_SHAPE, self.maps(call, actual, tolerance_for(actual.dtype)))
        if not np.all(np.isfinite(actual)) and np.all(np.isfinite(expected)):
            return Verdict("fail", f"{_called(call)} It returned {describe_value(actual)}, which "
                           f"holds NaN or infinite values, but the check expected {shown}.",
                           _hint(mistake), Reason.NON_FINITE)
        if not tolerance_for(actual.dtype).allclose(actual, expected):
            diff = np.abs(actual - expected)
            where = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
            return Verdict("fail", f"{_called(call)} It returned {describe_value(actual)}, but the "
                           f"check expected {describe_value(expected)}. The largest difference "
                           f"is {float(diff[where]):.6g} at index {list(where)}: got "
                           f"{float(actual[where]):.6g}, expected {float(expected[where]):.6g}.",
                           _hint(mistake), Reason.WRONG_VALUES,
                           self.maps(call, actual, tolerance_for(actual.dtype)))
        return modified_verdict(call, outcome)


# The largest map a failed check's pictures show: 32x32 cells, up to 4 channels.
MAP_LIMIT = (32, 32, 4)


def _small_map(array: np.ndarray) -> bool:
    return (array.ndim in (2, 3) and array.size > 0
            and all(n <= limit for n, limit in zip(array.shape, MAP_LIMIT, strict=False))
            and bool(np.all(np.isfinite(array))))


def modified_verdict(call: Call, outcome: Outcome) -> Verdict:
    """The side condition: right values earn nothing if the inputs were changed."""
    if outcome.modified:
        return Verdict("fail", f"{_called(call)} The result is right, but the function changed "
                       f"its input ({', '.join(outcome.modified)}) in place. Functions must "
                       "never modify their inputs: work on a copy.",
                       _hint("modifies_input"), Reason.MODIFIED_INPUT)
    return PASS


def _kind(value: Plain) -> str:
    if isinstance(value, tuple):
        return "tuple"
    return "None" if value is None else type(value).__name__


@dataclass(frozen=True)
class ExactExpect:
    """An int or a tuple of ints (None allowed inside), compared exactly."""

    expected: Plain
    mistakes: Mapping[str, Any] = field(default_factory=dict)

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        if outcome.raised:
            return error_verdict(call, outcome)
        value, expected = outcome.value, self.expected
        mistake = tuple(m for m, v in self.mistakes.items() if v == value)
        want = f"the {_kind(expected)} {expected!r}"
        if isinstance(expected, tuple) and outcome.type_name != "tuple":
            return Verdict("fail", f"{_called(call)} It returned a {outcome.type_name or 'nothing'} "
                           f"{describe_value(value)}, but the check expected {want}.",
                           reason=Reason.WRONG_TYPE)
        if isinstance(expected, int) and type(value) is not int:
            return Verdict("fail", f"{_called(call)} It returned a {outcome.type_name or 'nothing'} "
                           f"{describe_value(value)}, but the check expected {want}. "
                           "Sizes are whole numbers: use // or math.ceil, not /.", _hint(mistake),
                           Reason.WRONG_TYPE)
        if isinstance(expected, tuple) and isinstance(value, tuple) and any(
            not (e is None and v is None) and not (
                type(v) is int and e is not None)
            for v, e in zip(value, expected, strict=False)
        ):
            return Verdict("fail", f"{_called(call)} It returned {value!r}, but the check expected "
                           f"{want}: every entry must be an int (or None where the size is "
                           "unknown).", _hint(mistake), Reason.WRONG_TYPE)
        if value != expected:
            return Verdict("fail", f"{_called(call)} It returned {describe_value(value)}, but the "
                           f"check expected {want}.", _hint(mistake), Reason.WRONG_VALUES)
        return modified_verdict(call, outcome)


@dataclass(frozen=True)
class RaisesExpect:
    """Bad arguments: the function must raise ValueError."""

    error: str = "ValueError"
    why: str = ""

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        if {"NotImplementedError", "Timeout"} & set(outcome.error_types):
            return error_verdict(call, outcome)
        if self.error in outcome.error_types:
            return PASS
        wanted = f"a {self.error} ({self.why})" if self.why else f"a {self.error}"
        if outcome.raised:
            return Verdict("fail", f"{_called(call)} It raised {outcome.error}, but the check "
                           f"expected {wanted}.", reason=Reason.WRONG_EXCEPTION)
        got = describe_value(outcome.array if outcome.array is not None else outcome.value)
        return Verdict("fail", f"{_called(call)} It returned {got} without complaint, but the "
                       f"check expected {wanted}. Raise ValueError with a message that says "
                       "what is wrong.", reason=Reason.ACCEPTED_BAD_ARGUMENTS)


@dataclass(frozen=True)
class ModelExpect:
    """One rule of the build_cnn() contract, judged from `autograder.core.probes.describe_model`
    by `autograder.core.modelrules` (the notebooks run the same code)."""

    rule: Rule

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        if outcome.raised:
            return error_verdict(call, outcome)
        facts = outcome.data or {}
        if not facts.get("is_model"):
            return Verdict("fail", f"{_called(call)} It returned a {outcome.type_name or 'nothing'},"
                           " but the check expected a keras.Model (e.g. keras.Sequential([...])).",
                           reason=Reason.WRONG_TYPE)
        if "trace_error" in facts and (self.rule != "model" or "build_error" in facts):
            return Verdict("fail", f"{_called(call)} The kit cannot grade this model: "
                           f"{facts['trace_error']}.", reason=Reason.MODEL)
        if "build_error" in facts:
            return Verdict("fail", f"{_called(call)} The model has no input shape yet "
                           f"({facts['build_error']}). Start it with "
                           "keras.Input(shape=input_shape).", reason=Reason.MODEL)
        problem = model_problem(self.rule, facts, call.args)
        if problem is not None:
            return Verdict("fail", f"{_called(call)} {problem}", reason=Reason.MODEL)
        if self.rule == "size" and facts.get("notes"):
            return Verdict("pass", "Graded with these changes: "
                           f"{'; '.join(facts['notes'])}.")
        return PASS


# An untrained model scores about 0.1 on 10 classes; far above that, it knew the answers.
UNTRAINED_LIMIT = 0.35


@dataclass(frozen=True)
class AccuracyExpect:
    """The MNIST threshold: the parent holds the test labels and scores the predictions."""

    y_test: np.ndarray
    threshold: float
    profile: str
    note: str | None = None

    def judge(self, call: Call, outcome: Outcome) -> Verdict:
        if outcome.raised:
            return error_verdict(call, outcome)
        facts = outcome.data or {}
        predictions = outcome.array
        n = len(self.y_test)
        if not facts.get("is_model"):
            return Verdict("fail", f"build_cnn() returned a {outcome.type_name or 'nothing'}, "
                           "not a keras.Model, so it could not be trained.",
                           reason=Reason.WRONG_TYPE)
        if facts.get("trace_error"):
            return Verdict("fail", "The kit cannot train the model build_cnn() returned: "
                           f"{facts['trace_error']}.", reason=Reason.MODEL)
        if facts.get("preprocess_problem"):
            return Verdict("fail", f"{facts['preprocess_problem']}: the grader trains on your "
                           "preprocessing, which must scale the uint8 pixels to float32 in [0, 1].",
                           reason=Reason.WRONG_VALUES)
        if predictions is None or predictions.shape != (2, n) or predictions.dtype.kind not in "iu":
            return Verdict("error", "The training run returned no usable predictions.",
                           reason=Reason.CRASHED)
        untrained = float(np.mean(predictions[0] == self.y_test))
        accuracy = float(np.mean(predictions[1] == self.y_test))
        seconds = facts.get("seconds")
        took = f" in {seconds:.0f} s" if isinstance(seconds, (int, float)) else ""
        note = f" ({self.note})" if self.note else ""
        if untrained > UNTRAINED_LIMIT:
            return Verdict("fail", f"Before training, the model already scored {untrained:.3f} on "
                           f"the test images (chance is about 0.1). build_cnn() must return a "
                           "fresh, untrained model: no loaded or hand-set weights.",
                           reason=Reason.MODEL)
        seen = self.seen(facts, predictions[1], accuracy)
        if accuracy < self.threshold:
            return Verdict("fail", f"After the grader's training on {self.profile}{took}, the "
                           f"test accuracy is {accuracy:.3f}; the threshold is "
                           f"{self.threshold:.2f}{note}. Check preprocess() (scale to [0, 1]), "
                           "the final activation (softmax or none), and the model's capacity.",
                           reason=Reason.ACCURACY, arrays=seen)
        return Verdict("pass", f"Test accuracy {accuracy:.3f} on {self.profile} after the "
                       f"grader's training{took} (threshold {self.threshold:.2f}){note}.",
                       arrays=seen)

    def seen(self, facts: Mapping[str, Any], predicted: np.ndarray,
             accuracy: float) -> dict[str, Any]:
        """The trained model as the feedback shows it (`kind` "cnn", passing or not): the
        confusion matrix, made here, where the test labels are (rows: the true digit), and what
        the trusted trainer read off the first layer (`probes.first_layer`)."""
        classes = int(max(self.y_test.max(), predicted.max())) + 1
        confusion = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(confusion, (self.y_test.astype(np.int64), predicted.astype(np.int64)), 1)
        insight = facts.get("insight")
        return {"kind": "cnn", "confusion": confusion.tolist(), "accuracy": accuracy,
                "threshold": self.threshold, **(insight if isinstance(insight, dict) else {})}
