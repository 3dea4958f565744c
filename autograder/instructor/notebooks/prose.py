"""The notebooks' markdown: what each exercise teaches, how the notebook is graded, and the
line above each solution cell."""

from __future__ import annotations

from collections.abc import Sequence

from autograder.core.checks import Check
from autograder.instructor.notebooks.source import ModuleSource
from autograder.registry import Exercise

# What each exercise is about, in a few sentences of the notebook's own.
ABOUT = {
    "cross_correlation": (
        "A multilayer perceptron reads an image as one long vector, so it no longer knows which "
        "pixels are neighbours. To find small local patterns (an edge, a stroke, a curve) "
        "anywhere in an input, we slide a short pattern, the kernel, along it and measure at "
        "each place how well the piece underneath agrees with it: a dot product per position. "
        "In the lecture's example the kernel `(2 0 2 1)` slides over "
        "`(1 3 0 1 2 2 0 2 1 0 2 1)` and scores `(3 10 6 6 6 9 2 6 7)`; the peaks mark where the "
        "signal resembles the kernel most. Deep learning libraries call this operation a "
        "convolution, although a true convolution would reverse the kernel first."),
    "padding": (
        "When the kernel must stay inside the image, the border pixels are covered by fewer "
        "windows and each layer shrinks the map by `k - 1` per axis. Padding puts a frame of "
        "zeros around the input first, so the kernel may also sit on the border and the map "
        "keeps its size. Keras names the two choices `padding=\"valid\"` (no padding) and "
        "`padding=\"same\"` (zero padding), and TensorFlow has an exact rule for how many zeros "
        "go on each side."),
    "stride": (
        "The stride is the length of the kernel's step. At stride 1 it visits every position; "
        "at stride 2 it skips every other one and the map comes out about half as long on that "
        "axis. Together with the padding mode, the stride fixes the size of a convolutional "
        "layer's output."),
    "pooling": (
        "Convolutional layers tend to add feature maps; pooling layers make each map smaller by "
        "summarising a small window in one number, its maximum or its mean, usually moving by "
        "the window's own size. At the end of the feature extractor the remaining block of maps "
        "must become one vector for the classifier: flatten it, or average each map to a single "
        "value (global average pooling)."),
    "cnn": (
        "A convolutional layer applies many kernels to its input at once. Each kernel is as deep "
        "as the input, produces one feature map, shares its weights across all positions and "
        "adds one bias for the whole map before the activation (usually ReLU). A CNN stacks such "
        "layers with pooling layers into a feature extractor and puts a small dense classifier "
        "on top. Here you write that layer and a whole forward pass in NumPy, predict the shapes "
        "Keras layers produce, and design a Keras CNN that learns MNIST."),
}


def intro(info: Exercise, stub: ModuleSource, checks: Sequence[Check]) -> str:
    doc = stub.docstring()
    conventions = ""
    if "Conventions for this exercise:" in doc:
        conventions = doc.split("Conventions for this exercise:", 1)[1]
        conventions = conventions.split("\nRun the checks", 1)[0].strip()
    rows = "\n".join(f"| `{c.id}` | {c.title} | {c.points} |" for c in checks)
    total = sum(c.points for c in checks)
    slides = ", ".join(f'"{s}"' for s in info.slides)
    return f"""# {info.title}

{ABOUT.get(info.name, "")}

This notebook follows the slides {slides} of the unit "Convolutional Neural Networks".

## Conventions

{conventions}

## How this notebook is graded

Fill in the body of every function where it says `# YOUR CODE HERE` (remove the
`raise NotImplementedError()`), then run all cells from the top. Each locked test cell below a
function calls it on fixed inputs and compares the result with the kit's expected value. When
your notebook is graded, the test cells also run hidden random cases of the same function: if
one of them fails, that function's test cells earn nothing, so make each function work for any
valid input, not only for the cases shown. Hidden cases of bad arguments, which must raise
`ValueError`, cost only the function's test cells of bad arguments (or, where it has none, its
cheapest test cell). Total: {total} points.

| test | what it checks | points |
|---|---|---|
{rows}

*Hint:* {info.hint}
"""



REFERENCE_MODEL = "The model that `cnn_forward` reproduces is given (read-only): run its cell."


def function_intro(function: str, stub: ModuleSource, checks: Sequence[Check]) -> str:
    """The markdown above a function's solution cell: its signature, summary and test cells."""
    points = sum(c.points for c in checks)
    return (f"### `{stub.signature(function)}`\n\n"
            f"{stub.summary(function)}\n\nWrite the body in the next cell. "
            f"{len(checks)} test cell(s) follow it, {points} point(s) in all.")
