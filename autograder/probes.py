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

from autograder.calls import Call, Outcome, error_outcome, invoke

LEARNING_RATE = 1e-3
BATCH_SIZE = 32


def run(module: ModuleType, call: Call) -> Outcome:
    probe = {"model": _describe_call, "mnist": _train_call}.get(call.mode)
    if probe is None:
        return Outcome(error=f"ValueError: unknown call mode {call.mode!r}",
                       error_types=("ValueError",))
    try:
        return probe(module, call)
    except (Exception, SystemExit) as error:
        return error_outcome(error)


def _layers(model: Any) -> list[Any]:
    """Every layer, nested models unrolled."""
    import keras

    found = []
    for layer in model.layers:
        found += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return {"Softmax": "softmax", "ReLU": "relu"}.get(type(layer).__name__)
    return getattr(activation, "__name__", str(activation))


def describe_model(model: Any) -> dict[str, Any]:
    """Plain facts about what build_cnn() returned."""
    import keras

    facts: dict[str, Any] = {"type": f"{type(model).__module__}.{type(model).__qualname__}",
                             "is_model": isinstance(model, keras.Model)}
    if not facts["is_model"]:
        return facts
    layers = _layers(model)
    facts["layers"] = [
        {"class": type(layer).__name__,
         "builtin": type(layer).__module__.startswith("keras."),
         "activation": _activation_name(layer)}
        for layer in layers
    ]
    try:
        facts["input_shape"] = list(model.input_shape)
        facts["output_shape"] = list(model.output_shape)
        facts["params"] = int(model.count_params())
    except Exception as error:  # an unbuilt Sequential has no shapes yet
        facts["build_error"] = f"{type(error).__name__}: {error}"[:300]
    # The activation that produces the output: the last layer that has one, if it is not linear.
    last = [a for a in (layer["activation"] for layer in facts["layers"]) if a is not None]
    facts["final_activation"] = last[-1] if last else "linear"
    return facts


def _describe_call(module: ModuleType, call: Call) -> Outcome:
    function: Callable[..., Any] = getattr(module, call.function)
    holder: dict[str, Any] = {}

    def build_and_describe(*args: Any, **kwargs: Any) -> str:
        holder["facts"] = describe_model(function(*args, **kwargs))
        return "described"

    outcome = invoke(build_and_describe, Call(call.function, call.args, call.kwargs))
    if outcome.raised:
        return outcome
    return Outcome(type_name=holder["facts"]["type"], data=holder["facts"])


def _train_call(module: ModuleType, call: Call) -> Outcome:
    """Build the student's model, predict untrained, train with the fixed recipe, predict."""
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing warnings are ours, not the student's concern
    kwargs = dict(call.kwargs)
    started = time.perf_counter()
    keras.utils.set_random_seed(int(kwargs["seed"]))
    model = module.build_cnn()
    facts = describe_model(model)
    if not facts["is_model"]:
        return Outcome(type_name=facts["type"], data=facts)
    x_train = np.asarray(module.preprocess(np.array(kwargs["x_train"])))
    x_test = np.asarray(module.preprocess(np.array(kwargs["x_test"])))

    def predict() -> np.ndarray:
        scores = np.asarray(model.predict(x_test, batch_size=256, verbose=0))
        return scores.reshape(len(x_test), -1).argmax(axis=1)

    untrained = predict()
    from_logits = facts.get("final_activation") != "softmax"
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    model.fit(x_train, np.asarray(kwargs["y_train"]), batch_size=BATCH_SIZE,
              epochs=int(kwargs["epochs"]), shuffle=True, verbose=0)
    trained = predict()
    facts.update(from_logits=from_logits, seconds=round(time.perf_counter() - started, 2))
    return Outcome(type_name=facts["type"], is_ndarray=True,
                   array=np.stack([untrained, trained]).astype(np.int64), data=facts)
