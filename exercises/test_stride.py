"""The public checks of exercise `stride` (defined in autograder/checks/stride.py)."""

from autograder.student import make_test

test_stride = make_test("stride", __file__)
