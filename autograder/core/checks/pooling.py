"""Public checks of exercise 4, pooling: default strides, 'same' pooling where padded cells must
be ignored (all-negative input for max, all-ones for average), uint8 input, channels pooled on
their own, and flatten's order."""

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case

_rng = np.random.default_rng(4)

CASES = (
    Case("max_pool2d-default-stride", 3, "a 4x6x2 input, pool 2, default strides",
         Call("max_pool2d", (_rng.normal(size=(4, 6, 2)).round(3),))),
    Case("max_pool2d-same-all-negative", 3, "an all-negative 5x5x1 input, pool 2, 'same'",
         Call("max_pool2d", (-np.arange(1, 26, dtype=float).reshape(5, 5, 1), 2),
              {"padding": "same"})),
    Case("max_pool2d-pair-pool-and-stride", 2, "a 5x7x3 input, pool (2, 3), strides (1, 2)",
         Call("max_pool2d", (_rng.normal(size=(5, 7, 3)).round(3), (2, 3), (1, 2)))),
    Case("avg_pool2d-same-all-ones", 3, "an all-ones 3x3x1 input, pool 3, stride 1, 'same'",
         Call("avg_pool2d", (np.ones((3, 3, 1)), 3, 1, "same"))),
    Case("avg_pool2d-same-stride-2", 2, "a 5x5x2 input, pool 2, 'same'",
         Call("avg_pool2d", (_rng.normal(size=(5, 5, 2)).round(3), 2, None, "same"))),
    Case("avg_pool2d-uint8-pixels", 2, "bright uint8 pixels, pool 2",
         Call("avg_pool2d", (np.array([[[250], [240], [10], [0]], [[255], [200], [20], [30]],
                                       [[128], [128], [255], [255]], [[1], [2], [255], [254]]],
                                      dtype=np.uint8),))),
    Case("global_avg_pool2d-three-by-four", 2, "a 3x4x5 input",
         Call("global_avg_pool2d", (_rng.normal(size=(3, 4, 5)).round(3),))),
    Case("flatten-order", 2, "arange(12) as a 2x2x3 input",
         Call("flatten", (np.arange(12, dtype=float).reshape(2, 2, 3),))),
    Case("max_pool2d-rejects-large-pool", 1, "a pool larger than the input, 'valid'",
         Call("max_pool2d", (np.ones((2, 2, 1)), 3)), raises=True),
)
