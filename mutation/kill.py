"""The test command of a mutation run: grade one exercise's module as a submission, in process.

    python -m mutation.kill EXERCISE FOLDER [--seed SEED]

exits 0 when the module in FOLDER keeps every point (the mutant survived) and 1 when it loses
any (killed). It uses the grader's own checks and verdicts: the public checks with their stored
fixtures, the hidden checks of the instructor's seed (expected values from the pristine
reference in `solutions/`, never from the mutant), each judged as `autograder grade` judges it,
and hidden failures withholding their public points (`steps.gating.gate`). What it leaves
out is the sandbox: the calls run in this process, which is fast (no worker to start) and
changes no verdict, since the mutants are the kit's own code; each call's inputs still travel
through the worker's wire format first, so the mutant gets them as a graded module does (fresh
strings, not the interned literals of the checks: `padding is "same"` must fail here too).
The CNN exercise's checks of `build_cnn()` (structure and MNIST training) are left out: they
take a TensorFlow training run.
Memory is capped so that a mutant that pads by millions fails instead of swapping the machine;
a mutant that hangs is killed by the mutation tool's timeout, as a case would be by the grader.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from autograder.core.calls import Call
from autograder.core.results import CheckResult

ROOT = Path(__file__).resolve().parents[1]
MEMORY_BYTES = 4 << 30  # room for TensorFlow's import, not for a mutant's runaway array


def grade_module(exercise: str, folder: Path, *, seed: int, hidden: bool = True,
                 solutions: Path = ROOT / "solutions") -> list[CheckResult]:
    """Every value check of `exercise` (public, and hidden unless `hidden` is False) on
    `folder/<exercise>.py`, gated."""
    from autograder.core.checks import public_checks
    from autograder.core.execute import run_call
    from autograder.core.judge import Verdict
    from autograder.grading.hidden import hidden_checks
    from autograder.grading.steps.gating import gate
    from autograder.grading.steps.judging import judge
    from autograder.registry import exercise as lookup
    from autograder.student.loop import LoadError, load_module

    checks = [c for c in public_checks(exercise, seed=seed) if c.call.mode == "value"]
    if hidden:
        checks += hidden_checks(exercise, seed=seed, solutions=solutions)
    try:
        module = load_module(folder / lookup(exercise).module)
    except LoadError as error:
        failed = Verdict("error", str(error))
        return list(gate(checks, {c.id: failed for c in checks}))
    verdicts = {c.id: judge(c, run_call(module, as_sent(c.call))) for c in checks}
    return list(gate(checks, verdicts))


def as_sent(call: Call) -> Call:
    """The call as the grader's worker receives it: through JSON, arrays copied."""
    from autograder.grading import wire

    arrays: dict = {}
    data = json.loads(json.dumps(wire.call_to_json(call, arrays)))
    return wire.call_from_json(data, arrays)


def lost_points(results: list[CheckResult]) -> float:
    return sum(r.max_points - r.points for r in results)


def main(argv: list[str] | None = None) -> int:
    from autograder.grading.options import default_seed

    parser = argparse.ArgumentParser(prog="python -m mutation.kill", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=default_seed())
    parser.add_argument("--public-only", action="store_true",
                        help="the student loop's view: no hidden checks")
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    results = grade_module(args.exercise, args.folder, seed=args.seed,
                           hidden=not args.public_only)
    failed = [r for r in results if r.status != "pass"]
    for result in failed[:5]:  # what killed it, kept in the session for the report
        print(f"{result.id}: {result.status}: {result.message[:300]}")
    print(f"lost {lost_points(results):g} of {sum(r.max_points for r in results):g} points; "
          f"{len(failed)} check(s) failed")
    return 1 if lost_points(results) else 0


if __name__ == "__main__":
    sys.exit(main())
