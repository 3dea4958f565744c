"""The public checks of exercise `pooling` (autograder/core/checks/pooling.py)."""

from autograder.student import make_test

test_pooling = make_test("pooling", __file__)
