"""Hostile: rewrite the grader's own code inside the sandbox child. The functions are wrong; the
patches forge, from the public fixtures, the expected value of every published case."""

import json
from pathlib import Path

import numpy as np

import autograder
from autograder.core import calls, judge
from autograder.grading import wire
from autograder.core.checks import padding as published

FIXTURES = Path(autograder.__file__).parent / "core" / "checks" / "fixtures" / "padding.json"
EXPECTED = json.loads(FIXTURES.read_text())["cases"]
CASES = published.CASES  # the request lists the published cases first, in this order

# hostile: the child's copy of the judge passes everything
judge.ArrayExpect.judge = lambda self, call, outcome: judge.PASS
judge.ExactExpect.judge = lambda self, call, outcome: judge.PASS
judge.RaisesExpect.judge = lambda self, call, outcome: judge.PASS


# hostile: never call the student's functions; make up a plausible-looking outcome instead
def fake_invoke(function, call):
    if call.function == "same_padding":
        return calls.Outcome(type_name="tuple", value=(-1, -1))
    return calls.Outcome(type_name="numpy.ndarray", is_ndarray=True, array=np.full((1, 1), -1.0))


calls.invoke = fake_invoke


# hostile: whatever came back, write the published expected value of that case
def forged(index):
    case = CASES[index]
    if case.raises:
        return calls.Outcome(error="ValueError: forged", error_types=("ValueError", "Exception"))
    expected = EXPECTED[case.id]["expected"]
    if "tuple" in expected:
        return calls.Outcome(type_name="tuple", value=tuple(expected["tuple"]))
    array = np.array(expected["data"], dtype=expected["dtype"]).reshape(expected["shape"])
    return calls.Outcome(type_name="numpy.ndarray", is_ndarray=True, array=array)


_write_outcome = wire.write_outcome


def forging_write_outcome(directory, key, outcome):
    if key.isdigit() and int(key) < len(CASES):
        outcome = forged(int(key))
    _write_outcome(directory, key, outcome)


wire.write_outcome = forging_write_outcome


def same_padding(n, kernel_size, stride=1):
    return None  # wrong, never called


def zero_pad(image, pads):
    return None  # wrong, never called


def correlate2d_padded(image, kernel, padding="valid"):
    return None  # wrong, never called
