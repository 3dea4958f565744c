"""The one registry of the kit: the exercises in course order, their hints and policies, and the
known mistakes the checks can name.

Everything else derives from it: the student loop's order and progress, the grader's policy
checks, the feedback's hints. Each exercise has a weight here, and the unit's 100 points are
shared out in proportion (`points`); its public cases (`autograder/core/checks/<exercise>.py`)
carry weights too, scaled to the exercise's points. Adding an exercise rebalances nothing by
hand.
What an exercise brings besides (its oracle, hidden cases, mutants, introduction) is in
`autograder/course/<exercise>.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

FORMAT_VERSION = 1

# The NumPy exercises are about the arithmetic: libraries that do it for you are off limits.
NUMPY_ONLY = ("tensorflow", "keras", "torch", "jax", "scipy")
# NumPy routines that compute a 1D correlation or convolution, some under another name
# (a polynomial product is a convolution; so is a product of Fourier transforms). Checked in
# the source (autograder.core.policy) and while the function runs (autograder.core.callguard); `.*`
# names a whole module.
SLIDING_PRODUCTS = ("numpy.correlate", "numpy.convolve", "numpy.polymul",
                    "numpy.polynomial.polynomial.polymul", "numpy.fft.*")


# The wall clock of one exercise's grading, all its workers together (`--timeout`).
EXERCISE_TIMEOUT_S = 120.0
# A call's limit (`Exercise.case_timeout_s`) is CPU time; the wall clock backs it up at this
# multiple (a call that waits without computing), in the grader and in the student loop alike.
WALL_FACTOR = 4.0


@dataclass(frozen=True)
class Exercise:
    name: str  # also the module name: exercises/<name>.py, solutions/<name>.py
    title: str
    slides: tuple[str, ...]
    functions: tuple[str, ...]
    hint: str
    weight: int = 10  # its share of the unit's TOTAL_POINTS, relative to the other exercises'
    forbidden_imports: tuple[str, ...] = ()
    forbidden_calls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    uses_tensorflow: bool = False
    # One call's limit in the grader's worker: the NumPy exercises take milliseconds on the
    # checks' inputs, so seconds are generous and a hang costs little.
    case_timeout_s: float = 3.0

    @property
    def module(self) -> str:
        return f"{self.name}.py"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        name="cross_correlation",
        title="Cross-correlation in 1D, 2D and 3D",
        weight=20,
        slides=("Cross Correlation", "Convolution", "2D Convolutional Operation",
                "Convolution in 3D"),
        functions=("correlate1d", "convolve1d", "correlate2d", "correlate3d"),
        hint="Slide the kernel over the input without flipping it; each output value is the dot "
             "product of the kernel with the window under it. An input of length n and a kernel "
             "of length k give n - k + 1 positions. In 3D the kernel is as deep as the input and "
             "the sum runs over all channels.",
        forbidden_imports=NUMPY_ONLY,
        forbidden_calls={"correlate1d": SLIDING_PRODUCTS, "convolve1d": SLIDING_PRODUCTS},
    ),
    Exercise(
        name="padding",
        title="Zero padding and the 'same' rule",
        weight=15,
        slides=("Padding Mode", "Zero Padding", "No Padding"),
        functions=("same_padding", "zero_pad", "correlate2d_padded"),
        hint="For 'same', TensorFlow pads max((out - 1) * s + k - n, 0) zeros in total with "
             "out = ceil(n / s), and puts the odd one after: before = total // 2, "
             "after = total - before. Pad only the two spatial axes.",
        forbidden_imports=NUMPY_ONLY,
    ),
    Exercise(
        name="stride",
        title="Stride",
        weight=15,
        slides=("Stride Size",),
        functions=("output_size", "correlate2d_strided"),
        hint="valid: (n - k) // s + 1 (floor, not ceil); same: ceil(n / s). For 'same' the "
             "padding depends on the stride: pad for the strided output, then move the kernel "
             "s pixels per step. Keeping every s-th value of the stride-1 map is not the same.",
        forbidden_imports=NUMPY_ONLY,
    ),
    Exercise(
        name="pooling",
        title="Pooling, global average pooling and flatten",
        weight=20,
        slides=("Pooling Layer", "Pooling Modes", "Feature Extractor"),
        functions=("max_pool2d", "avg_pool2d", "global_avg_pool2d", "flatten"),
        hint="Pool each channel on its own; strides default to the pool size. With 'same' the "
             "padded cells are not data: max pooling ignores them (think -inf) and average "
             "pooling divides by the number of real cells. Flatten in row-major (H, W, C) order.",
        forbidden_imports=NUMPY_ONLY,
    ),
    Exercise(
        name="cnn",
        title="A convolutional layer, shape rules and a Keras CNN on MNIST",
        weight=30,
        slides=("Convolutional Layer", "Bias and Activation", "ReLU Activation", "Classifier",
                "Convolutional Layer - TF", "Pooling Layer - TF"),
        functions=("relu", "conv2d_layer", "conv_output_shape", "pool_output_shape",
                   "cnn_forward", "preprocess", "build_cnn"),
        hint="A conv layer sums kernel x window over height, width and all input channels, adds "
             "one bias per feature map, then applies the activation. Kernels are "
             "(kh, kw, C_in, C_out). build_cnn: at least two Conv2D and a pooling layer, then "
             "Flatten (or GlobalAveragePooling2D) and Dense(num_classes).",
        uses_tensorflow=True,
        case_timeout_s=60.0,  # build_cnn() and preprocess() of the MNIST check
    ),
)

BY_NAME: Mapping[str, Exercise] = {exercise.name: exercise for exercise in EXERCISES}

TOTAL_POINTS = 100


def scale(weights: Sequence[int], total: int) -> list[int]:
    """Whole points in proportion to `weights`, adding up to `total` (the largest remainders
    get the points that rounding leaves over; weights adding up to `total` come back as they
    are)."""
    whole = sum(weights)
    if whole <= 0 or min(weights) < 0:
        raise ValueError(f"weights must be non-negative and not all zero: {list(weights)}")
    exact = [Fraction(w * total, whole) for w in weights]
    points = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: (points[i] - exact[i], i))[:total - sum(points)]:
        points[i] += 1
    return points


POINTS: Mapping[str, int] = dict(zip(BY_NAME, scale([e.weight for e in EXERCISES], TOTAL_POINTS),
                                     strict=True))

# build_cnn may use only these built-in layers: a custom layer could carry the answers.
ALLOWED_KERAS_LAYERS = (
    "InputLayer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "Flatten", "Dense", "Dropout", "BatchNormalization", "Activation",
    "ReLU", "Softmax", "Rescaling", "SpatialDropout2D", "DepthwiseConv2D", "SeparableConv2D",
    "LayerNormalization", "LeakyReLU", "Reshape",
)
MAX_PARAMETERS = 250_000


@dataclass(frozen=True)
class Mistake:
    label: str  # names the mistake in a failure message
    hint: str   # what to do about it


MISTAKES: Mapping[str, Mistake] = {
    "flipped_kernel": Mistake(
        "flipped kernel",
        "This matches the result with the kernel flipped: that is true convolution. "
        "Cross-correlation slides the kernel as it is."),
    "unflipped_kernel": Mistake(
        "kernel not flipped",
        "This matches cross-correlation: true convolution reverses the kernel first."),
    "off_by_one": Mistake(
        "off-by-one output length",
        "This matches an off-by-one length: an input of n and a kernel of k fit n - k + 1 "
        "positions."),
    "symmetric_same": Mistake(
        "symmetric 'same' padding",
        "This matches padding k // 2 on both sides. TensorFlow pads "
        "max((out - 1) * s + k - n, 0) in total and puts the odd pixel at the bottom/right."),
    "extra_top_left": Mistake(
        "extra padding on the top/left",
        "This matches putting the odd padding pixel at the top/left. TensorFlow puts it at "
        "the bottom/right: before = total // 2, after = total - before."),
    "ceil_stride": Mistake(
        "ceil instead of floor with a stride",
        "This matches rounding up with a stride. For 'valid' the length is (n - k) // s + 1: "
        "a window that would stick out of the input is dropped."),
    "floor_same": Mistake(
        "floor instead of ceil for 'same'",
        "This matches rounding n / s down for 'same'. TensorFlow keeps every start position: "
        "out = ceil(n / s) = -(-n // s), and the padding is computed for that length."),
    "negative_same_padding": Mistake(
        "negative 'same' padding",
        "This matches a negative padding: when the stride is larger than the kernel, "
        "(out - 1) * s + k - n can be below zero. TensorFlow pads max(that, 0) in total."),
    "swapped_stride": Mistake(
        "swapped height and width strides",
        "This matches reading the stride pair as (width, height). A pair is (height, width): "
        "the first value moves the window down the rows, the second along the columns."),
    "subsampled_stride": Mistake(
        "stride-1 result subsampled",
        "This matches computing the stride-1 map and keeping every s-th value. With 'same' "
        "the padding depends on the stride: pad for the strided output size instead."),
    "forgot_bias": Mistake(
        "forgetting the bias",
        "This matches leaving out the bias: add bias[f] to every position of feature map f."),
    "relu_before_bias": Mistake(
        "ReLU before the bias",
        "This matches applying ReLU before adding the bias: add the bias first, then "
        "activate."),
    "channels_not_summed": Mistake(
        "not summing over channels",
        "This matches not summing over the input channels: a kernel is as deep as its input "
        "and one kernel gives one feature map."),
    "kernel_layout": Mistake(
        "kernel read as (F, C, kh, kw)",
        "This matches reading the kernels as (F, C, kh, kw). Keras stores them as "
        "(kh, kw, C_in, C_out): kernels[:, :, c, f] is the slice for input channel c and "
        "filter f."),
    "avg_counts_padding": Mistake(
        "average pooling counting padded zeros",
        "This matches dividing by the whole window size. With 'same', average pooling "
        "divides by the number of real (unpadded) cells in each window."),
    "max_pads_zeros": Mistake(
        "max pooling padding with zeros",
        "This matches padding with zeros before max pooling: a zero can beat negative "
        "inputs. Padded cells must be ignored (pad with -inf)."),
    "pool_stride_one": Mistake(
        "pooling stride 1 by default",
        "This matches moving the pool one cell at a time. When strides is None it defaults "
        "to the pool size, as in Keras."),
    "pool_across_channels": Mistake(
        "pooling across channels",
        "This matches pooling over the channels too: each channel is pooled on its own."),
    "flatten_channels_first": Mistake(
        "flatten in channels-first order",
        "This matches flattening as (C, H, W). Keras flattens channels-last maps in "
        "row-major (H, W, C) order: the channel index changes fastest."),
    "integer_truncation": Mistake(
        "integer truncation",
        "This matches computing in integers, which drops the fractions: convert to float "
        "(e.g. .astype(np.float64) or / instead of //) first."),
    "uint8_overflow": Mistake(
        "uint8 overflow",
        "This matches arithmetic in uint8, which wraps around above 255: convert the pixels "
        "to float before adding or multiplying."),
    "modifies_input": Mistake(
        "modifying the input in place",
        "Your function changed the caller's array. Work on a copy (np.array(x, dtype=float) "
        "copies; np.asarray does not)."),
}


def exercise(name: str) -> Exercise:
    """The exercise called `name`, with an error listing the valid names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown exercise {name!r}; choose from: {', '.join(BY_NAME)}") from None
