"""The student loop's wall time: the public checks of the four NumPy exercises on the reference
solutions, in a fresh interpreter each run (imports included), and proof that TensorFlow stayed
out. Target: under 2 s on the course's 2-core machines.

    .venv/bin/python bench/student_loop.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0

CHILD = """
import sys
from pathlib import Path
from autograder.registry import EXERCISES
from autograder.student.loop import check_exercise
results = [check_exercise(e.name, Path(sys.argv[1])) for e in EXERCISES if not e.uses_tensorflow]
assert all(r.passed for r in results), [r.name for r in results if not r.passed]
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "TensorFlow was imported"
print(sum(len(r.checks) for r in results))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "solutions")],
                              capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
    median = statistics.median(times)
    print(f"student loop: {done.stdout.strip()} public checks of the NumPy exercises, "
          f"median {median:.2f} s over {args.runs} runs (min {min(times):.2f} s, "
          f"max {max(times):.2f} s); TensorFlow not imported; target < {TARGET_S:.0f} s: "
          f"{'met' if median < TARGET_S else 'MISSED'}")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
