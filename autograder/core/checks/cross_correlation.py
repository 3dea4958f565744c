"""Public checks of exercise 1, cross-correlation: the lecture's example and discriminating
vectors (asymmetric kernels so a flipped kernel shows, non-square inputs, integer input with a
float kernel, uint8 pixels, C > 1)."""

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case

LECTURE_X = [1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1]
LECTURE_KERNEL = [2, 0, 2, 1]
_rng = np.random.default_rng(1)

CASES = (
    Case("correlate1d-lecture-example", 3, "the lecture's example",
         Call("correlate1d", (LECTURE_X, LECTURE_KERNEL))),
    Case("correlate1d-int-input-float-kernel", 2, "integer input, float kernel",
         Call("correlate1d", (np.array(LECTURE_X, dtype=np.int64), [0.5, -1, 0.25, 1.5]))),
    Case("correlate1d-kernel-as-long-as-input", 1, "a kernel as long as the input",
         Call("correlate1d", ([1.0, -2.0, 3.0], [4.0, 5.0, 6.0]))),
    Case("correlate1d-rejects-long-kernel", 1, "a kernel longer than the input",
         Call("correlate1d", ([1.0, 2.0], [1.0, 2.0, 3.0])), raises=True),
    Case("convolve1d-lecture-example", 2, "the lecture's example as a true convolution",
         Call("convolve1d", (LECTURE_X, LECTURE_KERNEL))),
    Case("convolve1d-random", 1, "a random signal and an asymmetric kernel",
         Call("convolve1d", (_rng.normal(size=9).round(3), [1.0, -2.0, 0.5]))),
    Case("correlate2d-asymmetric-kernel", 3, "a 3x3 image and an asymmetric 2x2 kernel",
         Call("correlate2d", ([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]]))),
    Case("correlate2d-non-square", 2, "a 4x6 image and a 2x3 kernel",
         Call("correlate2d", (_rng.integers(-5, 6, size=(4, 6)), _rng.integers(-3, 4, size=(2, 3))))),
    Case("correlate2d-uint8-pixels", 1, "uint8 pixels and a uint8 kernel",
         Call("correlate2d", (np.array([[200, 255, 13], [90, 180, 255], [0, 255, 128]], np.uint8),
                              np.array([[1, 2], [3, 4]], np.uint8)))),
    Case("correlate3d-three-channels", 3, "a 4x5x3 volume and a 2x3x3 kernel",
         Call("correlate3d", (_rng.integers(-4, 5, size=(4, 5, 3)),
                              _rng.integers(-2, 3, size=(2, 3, 3)).astype(float)))),
    Case("correlate3d-rejects-depth-mismatch", 1, "a kernel with fewer channels than the input",
         Call("correlate3d", (np.ones((4, 4, 3)), np.ones((2, 2, 2)))), raises=True),
)
