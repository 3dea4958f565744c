"""The public checks of exercise `padding` (defined in autograder/checks/padding.py)."""

from autograder.student import make_test

test_padding = make_test("padding", __file__)
