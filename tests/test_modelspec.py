"""The traced layer chain of build_cnn()'s model: every Keras style the course uses gives the
same chain, the rebuilt model computes what the student's model computes, nothing that carries
parameters survives into the model the grader trains, and a forged description is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograder.core import modelspec

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402  (after TensorFlow, which provides it)

SHAPE = (28, 28, 1)
CHAIN = ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
L = keras.layers


def sequential_with_input() -> Any:
    return keras.Sequential([keras.Input(SHAPE), L.Conv2D(8, 3, activation="relu"),
                             L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"),
                             L.MaxPooling2D(), L.Flatten(), L.Dense(10)])


def sequential_lecture_style() -> Any:
    """input_shape= on the first layer and activations given as TensorFlow functions."""
    return tf.keras.Sequential([
        tf.keras.layers.Conv2D(8, 3, activation=tf.math.sigmoid, input_shape=SHAPE),
        tf.keras.layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2)),
        tf.keras.layers.Conv2D(16, 3, activation=tf.nn.relu), tf.keras.layers.MaxPool2D(),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(10, activation=tf.nn.softmax)])


def functional() -> Any:
    inputs = keras.Input(shape=SHAPE)
    x = L.MaxPooling2D()(L.Conv2D(8, 3, activation="relu")(inputs))
    x = L.MaxPooling2D()(L.Conv2D(16, 3, activation="relu")(x))
    return keras.Model(inputs, L.Dense(10)(L.Flatten()(x)))


class Subclassed(tf.keras.Model):
    """The course's favourite: layers made in __init__, chained in call, tf.nn in between."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(8, 3, activation=tf.nn.relu)
        self.conv2 = tf.keras.layers.Conv2D(16, 3)
        self.pool = tf.keras.layers.MaxPool2D()  # one pooling layer, used twice
        self.flatten = tf.keras.layers.Flatten()
        self.out = tf.keras.layers.Dense(10)

    def call(self, x: Any, training: bool = False) -> Any:
        x = self.pool(self.conv1(x))
        x = self.pool(tf.nn.relu(self.conv2(x)))
        return self.out(self.flatten(x))


