"""Stored expected values of the public checks, and the script that regenerates them.

In the kit (not in the student bundle, which has neither the oracle nor the solutions),
`python -m autograder.fixtures` computes every fixture-backed case with TensorFlow/Keras
(`autograder.oracle`) and records, beside each expected value, what each known mistake
(`solutions/mistakes.py`) returns on the same inputs, so a wrong answer can be named without
shipping any solution code. `python -m autograder.fixtures --check` fails if the stored files
drift from what TensorFlow computes now. Reading fixtures needs only json and NumPy.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def generate(exercise: str) -> dict[str, Any]:
    """The fixture document of one exercise, computed now with TensorFlow/Keras."""
    from autograder import oracle
    from autograder.calls import invoke
    from autograder.checks import cases

    mistakes = oracle.mistake_modules(exercise)
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "cases": {}}
    for case in cases(exercise):
        if case.raises:
            continue
        expected = oracle.compute(case.call)
        signatures = {}
        for name, module in mistakes.items():
            outcome = invoke(getattr(module, case.call.function), case.call)
            result = outcome.array if outcome.is_ndarray or outcome.value is None else outcome.value
            if outcome.raised or result is None or _equal(result, expected):
                continue  # a mistake that crashes or agrees here cannot be recognised here
            signatures[name] = encode(result)
        document["cases"][case.id] = {"expected": encode(expected), "mistakes": signatures}
    return document


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-9))
    return bool(a == b)


def drift(exercise: str) -> list[str]:
    """What differs between the stored fixtures and a fresh generation (empty: nothing)."""
    stored = json.loads(path(exercise).read_text()) if path(exercise).exists() else {"cases": {}}
    fresh = generate(exercise)
    problems = []
    for case_id in sorted(set(stored["cases"]) | set(fresh["cases"])):
        old, new = stored["cases"].get(case_id), fresh["cases"].get(case_id)
        if old is None or new is None:
            problems.append(f"{exercise}: case {case_id} is {'new' if old is None else 'gone'}")
            continue
        if not _equal(decode(old["expected"]), decode(new["expected"])):
            problems.append(f"{exercise}: {case_id}: TensorFlow now gives another expected value")
        if set(old["mistakes"]) != set(new["mistakes"]) or not all(
            _equal(decode(old["mistakes"][m]), decode(new["mistakes"][m])) for m in new["mistakes"]
        ):
            problems.append(f"{exercise}: {case_id}: the mistakes' outputs changed")
    return problems


def main(argv: list[str] | None = None) -> int:
    from autograder.registry import EXERCISES

    parser = argparse.ArgumentParser(prog="python -m autograder.fixtures", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for e in EXERCISES for p in drift(e.name)]
        print("\n".join(problems) or "fixtures match TensorFlow/Keras")
        return 1 if problems else 0
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for exercise in EXERCISES:
        document = generate(exercise.name)
        path(exercise.name).write_text(json.dumps(document, indent=1) + "\n")
        print(f"wrote {path(exercise.name)} ({len(document['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
