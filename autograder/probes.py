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


def run(module: ModuleType, call: Call, *, train: bool = True) -> Outcome:
    """Run a probe call. `train=False` (in the sandbox) stops the MNIST check after the
    student's side: the grader trains elsewhere, without student code."""
    from autograder.tfquiet import tensorflow

    tensorflow()
    probe = {"model": _describe_call, "mnist": _train_call if train else submit_mnist}.get(call.mode)
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


def submit_mnist(module: ModuleType, call: Call) -> Outcome:
    """The student's side of the MNIST check (runs with the student's code).

    It returns the model's architecture as Keras JSON and the student's preprocessing of every
    image; the grader checks the preprocessing and trains a fresh model from the architecture
    in a process without student code, so neither the training nor the predictions can be
    tampered with.
    """
    import keras

    kwargs = dict(call.kwargs)
    keras.utils.set_random_seed(int(kwargs["seed"]))
    model = module.build_cnn()
    facts = describe_model(model)
    if not facts["is_model"]:
        return Outcome(type_name=facts["type"], data=facts)
    facts["config"] = model.to_json()
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


def _config_classes(node: Any) -> set[str]:
    """`module.Class` of every serialized object in a Keras model config."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "class_name" in node:
            custom = node.get("registered_name")
            found.add(str(custom) if custom else f"{node.get('module')}.{node['class_name']}")
        for value in node.values():
            found |= _config_classes(value)
    elif isinstance(node, list):
        for value in node:
            found |= _config_classes(value)
    return found


def _allowed_config_class(name: str) -> bool:
    from autograder.registry import ALLOWED_KERAS_LAYERS

    module, _, cls = name.rpartition(".")
    if module == "keras.layers":
        return cls in ALLOWED_KERAS_LAYERS
    if module == "keras":
        return cls in ("Sequential", "Functional", "DTypePolicy")
    return module in ("keras.initializers", "keras.regularizers", "keras.constraints")


def _model_from_config(config: str) -> Any:
    """Rebuild a model from its JSON, accepting built-in layers only (no code can come in)."""
    import json

    import keras

    from autograder.registry import MAX_PARAMETERS

    foreign = sorted(c for c in _config_classes(json.loads(config)) if not _allowed_config_class(c))
    if foreign:
        raise ValueError(f"the model uses objects outside the allowed built-in layers: "
                         f"{', '.join(foreign)}")
    model = keras.models.model_from_json(config)  # safe_mode: no lambdas, no custom objects
    if model.count_params() > MAX_PARAMETERS:
        raise ValueError(f"the model has {model.count_params():,} parameters, more than "
                         f"{MAX_PARAMETERS:,}")
    return model


def train_from_config(config: str, *, x_train: np.ndarray, y_train: np.ndarray,
                      x_test: np.ndarray, epochs: int, seed: int) -> Outcome:
    """The grader's side (no student code): a fresh model from the architecture, predicted on
    the test images before and after the fixed training recipe."""
    import keras

    from autograder.tfquiet import tensorflow

    tensorflow()
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    try:
        model = _model_from_config(config)
    except Exception as error:
        return error_outcome(error)
    facts = describe_model(model)
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
    return Outcome(type_name=facts["type"], is_ndarray=True,
                   array=np.stack([untrained, predict()]).astype(np.int64), data=facts)


def _train_call(module: ModuleType, call: Call) -> Outcome:
    """In-process (the student loop): both sides of the MNIST check, one after the other."""
    submitted = submit_mnist(module, call)
    if submitted.raised or not (submitted.data or {}).get("is_model"):
        return submitted
    kwargs = dict(call.kwargs)
    images = np.concatenate([np.asarray(kwargs["x_train"]), np.asarray(kwargs["x_test"])])
    problem = preprocess_problem(submitted.array, images)
    if problem:
        return Outcome(type_name=submitted.type_name, data={**(submitted.data or {}),
                                                            "preprocess_problem": problem})
    return train_from_config(str((submitted.data or {})["config"]),
                             x_train=np.asarray(kwargs["x_train"]),
                             y_train=np.asarray(kwargs["y_train"]),
                             x_test=np.asarray(kwargs["x_test"]), epochs=int(kwargs["epochs"]),
                             seed=int(kwargs["seed"]))
