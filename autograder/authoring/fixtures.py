"""Regenerate the stored expected values (kit authors only: needs the oracle and solutions).

`python -m autograder.authoring.fixtures` computes every fixture-backed case with TensorFlow/Keras
(`autograder.authoring.oracle`) and records, beside each expected value, what each known mistake
(`autograder.authoring.mistakes`) returns on the same inputs. `--check` fails if the stored files
drift from what TensorFlow computes now (to 1e-9), `--check --exact` if they are not the very
bytes a generation writes; `--only EXERCISE` limits any of them to some exercises. Every file is
written in one layout (`render`), and this command runs TensorFlow single-threaded with
deterministic ops (`autograder.course.tfops.deterministic`), so a generation writes the same
bytes every time.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from autograder.core.fixtures import FIXTURE_DIR, FORMAT_VERSION, decode, encode, path


def render(document: dict[str, Any]) -> str:
    """The file text of a fixture document: one layout, so that equal documents are equal bytes."""
    return json.dumps(document, indent=1) + "\n"


def generate(exercise: str) -> dict[str, Any]:
    """The fixture document of one exercise, computed now with TensorFlow/Keras."""
    from autograder.authoring import mistakes as known
    from autograder.authoring import oracle
    from autograder.core.calls import invoke
    from autograder.core.checks import cases

    mistakes = known.mutants(exercise)
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


def drift(exercise: str, *, exact: bool = False) -> list[str]:
    """What differs between the stored fixtures and a fresh generation (empty: nothing); with
    `exact`, any byte of the file."""
    text = path(exercise).read_text() if path(exercise).exists() else ""
    stored = json.loads(text) if text else {"cases": {}}
    fresh = generate(exercise)
    problems = []
    if exact and render(fresh) != text:
        problems.append(f"{exercise}: {path(exercise).name} is not the bytes a generation writes")
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
    from autograder.registry import exercise as lookup

    parser = argparse.ArgumentParser(prog="python -m autograder.authoring.fixtures",
                                     description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--exact", action="store_true",
                        help="with --check: the stored files must be the very bytes written")
    parser.add_argument("--only", action="append", default=[], metavar="EXERCISE",
                        help="only this exercise (repeatable)")
    args = parser.parse_args(argv)
    try:
        names = [lookup(name).name for name in args.only] or [e.name for e in EXERCISES]
    except KeyError as error:
        parser.error(str(error))
    from autograder.course import tfops

    tfops.deterministic()  # this process only computes oracles
    if args.check:
        problems = [p for name in names for p in drift(name, exact=args.exact)]
        print("\n".join(problems) or "fixtures match TensorFlow/Keras")
        return 1 if problems else 0
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        document = generate(name)
        path(name).write_text(render(document))
        print(f"wrote {path(name)} ({len(document['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
