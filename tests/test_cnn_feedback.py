"""The student's own CNN, seen: the MNIST check's feedback shows what the grader's trained copy
of their model learned (first-layer kernels, one digit's feature maps) and the confusion matrix,
computed where the test labels are (the grader), never in a process with student code."""

from __future__ import annotations

import base64
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.core import data
from autograder.core.probes import MAX_SHOWN_FILTERS
from autograder.grading import jobs, wire
from tests.conftest import ROOT, SOLUTIONS


def test_the_test_labels_never_travel_to_a_worker() -> None:
    """The trainer gets the training labels and the test images only; the student's worker
    gets neither labels (the call of the MNIST check carries x_train, y_train, x_test)."""
    assert "y_test" not in inspect.signature(jobs.train).parameters
    assert "y_test" not in {f for f in wire.TrainJob.__dataclass_fields__}
    from autograder.core.checks import public_checks

    (mnist,) = [c for c in public_checks("cnn", profile="mnist-offline") if c.call.mode == "mnist"]
    assert "y_test" not in mnist.call.kwargs


@pytest.mark.slow
def test_the_mnist_check_shows_the_trained_model(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(SOLUTIONS),
                           "--only", "cnn", "--profile", "mnist-offline", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((out / "result.json").read_text())
    (check,) = [c for e in result["exercises"] for c in e["checks"]
                if c["id"] == "build_cnn-mnist-threshold"]
    assert check["status"] == "pass"
    seen = check["arrays"]
    assert seen["kind"] == "cnn"
    confusion = np.array(seen["confusion"])
    profile = data.PROFILES["mnist-offline"]
    assert confusion.shape == (10, 10) and confusion.sum() == profile.n_test
    accuracy = float(re.search(r"Test accuracy (\d\.\d+)", check["message"]).group(1))
    assert abs(np.trace(confusion) / confusion.sum() - accuracy) < 1e-3
    assert seen["accuracy"] >= seen["threshold"] == profile.threshold
    # solutions/cnn.py's build_cnn(): Conv2D(32, 3) first, on 28x28x1 digits; 16 are shown.
    assert np.shape(seen["kernels"]) == (3, 3, MAX_SHOWN_FILTERS)
    assert np.shape(seen["feature_maps"]) == (26, 26, MAX_SHOWN_FILTERS)
    assert np.shape(seen["digit"]) == (28, 28)
    page = (out / "feedback.html").read_text()
    found = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="The trained model', page)
    assert found, "no picture of the trained model in feedback.html"
    assert base64.b64decode(found.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
