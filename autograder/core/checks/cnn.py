"""Public checks of exercise 5, the CNN: ReLU, a conv layer against `keras.layers.Conv2D`, the
shape rules (the slides' example among them), the forward pass of the reference model, MNIST
preprocessing, the structure of the student's `build_cnn()` and the MNIST threshold.

The fixture-backed cases need no TensorFlow; the model checks import it when they run.
"""

from __future__ import annotations

import zlib

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case, Check
from autograder.core.judge import AccuracyExpect, ModelExpect
from autograder.core.modelrules import Rule

_rng = np.random.default_rng(5)

# The shapes of reference_model().get_weights(): conv 3x3x1x8, conv 3x3x8x16, dense 400x10.
REFERENCE_WEIGHT_SHAPES = ((3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (400, 10), (10,))


def _weights(rng: np.random.Generator) -> list[np.ndarray]:
    """Weights for the reference model: any values of the right shapes will do."""
    return [(rng.normal(size=shape) * (0.5 if len(shape) > 1 else 0.1)).round(4)
            for shape in REFERENCE_WEIGHT_SHAPES]


CASES = (
    Case("relu-mixed-signs", 1, "a 3x4 array of both signs",
         Call("relu", (_rng.normal(size=(3, 4)).round(3),))),
    Case("conv2d_layer-valid-relu", 3,
         "a 5x6x3 input, four 3x2 kernels, biases of both signs, ReLU",
         Call("conv2d_layer", (_rng.normal(size=(5, 6, 3)).round(3),
                               _rng.normal(size=(3, 2, 3, 4)).round(3),
                               np.array([0.5, -0.5, 1.5, -2.0])))),
    Case("conv2d_layer-same-stride-2-linear", 2,
         "a 6x5x2 input, three 3x4 kernels, stride 2, 'same', no activation",
         Call("conv2d_layer", (_rng.normal(size=(6, 5, 2)).round(3),
                               _rng.normal(size=(3, 4, 2, 3)).round(3),
                               np.array([0.1, -0.2, 0.3]), 2, "same", None))),
    Case("conv_output_shape-slide-example", 1, "the slides' Conv2D(32, 5) on (1, 28, 28, 5)",
         Call("conv_output_shape", ((1, 28, 28, 5), 32, 5))),
    Case("conv_output_shape-same-stride-2", 1, "Conv2D(16, 3, strides=2, 'same') on (None, 28, 28, 1)",
         Call("conv_output_shape", ((None, 28, 28, 1), 16, 3, 2, "same"))),
    Case("conv_output_shape-same-stride-3-odd", 1,
         "Conv2D(4, 3, strides=3, 'same') on (None, 10, 7, 2): out = ceil(n / 3)",
         Call("conv_output_shape", ((None, 10, 7, 2), 4, 3, 3, "same"))),
    Case("conv_output_shape-valid-pair-stride", 1, "Conv2D(4, (3, 2), strides=(3, 2)) on (2, 10, 7, 3)",
         Call("conv_output_shape", ((2, 10, 7, 3), 4, (3, 2), (3, 2)))),
    Case("pool_output_shape-slide-example", 2, "the slides' MaxPool2D((2, 2), (2, 2)) on (1, 24, 24, 32)",
         Call("pool_output_shape", ((1, 24, 24, 32), (2, 2), (2, 2)))),
    Case("pool_output_shape-default-stride", 1, "MaxPool2D(2) on (None, 7, 7, 8)",
         Call("pool_output_shape", ((None, 7, 7, 8), 2))),
    Case("cnn_forward-reference-model", 4, "three images through the reference model",
         Call("cnn_forward", (_rng.uniform(size=(3, 28, 28, 1)).round(3).astype(np.float32),
                              _weights(_rng)))),
    Case("preprocess-mnist-pixels", 2, "two uint8 28x28 images",
         Call("preprocess", (_rng.integers(0, 256, size=(2, 28, 28)).astype(np.uint8),)),
         dtype="float32"),
)

MODEL_CHECKS: tuple[tuple[str, int, str, Call, Rule], ...] = (
    # (id, weight, title, call, rule): weights, scaled with the cases' to the exercise's share
    ("build_cnn-returns-model", 2, "build_cnn() returns a Keras model with 10 outputs",
     Call("build_cnn", mode="model"), "model"),
    ("build_cnn-architecture", 2, "a feature extractor (2+ Conv2D, pooling) and a classifier",
     Call("build_cnn", mode="model"), "architecture"),
    ("build_cnn-size", 1, "at most 250,000 parameters, built-in layers only",
     Call("build_cnn", mode="model"), "size"),
    ("build_cnn-other-input", 1, "build_cnn((32, 32, 3), num_classes=5)",
     Call("build_cnn", ((32, 32, 3), 5), mode="model"), "other_input"),
)


def training_seed(seed: int) -> int:
    """The Keras seed of the MNIST check, derived from the instructor's: the call goes to the
    student's process, and the instructor's seed (which draws the hidden cases) must not."""
    return zlib.crc32(f"mnist-training:{seed}".encode()) & 0x7FFFFFFF


def model_checks(*, profile: str | None = None, seed: int = 0) -> list[Check]:
    """The checks of `build_cnn()`: its structure, and the MNIST threshold after training."""
    from autograder.core import data

    checks = [Check(id, "cnn", weight, title, call, ModelExpect(rule))
              for id, weight, title, call, rule in MODEL_CHECKS]
    # Naming a full profile explicitly may download it (online only); the default never does.
    dataset = data.load(profile, seed=seed, allow_download=profile in ("mnist", "fashion"))
    p = dataset.profile
    call = Call("build_cnn", mode="mnist", kwargs={
        "x_train": dataset.x_train, "y_train": dataset.y_train, "x_test": dataset.x_test,
        "epochs": p.epochs, "seed": training_seed(seed)})
    title = (f"trained by the grader on {p.name} ({p.n_train:,} images, {p.epochs} epochs), "
             f"test accuracy at least {p.threshold:.2f}")
    checks.append(Check("build_cnn-mnist-threshold", "cnn", 5, title, call,
                        AccuracyExpect(dataset.y_test, p.threshold, p.name, dataset.note)))
    return checks
