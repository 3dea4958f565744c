"""Public checks of exercise 2, padding: TensorFlow's 'same' rule on odd and even kernels and
strides 2 and 3 (a length the stride does not divide, a stride larger than the kernel), zero
padding of images and volumes, and the lecture's example padded."""

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case
from autograder.core.checks.cross_correlation import LECTURE_KERNEL, LECTURE_X

_rng = np.random.default_rng(2)

CASES = (
    Case("same_padding-odd-kernel", 1, "n=5, a kernel of 3",
         Call("same_padding", (5, 3))),
    Case("same_padding-even-kernel", 1, "n=10, a kernel of 4 (the odd pixel goes after)",
         Call("same_padding", (10, 4))),
    Case("same_padding-stride-2", 1, "n=4, a kernel of 3, stride 2",
         Call("same_padding", (4, 3, 2))),
    Case("same_padding-stride-2-odd-length", 1, "n=7, a kernel of 3, stride 2 (out = ceil(7 / 2))",
         Call("same_padding", (7, 3, 2))),
    Case("same_padding-stride-above-kernel", 1, "n=8, a 1-wide kernel, stride 3 (no negative pads)",
         Call("same_padding", (8, 1, 3))),
    Case("same_padding-stride-3", 1, "n=9, a kernel of 4, stride 3",
         Call("same_padding", (9, 4, 3))),
    Case("zero_pad-image", 2, "a 2x3 image padded ((1, 2), (0, 3))",
         Call("zero_pad", (np.arange(1, 7, dtype=float).reshape(2, 3), ((1, 2), (0, 3))))),
    Case("zero_pad-volume", 2, "a 2x2x3 volume: the channels are not padded",
         Call("zero_pad", (np.arange(1, 13, dtype=float).reshape(2, 2, 3), ((1, 0), (2, 1))))),
    Case("zero_pad-rejects-negative-pads", 1, "a negative pad",
         Call("zero_pad", (np.ones((2, 2)), ((1, -1), (0, 0)))), raises=True),
    Case("correlate2d_padded-lecture-same", 2, "the lecture's example as a 1x12 image, 'same'",
         Call("correlate2d_padded", ([LECTURE_X], [LECTURE_KERNEL], "same"))),
    Case("correlate2d_padded-same-even-kernel", 1, "a 5x6 image and a 2x4 kernel, 'same'",
         Call("correlate2d_padded", (_rng.integers(-5, 6, size=(5, 6)).astype(float),
                                     _rng.integers(-3, 4, size=(2, 4)).astype(float), "same"))),
    Case("correlate2d_padded-rejects-unknown-mode", 1, "an unknown padding mode",
         Call("correlate2d_padded", (np.ones((3, 3)), np.ones((2, 2)), "full")), raises=True),
)
