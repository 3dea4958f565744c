"""Stored expected values of the public checks: reading them needs only json and NumPy.

Each case's entry holds the expected value and, beside it, what each known mistake returns on
the same inputs, so a wrong answer can be named without shipping any solution code. They are
written by `autograder.authoring.fixtures` (kit authors only: it needs the TensorFlow oracle).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

FIXTURE_DIR = Path(__file__).parent / "checks" / "fixtures"
FORMAT_VERSION = 1

Fixture = tuple[Any, dict[str, Any]]  # (expected, {mistake: what it returns})


def encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "shape": list(value.shape),
                "data": value.ravel().tolist()}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and "dtype" in value:
        array = np.array(value["data"], dtype=value["dtype"]).reshape(value["shape"])
        array.setflags(write=False)  # shared by every check that reads it
        return array
    if isinstance(value, dict) and "tuple" in value:
        return tuple(decode(v) for v in value["tuple"])
    return value


def path(exercise: str) -> Path:
    return FIXTURE_DIR / f"{exercise}.json"


@cache
def load(exercise: str) -> dict[str, Fixture]:
    """`{case id: (expected, {mistake: output})}` for one exercise."""
    file = path(exercise)
    if not file.exists():
        return {}
    stored = json.loads(file.read_text())
    return {
        case_id: (decode(entry["expected"]),
                  {m: decode(v) for m, v in entry.get("mistakes", {}).items()})
        for case_id, entry in stored["cases"].items()
    }
