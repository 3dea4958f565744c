"""The public checks of exercise `cnn` (defined in autograder/checks/cnn.py)."""

from autograder.student import make_test

test_cnn = make_test("cnn", __file__)
