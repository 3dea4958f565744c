"""The model `build_cnn()` returned, as plain data, and a fresh model built back from it.

`describe` runs with the student's code, in the sandbox. It runs the model once on a small
batch, records every built-in layer call, and traces each layer's input back to the model's
input or to an earlier layer's output. Any Keras style gives the same chain this way:
`Sequential` (with `keras.Input` or `input_shape=`), the functional API, nested models, and a
subclassed `keras.Model` whose `call` chains layers. An activation applied between layers
(`tf.nn.relu(x)`) becomes an `Activation` node, and an activation given as a function
(`activation=tf.nn.relu`) becomes its Keras name. The spec is then rebuilt with the model's own
weights and must compute what the model computes: whatever `call` does, the spec is only
accepted when it is the same function.

`rebuild` runs in the grader, without student code. It accepts built-in layers, short literal
settings, standard random initializers and Keras activation names, nothing else, and builds a
functional model whose weights are all freshly drawn: the model arrives untrained by
construction, whatever the student's model carried (a `Constant` initializer holding values,
weights set by hand or loaded).

Spec: {"input_shape": [h, w, c], "nodes": [{"class", "config", "input"}], "output": i};
`input` is the index of an earlier node, or -1 for the model's input.

The nbgrader notebooks copy this module's functions into their setup cell
(`autograder.instructor.notebooks.model_setup`), so a notebook decides as the grader does: keep them
plain functions of module-level names.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograder.registry import ALLOWED_KERAS_LAYERS, MAX_PARAMETERS

# Keras activation names a spec may use; functions equal to one of them are read as it.
ACTIVATIONS = ("linear", "relu", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus",
               "softsign", "silu", "gelu", "relu6", "leaky_relu", "exponential",
               "hard_sigmoid", "log_softmax", "mish")
# Initializers that draw fresh values (their seed is the grader's): anything else is replaced.
FRESH_INITIALIZERS = ("GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
                      "LecunUniform", "Zeros", "Ones", "RandomNormal", "RandomUniform",
                      "TruncatedNormal", "Orthogonal", "OrthogonalInitializer", "VarianceScaling")
REGULARIZERS = ("L1", "L2", "L1L2", "OrthogonalRegularizer")
CONSTRAINTS = ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm")
MAX_NODES = 200
MAX_LIST = 4  # kernel sizes, strides, target shapes: a longer list of numbers carries data
_TRACE_BATCH = 2


class Untraceable(ValueError):
    """The model cannot be graded safely; the message says why and what to change."""


# --- the student's side ------------------------------------------------------------------------


def model_facts(model: Any, input_shape: tuple[int, ...] = (28, 28, 1)) -> dict[str, Any]:
    """Plain facts about what build_cnn() returned, from its traced layer chain: the chain
    itself as `spec` (JSON), the layers, shapes and size of the model the grader would train,
    and notes on what the trace replaced; `trace_error` where it cannot be graded."""
    import json

    import keras

    facts: dict[str, Any] = {"type": f"{type(model).__module__}.{type(model).__qualname__}",
                             "is_model": isinstance(model, keras.Model)}
    if not facts["is_model"]:
        return facts
    try:
        spec, notes = describe(model, input_shape)
        rebuilt = rebuild(spec, limit=False)
    except Untraceable as error:
        return {**facts, **_fallback_facts(model), "trace_error": str(error)}
    except Exception as error:  # the student's model failed to run on a batch of images
        return {**facts, **_fallback_facts(model), "trace_error": (
            f"running the model on a batch of {tuple(input_shape)} images raised "
            f"{type(error).__name__}: {error}"[:400])}
    layers = spec_layers(spec)
    return {**facts, "spec": json.dumps(spec), "notes": notes, "layers": layers,
            "input_shape": [None, *spec["input_shape"]],
            "output_shape": [None, *rebuilt.output_shape[1:]],
            "params": int(rebuilt.count_params()), "final_activation": final_activation(layers)}


def _layers(model: Any) -> list[Any]:
    """Every layer, nested models unrolled (the fallback facts)."""
    import keras

    found = []
    for layer in model.layers:
        found += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def _fallback_facts(model: Any) -> dict[str, Any]:
    """What can be said of a model whose layer chain could not be traced."""
    facts: dict[str, Any] = {}
    try:
        facts["layers"] = [{"class": type(layer).__name__,
                            "builtin": type(layer).__module__.startswith("keras."),
                            "activation": getattr(getattr(layer, "activation", None),
                                                  "__name__", None)}
                           for layer in _layers(model)]
        facts["final_activation"] = final_activation(facts["layers"])
        facts["input_shape"] = list(model.input_shape)
        facts["output_shape"] = list(model.output_shape)
        facts["params"] = int(model.count_params())
    except Exception as error:  # an unbuilt or subclassed model has no shapes of its own
        facts["build_error"] = f"{type(error).__name__}: {error}"[:300]
    return facts


def final_activation(layers: list[dict[str, Any]]) -> str:
    """The activation that produces the output: the last layer's that has one."""
    last = [a for a in (layer["activation"] for layer in layers) if a is not None]
    return last[-1] if last else "linear"