class LayerList(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = [L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                       L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                       L.Dense(10)]

    def call(self, x: Any) -> Any:
        for layer in self.blocks:
            x = layer(x)
        return x


def nested() -> Any:
    features = keras.Sequential([L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                                 L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D()])
    return keras.Sequential([keras.Input(SHAPE), features, L.Flatten(), L.Dense(10)])


STYLES: dict[str, Callable[[], Any]] = {
    "sequential-input": sequential_with_input, "sequential-lecture": sequential_lecture_style,
    "functional": functional, "subclassed": Subclassed, "layer-list": LayerList, "nested": nested,
}


def _chain(spec: dict[str, Any]) -> list[str]:
    return [node["class"] for node in spec["nodes"] if node["class"] != "Activation"]


@pytest.mark.parametrize("style", STYLES)
def test_every_style_gives_the_chain_and_the_same_function(style: str) -> None:
    model = STYLES[style]()
    spec, _ = modelspec.describe(model, SHAPE)
    assert _chain(spec) == CHAIN
    spec = json.loads(json.dumps(spec))  # what crosses the sandbox boundary
    rebuilt = modelspec.rebuild(spec)
    assert rebuilt.count_params() == model.count_params()
    facts = modelspec.model_facts(model)
    assert facts["input_shape"] == [None, *SHAPE] and facts["output_shape"] == [None, 10]
    assert facts["final_activation"] == ("softmax" if style == "sequential-lecture" else "linear")


def test_activation_functions_become_their_keras_names() -> None:
    spec, notes = modelspec.describe(sequential_lecture_style(), SHAPE)
    assert [n["config"].get("activation") for n in spec["nodes"]] == [
        "sigmoid", None, "relu", None, None, "softmax"]
    spec, notes = modelspec.describe(Subclassed(), SHAPE)
    between = [n for n in spec["nodes"] if n["class"] == "Activation"]
    assert [n["config"]["activation"] for n in between] == ["relu"]
    assert any("graded as an Activation layer" in note for note in notes)


def test_a_lambda_that_computes_a_keras_activation_is_read_as_it() -> None:
    model = keras.Sequential([keras.Input(SHAPE), L.Conv2D(4, 3, activation=lambda x: tf.maximum(x, 0.0)),
                              L.Flatten(), L.Dense(10)])
    spec, _ = modelspec.describe(model, SHAPE)
    assert spec["nodes"][0]["config"]["activation"] == "relu"


def _weights_differ(a: Any, b: Any) -> bool:
    return all(not np.allclose(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True)
               if x.size > 1)


def test_the_rebuilt_model_has_fresh_weights_whatever_the_model_carried() -> None:
    trained = sequential_with_input()
    trained.compile("adam", "mse")
    trained.fit(np.random.rand(8, *SHAPE), np.random.rand(8, 10), epochs=1, verbose=0)
    spec, _ = modelspec.describe(trained, SHAPE)
    assert _weights_differ(modelspec.rebuild(spec), trained)


def test_initializers_carrying_values_are_replaced_and_said() -> None:
    model = keras.Sequential([
        keras.Input(SHAPE), L.Conv2D(4, 3, kernel_initializer=keras.initializers.Constant(0.3),
                                     bias_initializer=keras.initializers.Constant(1.0)),
        L.Flatten(), L.Dense(10, kernel_initializer=keras.initializers.Identity(),
                             bias_initializer=keras.initializers.HeNormal(seed=7))])
    spec, notes = modelspec.describe(model, SHAPE)
    conv, _, dense = spec["nodes"]
    assert conv["config"]["kernel_initializer"] == "glorot_uniform"
    assert conv["config"]["bias_initializer"] == "zeros"
    assert dense["config"]["kernel_initializer"] == "glorot_uniform"
    assert dense["config"]["bias_initializer"]["class_name"] == "HeNormal"
    assert dense["config"]["bias_initializer"]["config"]["seed"] is None  # the grader's seed
    assert sum("replaced by Keras's default" in note for note in notes) == 3
    rebuilt = modelspec.rebuild(spec)
    assert not np.allclose(rebuilt.layers[1].get_weights()[0], 0.3)


@pytest.mark.parametrize("body, says", [
    (lambda self, x: self.d(self.f(self.c(x * 2.0))), "not a Keras layer"),
    (lambda self, x: self.d(self.f(self.c(x))) + 1.0, "not a Keras layer"),
])
def test_untraceable_calls_say_what_to_change(body: Any, says: str) -> None:
    class Model(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.c, self.f, self.d = L.Conv2D(4, 3), L.Flatten(), L.Dense(10)

        call = body

    with pytest.raises(modelspec.Untraceable, match=says):
        modelspec.describe(Model(), SHAPE)


def test_a_layer_class_of_ones_own_is_refused_by_name() -> None:
    class Memorizer(L.Dense):
        pass

    model = keras.Sequential([keras.Input(SHAPE), L.Flatten(), Memorizer(10)])
    with pytest.raises(modelspec.Untraceable, match="class of your own"):
        modelspec.describe(model, SHAPE)
    facts = modelspec.model_facts(model)
    assert "class of your own" in facts["trace_error"] and "spec" not in facts


def test_a_layer_setting_holding_data_is_refused() -> None:
    model = keras.Sequential([keras.Input(SHAPE), L.Flatten(), L.Dense(10),
                              L.Reshape((2, 5))])
    spec, _ = modelspec.describe(model, SHAPE)  # a target shape is a setting, not data
    forged = json.loads(json.dumps(spec))
    forged["nodes"][-1]["config"]["target_shape"] = list(range(40))
    with pytest.raises(ValueError, match="not allowed"):
        modelspec.rebuild(forged)


def _forged(**changes: Any) -> dict[str, Any]:
    spec, _ = modelspec.describe(sequential_with_input(), SHAPE)
    spec = json.loads(json.dumps(spec))
    node = spec["nodes"][0]
    for key, value in changes.items():
        if key == "class":
            node["class"] = value
        else:
            node["config"][key] = value
    return spec


@pytest.mark.parametrize("changes, says", [
    ({"class": "Lambda"}, "outside the allowed built-in layers"),
    ({"class": "InputLayer"}, "outside the allowed built-in layers"),
    ({"weights": [[0.1] * 3]}, "not allowed"),
    ({"kernel_initializer": {"module": "keras.initializers", "class_name": "Constant",
                             "config": {"value": 0.2}, "registered_name": None}}, "not allowed"),
    ({"kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                             "config": {"seed": 3}, "registered_name": None}}, "not allowed"),
    ({"kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                             "config": {}, "registered_name": "evil>Thing"}}, "not allowed"),
    ({"activation": "builtins.eval"}, "activation"),
    ({"kernel_regularizer": {"module": "keras.regularizers", "class_name": "Custom",
                             "config": {}, "registered_name": None}}, "not allowed"),
])
def test_the_grader_refuses_a_forged_description(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        modelspec.rebuild(_forged(**changes))


def test_the_grader_refuses_malformed_descriptions() -> None:
    good = _forged()
    for broken in ({**good, "extra": 1}, {**good, "output": 99}, {**good, "nodes": []},
                   {**good, "input_shape": [28, 28, "1"]}, [good],
                   {**good, "nodes": [{**good["nodes"][0], "input": 3}]}):
        with pytest.raises(ValueError):
            modelspec.check_spec(broken)


def test_a_model_over_the_parameter_limit_is_described_but_not_trained() -> None:
    big = keras.Sequential([keras.Input(SHAPE), L.Flatten(), L.Dense(400), L.Dense(10)])
    facts = modelspec.model_facts(big)
    assert facts["params"] > 250_000 and "trace_error" not in facts
    with pytest.raises(ValueError, match="parameters"):
        modelspec.rebuild(json.loads(facts["spec"]))


def test_the_notebook_setup_cell_grades_as_the_grader_does() -> None:
    """nbgrader's cnn notebook runs a copy of this module: a subclassed model passes its
    structure rules there, and an untraceable one fails with the grader's message."""
    from autograder.instructor.notebooks.model_setup import MODEL_SETUP_CODE
    from autograder.instructor.notebooks.setup_cell import SETUP_CODE

    cell: dict[str, Any] = {"__name__": "__main__"}  # as in a kernel: the checks run
    exec(compile(SETUP_CODE + MODEL_SETUP_CODE, "<setup cell>", "exec"), cell)
    for rule in ("model", "architecture", "size"):
        cell["_expect_model"](Subclassed, (), rule)
    cell["_expect_model"](LayerList, (), "architecture")

    class Scaled(Subclassed):
        def call(self, x: Any, training: bool = False) -> Any:
            return super().call(x / 255.0)

    with pytest.raises(AssertionError, match=r"cannot grade this model.*not a Keras layer"):
        cell["_expect_model"](Scaled, (), "architecture")
    with pytest.raises(AssertionError, match="cannot train the model"):
        cell["_expect_mnist"](Scaled, lambda images: images[..., None] / 255.0, seed=0)
