"""Public checks of exercise 3, stride: the output size rule (floor for 'valid', ceil(n / s) for
'same'), and strided maps where subsampling the stride-1 map or symmetric padding goes wrong
(stride 2 on even sizes, stride 3, even kernels, a (height, width) stride)."""

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case

_rng = np.random.default_rng(3)

CASES = (
    Case("output_size-slide-example", 1, "n=28, a kernel of 5 (the slides' Conv2D)",
         Call("output_size", (28, 5))),
    Case("output_size-valid-stride-2", 1, "n=7, a kernel of 2, stride 2, 'valid'",
         Call("output_size", (7, 2, 2, "valid"))),
    Case("output_size-kernel-as-long-as-input", 1, "n=6, a kernel of 6: it fits once",
         Call("output_size", (6, 6))),
    Case("output_size-same-stride-3", 1, "n=10, a kernel of 3, stride 3, 'same'",
         Call("output_size", (10, 3, 3, "same"))),
    Case("output_size-rejects-zero-stride", 1, "stride 0",
         Call("output_size", (10, 3, 0)), raises=True),
    Case("correlate2d_strided-valid-stride-2", 2, "a 5x7 image, a 3x2 kernel, stride 2, 'valid'",
         Call("correlate2d_strided", (_rng.integers(-5, 6, size=(5, 7)).astype(float),
                                      _rng.integers(-3, 4, size=(3, 2)).astype(float), 2))),
    Case("correlate2d_strided-same-stride-2-even", 3, "a 4x4 image, a 3x3 kernel, stride 2, 'same'",
         Call("correlate2d_strided", (np.arange(16).reshape(4, 4), np.ones((3, 3)), 2, "same"))),
    Case("correlate2d_strided-same-stride-3", 2, "a 7x8 image, a 2x3 kernel, stride 3, 'same'",
         Call("correlate2d_strided", (_rng.integers(-5, 6, size=(7, 8)).astype(float),
                                      _rng.integers(-3, 4, size=(2, 3)).astype(float), 3, "same"))),
    Case("correlate2d_strided-same-pair-stride", 2,
         "a 5x6 image, a 4x2 kernel, stride (1, 2), 'same'",
         Call("correlate2d_strided", (_rng.integers(-5, 6, size=(5, 6)).astype(float),
                                      _rng.integers(-3, 4, size=(4, 2)).astype(float), (1, 2),
                                      "same"))),
    Case("correlate2d_strided-rejects-unknown-mode", 1, "an unknown padding mode",
         Call("correlate2d_strided", (np.ones((4, 4)), np.ones((2, 2)), 1, "SAME!")), raises=True),
)
