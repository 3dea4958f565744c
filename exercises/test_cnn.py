"""The public checks of exercise `cnn` (autograder/core/checks/cnn.py)."""

from autograder.student import make_test

test_cnn = make_test("cnn", __file__)