def describe(model: Any, input_shape: tuple[int, ...]) -> tuple[dict[str, Any], list[str]]:
    """(spec, notes) of `model`, a keras.Model, run on a batch of `input_shape` images (the
    model's own input shape wins where it has one). Untraceable says why it cannot be graded."""
    import keras

    shape = _own_input_shape(model) or tuple(int(n) for n in input_shape)
    x = keras.ops.convert_to_tensor(
        np.random.default_rng(0).uniform(size=(_TRACE_BATCH, *shape)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's advice on lambdas and input_shape= is not ours
        model(x, training=False)  # builds the layers; the traced run below is the second call
        with _recording() as records:
            output = model(x, training=False)
    notes: list[str] = []
    known: list[tuple[int, Any, np.ndarray]] = [(-1, x, np.asarray(x))]
    nodes: list[dict[str, Any]] = []
    layers: list[Any] = []  # the layer behind each node (None for an activation between layers)
    names: set[str] = set()

    def attach(tensor: Any, what: str) -> int:
        index, activation = _source(tensor, known, what)
        if activation is None:
            return index
        nodes.append({"class": "Activation", "input": index,
                      "config": {"name": _unique(f"{activation}_between_layers", names),
                                 "activation": activation}})
        layers.append(None)
        notes.append(f"the {activation} applied to the output of "
                     f"{_node_name(nodes, index)} is graded as an Activation layer")
        return len(nodes) - 1

    for layer, tensor, result in records:
        index = attach(tensor, f"layer {layer.name!r}")
        nodes.append({"class": _builtin_class(layer), "input": index,
                      "config": _clean_config(layer, names, notes)})
        layers.append(layer)
        known.append((len(nodes) - 1, result, np.asarray(result)))
    out = attach(output, "the model's output")
    if out < 0:
        raise Untraceable("the model's output is its input: it has no layers to grade")
    spec, kept = _pruned({"input_shape": list(shape), "nodes": nodes, "output": out})
    _verify(spec, [layers[i] for i in kept], x, np.asarray(output))
    weighted = [id(layer) for layer, _, _ in records if layer.weights]
    if len(weighted) > len(set(weighted)):
        notes.append("a layer called more than once is graded as separate layers with weights "
                     "of their own")
    return spec, notes


def _own_input_shape(model: Any) -> tuple[int, ...] | None:
    try:
        shape = tuple(model.input_shape)[1:]
    except (AttributeError, ValueError, TypeError):  # a subclassed or unbuilt model has none
        return None
    return tuple(int(n) for n in shape) if shape and all(n for n in shape) else None


@contextmanager
def _recording() -> Iterator[list[tuple[Any, Any, Any]]]:
    """Every call of a layer that sits directly in a model (not inside another layer), as
    (layer, its input, its output), in call order; the tensors are kept so ids stay unique."""
    import keras

    records: list[tuple[Any, Any, Any]] = []
    stack: list[Any] = []
    original = keras.layers.Layer.__call__

    def recorded(layer: Any, *args: Any, **kwargs: Any) -> Any:
        inside_layer = bool(stack) and not isinstance(stack[-1], keras.Model)
        stack.append(layer)
        try:
            result = original(layer, *args, **kwargs)
        finally:
            stack.pop()
        if not inside_layer and not isinstance(layer, keras.Model):
            records.append((layer, args[0] if args else kwargs.get("inputs"), result))
        return result

    keras.layers.Layer.__call__ = recorded
    try:
        yield records
    finally:
        keras.layers.Layer.__call__ = original


def _source(tensor: Any, known: list[tuple[int, Any, np.ndarray]],
            what: str) -> tuple[int, str | None]:
    """(node index, activation applied on the way or None) that `tensor` came from: the same
    object, else the same values, else a known activation of an earlier tensor's values."""
    for index, obj, _ in reversed(known):
        if tensor is obj:
            return index, None
    try:
        value = np.asarray(tensor)
    except Exception:
        value = None
    if value is not None and value.dtype.kind == "f":
        for index, _, earlier in reversed(known):
            if earlier.shape == value.shape and np.array_equal(earlier, value):
                return index, None
        for index, _, earlier in reversed(known):
            if earlier.shape == value.shape:
                for name in ACTIVATIONS[1:]:
                    if name in ("softmax", "log_softmax") and value.shape[-1] == 1:
                        continue  # constant over a single channel: it would match anything
                    if np.allclose(_apply(name, earlier), value, rtol=1e-5, atol=1e-6):
                        return index, name
    raise Untraceable(
        f"the input of {what} is computed by something that is not a Keras layer (an operation "
        "in call() such as tf.reshape, x / 255 or a custom function). The kit trains a copy of "
        "your model built from its layers alone: do that step with a built-in layer (Reshape, "
        "Rescaling, Activation, ...) or move it into preprocess()")


def _apply(name: str, value: np.ndarray) -> np.ndarray:
    import keras

    return np.asarray(keras.activations.get(name)(keras.ops.convert_to_tensor(value)))


def _activation_name(function: Any, where: str) -> str:
    """The Keras name of an activation given as a name or a function (tf.nn.relu,
    tf.math.sigmoid, keras.activations.softmax, a lambda computing one of them)."""
    import keras

    if function is None:
        return "linear"
    for name in ACTIVATIONS:
        if function is keras.activations.get(name):
            return name
    probe = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
    try:
        value = np.asarray(function(keras.ops.convert_to_tensor(probe)))
    except Exception:
        value = None
    if value is not None and value.shape == probe.shape:
        for name in ACTIVATIONS:
            if np.allclose(_apply(name, probe), value, rtol=1e-5, atol=1e-6):
                return name
    label = getattr(function, "__name__", type(function).__name__)
    raise Untraceable(f"the activation of {where} ({label}) is not one Keras knows: use one of "
                      f"{', '.join(repr(a) for a in ACTIVATIONS)} (a name or the tf.nn/"
                      "tf.math/keras.activations function)")


def _builtin_class(layer: Any) -> str:
    import keras

    cls = type(layer)
    name = cls.__name__
    if getattr(keras.layers, name, None) is not cls:
        raise Untraceable(f"layer {layer.name!r} is a class of your own ({name}); the kit grades "
                          f"models made of built-in Keras layers: {', '.join(ALLOWED_KERAS_LAYERS)}")
    if name not in ALLOWED_KERAS_LAYERS:
        raise Untraceable(f"layer {layer.name!r} is a {name}, which is not among the layers "
                          f"build_cnn() may use: {', '.join(ALLOWED_KERAS_LAYERS)}")
    return name


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _node_name(nodes: list[dict[str, Any]], index: int) -> str:
    return "the model's input" if index < 0 else repr(nodes[index]["config"]["name"])


def _default(layer: Any, key: str) -> Any:
    parameter = inspect.signature(type(layer).__init__).parameters.get(key)
    return None if parameter is None else parameter.default


def _clean_config(layer: Any, names: set[str], notes: list[str]) -> dict[str, Any]:
    """The layer's settings as the grader will rebuild them: activations by name, fresh
    initializers only, no dtype policy; what was replaced or dropped is noted."""
    config = dict(layer.get_config())
    name = config["name"] = _unique(str(config.get("name") or layer.name), names)
    config.pop("dtype", None)  # the grader trains in float32
    for key in list(config):
        value = config[key]
        if key == "activation":
            config[key] = _activation_name(getattr(layer, "activation", None),
                                           f"layer {name!r}")
        elif key.endswith("_initializer") and value is not None:
            kind = value.get("class_name") if isinstance(value, dict) else None
            if kind in FRESH_INITIALIZERS and isinstance(value.get("config"), dict):
                config[key] = {**value, "config": {**value["config"], "seed": None}}
                config[key].pop("registered_name", None)
                if "seed" not in value["config"]:
                    config[key]["config"].pop("seed")
            else:
                config[key] = _default(layer, key)
                notes.append(f"the {key} of {name!r} ({kind or type(value).__name__}) is replaced "
                             f"by Keras's default ({config[key]}): the grader trains every "
                             "layer from freshly drawn weights")
        elif isinstance(value, dict) and not _allowed_object(key, value):
            config[key] = None
            notes.append(f"the {key} of {name!r} ({value.get('class_name')}) is dropped: "
                         "the grader keeps only standard regularizers and constraints")
        elif _numbers_in(value) > MAX_LIST:
            raise Untraceable(f"the setting {key} of layer {name!r} holds {_numbers_in(value)} "
                              "numbers; layer settings are sizes and rates, not data")
    return config


def _numbers_in(value: Any) -> int:
    if isinstance(value, (list, tuple)):
        return sum(_numbers_in(v) for v in value) or len(value)
    return 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _pruned(spec: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """Only the nodes the output depends on, renumbered (a layer called but not used is not
    part of the model), and the old index of each node kept."""
    nodes = spec["nodes"]
    needed: set[int] = set()
    index = spec["output"]
    stack = [index]
    while stack:
        i = stack.pop()
        if i >= 0 and i not in needed:
            needed.add(i)
            stack.append(nodes[i]["input"])
    order = sorted(needed)
    renumber = {old: new for new, old in enumerate(order)} | {-1: -1}
    kept = [{**nodes[i], "input": renumber[nodes[i]["input"]]} for i in order]
    return {**spec, "nodes": kept, "output": renumber[index]}, order


def _verify(spec: dict[str, Any], layers: list[Any], x: Any, expected: np.ndarray) -> None:
    """The rebuilt model, given the student's weights, must compute the student's model."""
    rebuilt = rebuild(spec, limit=False)
    for node, layer in zip(spec["nodes"], layers, strict=True):
        if layer is not None:
            rebuilt.get_layer(node["config"]["name"]).set_weights(layer.get_weights())
    got = np.asarray(rebuilt(x, training=False))
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise Untraceable(
            "a copy of your model built from its layers, with your model's weights, computes "
            "something else than your model: call() must only pass the input through built-in "
            "layers (and activations), in the order it calls them")


# --- the grader's side (no student code) --------------------------------------------------------


def _allowed_object(key: str, value: Any) -> bool:
    """A serialized Keras object a spec may hold under `key`."""
    if not isinstance(value, dict) or set(value) - {"module", "class_name", "config",
                                                    "registered_name"}:
        return False
    kind, config = value.get("class_name"), value.get("config")
    if value.get("registered_name") not in (None, kind) or not isinstance(config, dict):
        return False
    if key.endswith("_initializer") and config.get("seed") is not None:
        return False
    kinds = {"_initializer": ("keras.initializers", FRESH_INITIALIZERS),
             "_regularizer": ("keras.regularizers", REGULARIZERS),
             "_constraint": ("keras.constraints", CONSTRAINTS)}
    module, allowed = next((kinds[end] for end in kinds if key.endswith(end)), ("", ()))
    return (kind in allowed and value.get("module") == module
            and all(_plain_setting(v) for v in config.values()))


def _plain_setting(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, str) or len(value) <= 64
    if isinstance(value, (list, tuple)):
        return _numbers_in(value) <= MAX_LIST and all(_plain_setting(v) for v in value)
    return False


def check_spec(spec: Any) -> None:
    """ValueError unless `spec` is a well-formed chain of allowed built-in layers whose
    settings are short literals, fresh initializers and Keras activation names."""
    if not isinstance(spec, dict) or set(spec) != {"input_shape", "nodes", "output"}:
        raise ValueError("the model description is malformed")
    shape, nodes, output = spec["input_shape"], spec["nodes"], spec["output"]
    if (not isinstance(shape, list) or not 1 <= len(shape) <= 3
            or not all(isinstance(n, int) and 0 < n <= 512 for n in shape)):
        raise ValueError("the model description has a malformed input shape")
    if not isinstance(nodes, list) or not 0 < len(nodes) <= MAX_NODES:
        raise ValueError(f"the model must have between 1 and {MAX_NODES} layers")
    if not isinstance(output, int) or not 0 <= output < len(nodes):
        raise ValueError("the model description has a malformed output")
    for i, node in enumerate(nodes):
        if (not isinstance(node, dict) or set(node) != {"class", "config", "input"}
                or not isinstance(node["input"], int) or not -1 <= node["input"] < i
                or not isinstance(node["config"], dict)):
            raise ValueError(f"layer {i} of the model description is malformed")
        if node["class"] not in ALLOWED_KERAS_LAYERS or node["class"] == "InputLayer":
            raise ValueError(f"the model uses objects outside the allowed built-in layers: "
                             f"{str(node['class'])[:60]}")
        for key, value in node["config"].items():
            if key == "activation" and value not in ACTIVATIONS:
                raise ValueError(f"layer {i} has an activation Keras does not name: "
                                 f"{str(value)[:60]}")
            if key == "weights" or not (_plain_setting(value) or _allowed_object(key, value)):
                raise ValueError(f"the setting {str(key)[:40]} of layer {i} is not allowed in "
                                 "a model the grader trains")


def rebuild(spec: dict[str, Any], *, limit: bool = True) -> Any:
    """A functional keras.Model of fresh built-in layers from a checked spec; `limit`: refuse
    one with more parameters than build_cnn() may have."""
    import keras

    check_spec(spec)
    inputs = keras.Input(shape=tuple(spec["input_shape"]))
    tensors: list[Any] = []
    for node in spec["nodes"]:
        layer = keras.layers.deserialize({"module": "keras.layers", "class_name": node["class"],
                                          "config": node["config"], "registered_name": None})
        source = inputs if node["input"] < 0 else tensors[node["input"]]
        tensors.append(layer(source))
    model = keras.Model(inputs, tensors[spec["output"]])
    if limit and model.count_params() > MAX_PARAMETERS:
        raise ValueError(f"the model has {model.count_params():,} parameters, more than "
                         f"{MAX_PARAMETERS:,}")
    return model


def spec_layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts the structure checks read, one entry per layer in call order."""
    facts = []
    for node in spec["nodes"]:
        cls, config = node["class"], node["config"]
        activation = config.get("activation")
        if activation is None:
            activation = {"Softmax": "softmax", "ReLU": "relu"}.get(cls)
        facts.append({"class": cls, "builtin": True, "activation": activation})
    return facts
