"""Child-side probes of the student's Keras model: describe its structure, and train it with
the grader's fixed recipe. Both return plain data (an Outcome); the verdict is made elsewhere,
from that data, and the test labels never reach this code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from autograder.core.calls import Call, Outcome, error_outcome, invoke

LEARNING_RATE = 1e-3
BATCH_SIZE = 32


def run(module: ModuleType, call: Call, *, train: bool = True) -> Outcome:
    """Run a probe call. `train=False` (in the sandbox) stops the MNIST check after the
    student's side: the grader trains elsewhere, without student code."""
    from autograder.core.tfquiet import tensorflow

    tensorflow()
    probe = {"model": _describe_call, "mnist": _train_call if train else submit_mnist}.get(call.mode)
    if probe is None:
        return Outcome(error=f"ValueError: unknown call mode {call.mode!r}",
                       error_types=("ValueError",))
    try:
        return probe(module, call)
    except (Exception, SystemExit) as error:
        return error_outcome(error)


def describe_model(model: Any, input_shape: tuple[int, ...] = (28, 28, 1)) -> dict[str, Any]:
    """Plain facts about what build_cnn() returned (`autograder.core.modelspec.model_facts`)."""
    from autograder.core.modelspec import model_facts

    return model_facts(model, input_shape)


def _describe_call(module: ModuleType, call: Call) -> Outcome:
    function: Callable[..., Any] = getattr(module, call.function)
    holder: dict[str, Any] = {}

    def build_and_describe(*args: Any, **kwargs: Any) -> str:
        shape = kwargs.get("input_shape", args[0] if args else (28, 28, 1))
        holder["facts"] = describe_model(function(*args, **kwargs), tuple(shape))
        return "described"

    outcome = invoke(build_and_describe, Call(call.function, call.args, call.kwargs))
    if outcome.raised:
        return outcome
    return Outcome(type_name=holder["facts"]["type"], data=holder["facts"])


def submit_mnist(module: ModuleType, call: Call) -> Outcome:
    """The student's side of the MNIST check (runs with the student's code).

    It returns the model's traced layer chain (`autograder.core.modelspec`) and the student's
    preprocessing of every image; the grader checks the preprocessing and trains a fresh model
    from the chain in a process without student code, so neither the training nor the predictions can be
    tampered with.
    """
    import keras

    kwargs = dict(call.kwargs)
    keras.utils.set_random_seed(int(kwargs["seed"]))
    model = module.build_cnn()
    facts = describe_model(model)
    if not facts["is_model"] or "trace_error" in facts:
        return Outcome(type_name=facts["type"], data=facts)
    images = np.concatenate([np.asarray(kwargs["x_train"]), np.asarray(kwargs["x_test"])])
    preprocessed = np.asarray(module.preprocess(images))
    return Outcome(type_name=facts["type"], is_ndarray=True, array=preprocessed, data=facts)


def preprocess_problem(preprocessed: np.ndarray | None, images: np.ndarray) -> str | None:
    """Why the student's preprocessing of the grading images is unusable, or None."""
    want = (len(images), 28, 28, 1)
    if preprocessed is None or preprocessed.shape != want:
        shape = None if preprocessed is None else preprocessed.shape
        return f"preprocess() returned shape {shape} for {len(images)} images, expected {want}"
    expected = images.astype(np.float32)[..., np.newaxis] / np.float32(255)
    if not np.allclose(preprocessed, expected, rtol=0, atol=1e-6):
        return "preprocess() does not map the grading images to pixels / 255"
    return None


def train_from_spec(spec: str, *, x_train: np.ndarray, y_train: np.ndarray,
                    x_test: np.ndarray, epochs: int, seed: int) -> Outcome:
    """The grader's side (no student code): a model of fresh built-in layers from the traced
    chain, predicted on the test images before and after the fixed training recipe."""
    import json

    import keras

    from autograder.core import modelspec
    from autograder.core.tfquiet import tensorflow

    tensorflow()
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    try:
        chain = json.loads(spec)
        model = modelspec.rebuild(chain)
    except Exception as error:
        return error_outcome(error)
    layers = modelspec.spec_layers(chain)
    facts: dict[str, Any] = {"type": "keras.Model", "is_model": True, "layers": layers,
                             "params": int(model.count_params()),
                             "final_activation": modelspec.final_activation(layers)}
    train = x_train.astype(np.float32)[..., np.newaxis] / np.float32(255)
    test = x_test.astype(np.float32)[..., np.newaxis] / np.float32(255)

    def predict() -> np.ndarray:
        scores = np.asarray(model.predict(test, batch_size=256, verbose=0))
        return scores.reshape(len(test), -1).argmax(axis=1)

    untrained = predict()
    from_logits = facts.get("final_activation") != "softmax"
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    model.fit(train, y_train, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True, verbose=0)
    facts.update(from_logits=from_logits, seconds=round(time.perf_counter() - started, 2))
    insight = first_layer(model, test[:1])
    if insight:
        facts["insight"] = {**insight, "digit": x_test[0].astype(int).tolist()}
    return Outcome(type_name=facts["type"], is_ndarray=True,
                   array=np.stack([untrained, predict()]).astype(np.int64), data=facts)


MAX_SHOWN_FILTERS = 16  # the first layer's kernels and feature maps the feedback shows


def first_layer(model: Any, image: np.ndarray) -> dict[str, Any] | None:
    """What the trained model's first Conv2D learned, for the student's feedback: its kernels
    on the first input channel `(kh, kw, F)` and the feature maps it makes of `image` (one test
    digit, `(1, 28, 28, 1)`) `(H', W', F)`, at most MAX_SHOWN_FILTERS of each, rounded. None
    when the model has no Conv2D or the maps cannot be read off it."""
    import keras

    conv = next((layer for layer in model.layers if type(layer).__name__ == "Conv2D"), None)
    if conv is None:
        return None
    try:
        kernels = np.asarray(conv.get_weights()[0])[:, :, 0, :MAX_SHOWN_FILTERS]
        maps = np.asarray(keras.Model(model.inputs, conv.output)(image))[0][..., :MAX_SHOWN_FILTERS]
    except Exception:  # a graph the sub-model cannot be cut from: no pictures, still a grade
        return None
    return {"kernels": kernels.astype(np.float64).round(4).tolist(),
            "feature_maps": maps.astype(np.float64).round(4).tolist()}


def _train_call(module: ModuleType, call: Call) -> Outcome:
    """In-process (the student loop): both sides of the MNIST check, one after the other."""
    submitted = submit_mnist(module, call)
    facts = submitted.data or {}
    if submitted.raised or not facts.get("is_model") or "trace_error" in facts:
        return submitted
    kwargs = dict(call.kwargs)
    images = np.concatenate([np.asarray(kwargs["x_train"]), np.asarray(kwargs["x_test"])])
    problem = preprocess_problem(submitted.array, images)
    if problem:
        return Outcome(type_name=submitted.type_name, data={**(submitted.data or {}),
                                                            "preprocess_problem": problem})
    return train_from_spec(str((submitted.data or {})["spec"]),
                             x_train=np.asarray(kwargs["x_train"]),
                             y_train=np.asarray(kwargs["y_train"]),
                             x_test=np.asarray(kwargs["x_test"]), epochs=int(kwargs["epochs"]),
                             seed=int(kwargs["seed"]))
