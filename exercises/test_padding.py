"""The public checks of exercise `padding` (autograder/core/checks/padding.py)."""

from autograder.student import make_test

test_padding = make_test("padding", __file__)
