"""The public checks of exercise `stride` (autograder/core/checks/stride.py)."""

from autograder.student import make_test

test_stride = make_test("stride", __file__)
