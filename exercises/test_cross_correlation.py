"""The public checks of exercise `cross_correlation` (autograder/core/checks/cross_correlation.py)."""

from autograder.student import make_test

test_cross_correlation = make_test("cross_correlation", __file__)
