"""Hostile: write perfect-score result files wherever a grader might look for them, then return
wrong values. `@@OUT@@` is the grader's --out folder, filled in by the test."""

import json
import os
from pathlib import Path

import autograder

FAKE = {"schema_version": 1, "submission": "hostile", "score": 100, "max_score": 100,
        "exercises": [], "tests": [], "errors": [], "forged_by": "fake-result-files"}
PLACES = [
    Path.cwd(),  # the worker's job dir
    Path(__file__).resolve().parent,  # the copy of the submission the worker imports
    Path("@@OUT@@"),  # the instructor's output folder
    Path(autograder.__file__).resolve().parents[1],  # the kit's repository
    Path(os.environ.get("TMPDIR", "/tmp")),
]


def forge():
    for place in PLACES:
        for name in ("result.json", "results.json", "HOSTILE-forged.txt"):
            try:
                place.mkdir(parents=True, exist_ok=True)
                (place / name).write_text(json.dumps(FAKE))  # hostile
            except OSError:
                pass


forge()


def same_padding(n, kernel_size, stride=1):
    forge()
    return -1, -1  # wrong


def zero_pad(image, pads):
    forge()
    return None  # wrong


def correlate2d_padded(image, kernel, padding="valid"):
    forge()
    return None  # wrong
