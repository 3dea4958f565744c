"""The floor the CNN grade is measured against (bench/warm.py): one interpreter that imports
TensorFlow once, builds the reference model, trains it with the grader's recipe on the same
data profile and predicts the test images. No sandbox, no student code, nothing else.

    .venv/bin/python bench/bare_training.py [PROFILE]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

started = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from autograder.core import data, probes  # noqa: E402
from autograder.core.checks.cnn import training_seed  # noqa: E402
from autograder.grading.options import DEFAULT_SEED  # noqa: E402

sys.path.insert(0, str(ROOT / "solutions"))
import cnn  # noqa: E402


def main() -> int:
    dataset = data.load(sys.argv[1] if len(sys.argv) > 1 else "mnist-offline", seed=DEFAULT_SEED)
    keras.utils.set_random_seed(training_seed(DEFAULT_SEED))
    model = cnn.build_cnn()
    from_logits = model.layers[-1].get_config().get("activation") != "softmax"
    model.compile(optimizer=keras.optimizers.Adam(probes.LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    x_train = dataset.x_train.astype(np.float32)[..., np.newaxis] / np.float32(255)
    x_test = dataset.x_test.astype(np.float32)[..., np.newaxis] / np.float32(255)
    model.fit(x_train, dataset.y_train, batch_size=probes.BATCH_SIZE,
              epochs=dataset.profile.epochs, shuffle=True, verbose=0)
    predicted = np.asarray(model.predict(x_test, batch_size=256, verbose=0)).argmax(axis=1)
    accuracy = float((predicted == dataset.y_test).mean())
    print(f"bare training: {time.perf_counter() - started:.1f} s, accuracy {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
