"""The sandbox's costs, in each mode this machine has (bubblewrap, and without it: the sandbox
user when run as root): the start-up overhead of one sandboxed worker (median of 40 runs of a
one-case job, minus the same worker started as a bare subprocess), and the grading time of a
submission whose every NumPy function hangs and swallows every signal (target: under 60 s for
the four NumPy exercises).

    .venv/bin/python bench/sandbox.py [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.core.checks import public_checks  # noqa: E402
from autograder.grading import jobs, kit  # noqa: E402
from autograder.grading.grade import Options, grade  # noqa: E402
from autograder.grading.sandbox import Limits, SubprocessSandbox, bwrap_status  # noqa: E402
from autograder.registry import EXERCISES  # noqa: E402
from autograder.registry import exercise as lookup  # noqa: E402

NUMPY = ("cross_correlation", "padding", "stride", "pooling")
HANG_TARGET_S = 60.0
HANGS = '''
def {name}(*args, **kwargs):
    while True:  # a busy loop that swallows the grader's alarm and everything else
        try:
            sum(range(10**5))
        except BaseException:
            pass
'''


def _modes() -> list[str]:
    return (["bwrap"] if bwrap_status()[0] else []) + ["no-bwrap"]


def startup_overhead(mode: str, runs: int) -> tuple[float, float]:
    """(median sandboxed worker run, median bare worker run), in seconds."""
    os.environ["AUTOGRADER_BWRAP"] = "1" if mode == "bwrap" else "0"
    sandbox = SubprocessSandbox()
    exercise = lookup("padding")
    check = public_checks("padding")[0]
    module = ROOT / "solutions" / "padding.py"
    runner = jobs.CaseRunner(exercise, {"padding": module}, sandbox, {}, budget_s=60,
                             case_timeout_s=3)
    boxed, bare = [], []
    for _ in range(runs):
        with sandbox.job() as job:
            runner.write_job(job, [check])
            kit.child_kit(job)
            started = time.perf_counter()
            sandbox.run(kit.worker_command(job), job_dir=job, limits=Limits())
            boxed.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            job = Path(tmp)
            runner.write_job(job, [check])
            kit.child_kit(job)
            started = time.perf_counter()
            subprocess.run(kit.worker_command(job), cwd=job, capture_output=True, check=True)
            bare.append(time.perf_counter() - started)
    return statistics.median(boxed), statistics.median(bare)


def everything_hangs(mode: str) -> tuple[float, int, int]:
    """(seconds, score, checks) for grading the four NumPy exercises of a hanging submission."""
    os.environ["AUTOGRADER_BWRAP"] = "1" if mode == "bwrap" else "0"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for exercise in EXERCISES:
            if exercise.name in NUMPY:
                (folder / exercise.module).write_text(
                    "".join(HANGS.format(name=f) for f in exercise.functions))
        started = time.perf_counter()
        result = grade(folder, Options(only=NUMPY))
        seconds = time.perf_counter() - started
    return seconds, result.score, sum(len(e.checks) for e in result.exercises)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    met = True
    for mode in _modes():
        boxed, bare = startup_overhead(mode, args.runs)
        print(f"{mode}: one sandboxed worker {boxed * 1000:.0f} ms, bare {bare * 1000:.0f} ms: "
              f"overhead {(boxed - bare) * 1000:.0f} ms (medians of {args.runs})", flush=True)
        seconds, score, checks = everything_hangs(mode)
        ok = seconds < HANG_TARGET_S and score == 0
        met &= ok
        print(f"{mode}: every NumPy function hangs and swallows alarms: {checks} checks graded "
              f"in {seconds:.1f} s, score {score} (target < {HANG_TARGET_S:.0f} s: "
              f"{'met' if ok else 'MISSED'})", flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
