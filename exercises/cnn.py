"""Exercise 5: a convolutional layer, the shape rules, a CNN forward pass and a Keras CNN.

Here the pieces of the first four exercises come together. A convolutional layer
cross-correlates its input with F kernels, each as deep as the input, adds one bias per feature
map and applies an activation (usually ReLU). A feature extractor alternates such layers with
pooling layers; a small dense classifier reads the result once it is flattened. You write that
layer in NumPy, predict the output shapes of Keras layers, run a whole small CNN by hand, and
finally design your own Keras CNN for MNIST. This exercise follows the slides "Convolutional
Layer", "Bias and Activation", "ReLU Activation", "Classifier", "Convolutional Layer - TF" and
"Pooling Layer - TF".

Conventions for this exercise:

- Channels last, as in Keras: an image is `(H, W, C)`, a batch `(N, H, W, C)`, a bank of kernels
  `(kh, kw, C_in, C_out)` (the layout of a `Conv2D` kernel) and a bias `(C_out,)`, one value per
  feature map.
- "Convolution" means cross-correlation: the kernels are not flipped.
- `padding` is `"valid"` or `"same"`, with TensorFlow's rules (the odd padding pixel goes to
  the bottom/right); `stride`, `strides`, `kernel_size` and `pool_size` are an int or a
  `(height, width)` pair.
- Inputs may be lists or arrays of any real dtype (`uint8` too). Arrays come back as float
  `np.ndarray`; the shape functions return tuples of ints (`None` stays `None`).
- Never modify the inputs.
- Raise `ValueError` on bad arguments: an unknown padding mode or activation, a non-positive
  size or stride, a kernel or pool larger than a `"valid"` input, mismatched channel counts
  (input vs kernels, kernels vs bias), an input with the wrong number of dimensions, or an
  empty input.
- TensorFlow and Keras are allowed here (and `build_cnn` needs Keras); `relu`, `conv2d_layer`
  and `cnn_forward` are meant to be written with NumPy.

`reference_model()` is given: it is the network that `cnn_forward` must reproduce.

Run the checks from the repository root with `pytest exercises/test_cnn.py` or
`autograder check cnn`. They import TensorFlow, and the MNIST check trains your model, so they
take a while.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from numpy.typing import ArrayLike


def reference_model() -> keras.Model:
    """The CNN that `cnn_forward` reproduces (given, not an exercise)."""
    import keras  # the given model reads on its own, as in the reference

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),  # logits
    ])


def relu(x: ArrayLike) -> np.ndarray:
    """The rectified linear unit, `max(x, 0)`, applied elementwise to an array of any shape.

    Returns:
        a float array of the same shape as `x`.

    >>> relu([-2, 0, 3])
    array([0., 0., 3.])
    """
    # TODO: convert x to a float array and replace every negative value by 0.
    raise NotImplementedError("relu is not implemented yet")


def conv2d_layer(
    x: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
    activation: str | None = "relu",
) -> np.ndarray:
    """One convolutional layer: `activation(cross-correlation(x, kernels) + bias)`.

    `x (H, W, C)`, `kernels (kh, kw, C, F)`, `bias (F,)`. Feature map `f` is the
    cross-correlation of `x` with `kernels[:, :, :, f]`, summed over all `C` channels, plus
    `bias[f]` at every position; then the activation (`"relu"` or `None`) is applied. The result
    must equal `keras.layers.Conv2D` given the same weights. Supporting a batch
    `(N, H, W, C) -> (N, H', W', F)` as well is allowed, not required.

    Returns:
        a float array `(H', W', F)`, with `H'` and `W'` given by the stride and padding rules.

    Raises:
        ValueError: if `x` is not `(H, W, C)` (or a batch) or is empty, `kernels` is not 4D,
            the kernels' `C` differs from the input's, `bias` is not `(F,)`, or for an unknown
            padding mode or activation, a non-positive stride, or (with `"valid"`) a kernel
            larger than `x`.

    A 3 x 3 image with 2 channels of ones, 2 kernels of ones: each window sums 2 x 2 x 2 = 8.
    The bias -10 makes map 0 negative, so ReLU zeroes it; map 1 gets 8 + 1.

    >>> out = conv2d_layer(np.ones((3, 3, 2)), np.ones((2, 2, 2, 2)), [-10.0, 1.0])
    >>> out.shape
    (2, 2, 2)
    >>> out[:, :, 0], out[:, :, 1]
    (array([[0., 0.],
           [0., 0.]]), array([[9., 9.],
           [9., 9.]]))
    """
    # TODO: convert x, kernels and bias to float arrays and check their shapes against each
    #       other (C of x vs kernels, F of kernels vs bias), the padding and the activation.
    # TODO: for "same", zero-pad the height and width of x as in the padding exercise, with
    #       the padding chosen for this stride.
    # TODO: for every output position and every filter f, multiply the (kh, kw, C) window by
    #       kernels[:, :, :, f] and sum; add bias[f] to the whole map f.
    # TODO: apply ReLU after adding the bias when activation == "relu".
    raise NotImplementedError("conv2d_layer is not implemented yet")


def conv_output_shape(
    input_shape: tuple[int | None, int, int, int],
    filters: int,
    kernel_size: int | tuple[int, int],
    strides: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> tuple[int | None, int | None, int | None, int]:
    """The output shape of `keras.layers.Conv2D(filters, kernel_size, strides, padding)`.

    `input_shape` is `(N, H, W, C)` as a tuple; the batch size `N` may be `None` and stays as
    it is.

    Returns:
        the tuple `(N, H', W', filters)` of ints (and `None` where the input had `None`).

    Raises:
        ValueError: if `input_shape` does not have 4 entries, `filters`, the kernel size or a
            stride is not positive, for an unknown padding mode, or (with `"valid"`) a kernel
            larger than the input.

    The lecture's example, `Conv2D(filters=32, kernel_size=5, padding="valid")`:

    >>> conv_output_shape((1, 28, 28, 5), filters=32, kernel_size=5)
    (1, 24, 24, 32)
    >>> conv_output_shape((None, 28, 28, 1), 8, 3, strides=2, padding="same")
    (None, 14, 14, 8)
    """
    # TODO: check the arguments, turn kernel_size and strides into (height, width) pairs and
    #       apply the output length rule of the stride exercise to H and W.
    # TODO: the channel axis of the result is the number of filters.
    raise NotImplementedError("conv_output_shape is not implemented yet")


def pool_output_shape(
    input_shape: tuple[int | None, int, int, int],
    pool_size: int | tuple[int, int] = 2,
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> tuple[int | None, int | None, int | None, int]:
    """The output shape of `keras.layers.MaxPool2D(pool_size, strides, padding)`.

    `input_shape` is `(N, H, W, C)` as a tuple (`N` may be `None`); `strides=None` means the
    pool size, as in Keras.

    Returns:
        the tuple `(N, H', W', C)`: pooling keeps the number of channels.

    Raises:
        ValueError: if `input_shape` does not have 4 entries, a pool size or stride is not
            positive, for an unknown padding mode, or (with `"valid"`) a pool larger than the
            input.

    The lecture's example, `MaxPool2D((2, 2), strides=(2, 2))` after the Conv2D above:

    >>> pool_output_shape((1, 24, 24, 32), pool_size=(2, 2), strides=(2, 2))
    (1, 12, 12, 32)
    >>> pool_output_shape((None, 5, 5, 3), 2, padding="same")
    (None, 3, 3, 3)
    """
    # TODO: turn pool_size and strides into (height, width) pairs (strides defaults to the
    #       pool size), check them, and apply the output length rule to H and W.
    raise NotImplementedError("pool_output_shape is not implemented yet")


def cnn_forward(images: ArrayLike, weights: Sequence[ArrayLike]) -> np.ndarray:
    """The forward pass of `reference_model()` in NumPy, on `images (N, 28, 28, 1)`.

    `weights` is `reference_model().get_weights()`: six arrays, `[kernels1 (3, 3, 1, 8),
    bias1 (8,), kernels2 (3, 3, 8, 16), bias2 (16,), dense matrix (400, 10), dense bias (10,)]`.
    The network is Conv2D(8, 3, relu) -> MaxPool2D(2) -> Conv2D(16, 3, relu) -> MaxPool2D(2)
    -> Flatten -> Dense(10), without a softmax.

    Returns:
        the logits, a float array `(N, 10)` equal to `reference_model()(images)` with these
        weights.

    Raises:
        ValueError: if `images` is not 4D or `weights` does not hold six arrays.

    >>> model = reference_model()
    >>> cnn_forward(np.zeros((2, 28, 28, 1)), model.get_weights()).shape
    (2, 10)
    """
    # TODO: check images and unpack the six weight arrays in the order above.
    # TODO: for each image: conv2d_layer with ReLU, 2 x 2 max pooling with stride 2 ("valid"
    #       drops an odd last row/column: 26 -> 13, 11 -> 5), and the same again.
    # TODO: flatten each image's maps in (H, W, C) order, multiply by the dense matrix and add
    #       the dense bias.
    raise NotImplementedError("cnn_forward is not implemented yet")


def preprocess(images: ArrayLike) -> np.ndarray:
    """Prepare MNIST pixels for a CNN: `uint8 (N, 28, 28)` -> `float32 (N, 28, 28, 1)`.

    Pixel values are scaled from 0..255 into `[0, 1]`, and a channel axis is added at the end.
    The grader feeds your model with this function's output.

    Returns:
        a float32 array `(N, 28, 28, 1)` with values in `[0, 1]`.

    Raises:
        ValueError: if `images` is not 3D `(N, H, W)`.

    >>> batch = preprocess(np.array([[[0, 51, 255]]], dtype=np.uint8))
    >>> batch.shape, batch.dtype
    ((1, 1, 3, 1), dtype('float32'))
    >>> batch[..., 0]
    array([[[0. , 0.2, 1. ]]], dtype=float32)
    """
    # TODO: check that images has three dimensions.
    # TODO: convert to float32 before dividing by 255 (uint8 arithmetic wraps around), and
    #       add a channel axis at the end.
    raise NotImplementedError("preprocess is not implemented yet")


def build_cnn(
    input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10
) -> keras.Model:
    """Design your own CNN for handwritten digits: a feature extractor, then a classifier.

    The contract your model must meet:

    - at least two `Conv2D` layers and at least one pooling layer (the feature extractor);
    - then `Flatten` or `GlobalAveragePooling2D`, followed by `Dense` (the classifier);
    - input `input_shape`, output shape `(None, num_classes)`;
    - the final activation is softmax or none (logits); the grader picks `from_logits` to match;
    - at most 250,000 parameters (`model.count_params()`);
    - only built-in Keras layers (a custom layer is rejected);
    - any Keras style: `keras.Sequential`, the functional API, or a `keras.Model` subclass
      whose `call` passes the input through its layers (activations may be names or functions
      such as `tf.nn.relu`). The grader trains a fresh copy of that chain of layers, with new
      random weights: weights you load or set are replaced, and arithmetic between layers in
      `call` (`x / 255`) cannot be followed (use a layer, or `preprocess`).

    You do not train it yourself. The grader compiles and trains the returned model with a fixed
    recipe (Adam with learning rate 1e-3, sparse categorical cross-entropy, batch size 32, a
    fixed seed and a fixed number of epochs, on `preprocess`ed images) and then measures the
    accuracy on test images your code never sees. To pass, it needs at least 0.92 on the offline
    profile (4,000 training and 1,000 test digits, 3 epochs) and at least 0.98 on full MNIST
    (60,000 / 10,000, 2 epochs); `autograder data` tells which profile is used here.

    A head with `GlobalAveragePooling2D` has few parameters but learns slowly on 4,000 images:
    give such a model more channels, or it will not reach the threshold in the epoch budget.

    Returns:
        a `keras.Model`, not compiled or trained.

    >>> model = build_cnn()
    >>> model.output_shape
    (None, 10)
    """
    # TODO: start from keras.Input(shape=input_shape) and build the feature extractor: two or
    #       more Conv2D layers with ReLU, with pooling (e.g. MaxPool2D(2)) in between.
    # TODO: add the classifier: Flatten (or GlobalAveragePooling2D), then Dense(num_classes),
    #       and return the model without compiling or training it.
    raise NotImplementedError("build_cnn is not implemented yet")
