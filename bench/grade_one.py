"""Grading one submission: wall time for the reference solution, the NumPy exercises only and
in full (offline MNIST profile), and peak memory (the grader and its largest sandboxed worker).
Targets on the course's 2-core machines: NumPy exercises under 10 s, the full grade under 60 s.

    .venv/bin/python bench/grade_one.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMPY = "cross_correlation,padding,stride,pooling"
TARGETS = {"NumPy exercises": 10.0, "full grade": 60.0}


def measure(label: str, *options: str) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(ROOT / "solutions"),
                           "--json", *options], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if done.returncode != 0:
        sys.exit(f"{label}: autograder grade failed\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return seconds, peak_mib, int(result["score"])


def main() -> int:
    met = True
    for label, options in (("NumPy exercises", ("--only", NUMPY)),
                           ("full grade", ("--profile", "mnist-offline"))):
        seconds, peak_mib, score = measure(label, *options)
        ok = seconds < TARGETS[label]
        met &= ok
        print(f"{label}: {seconds:.1f} s, score {score}, peak RSS of one process {peak_mib:.0f} MiB "
              f"(target < {TARGETS[label]:.0f} s: {'met' if ok else 'MISSED'})", flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
