"""Grading one submission: wall time for the reference solution, the NumPy exercises only and
in full (offline MNIST profile), and peak memory (the grader, and its largest sandboxed worker).
Targets on the course's 2-core machines: NumPy exercises under 10 s, the full grade under 60 s.

    .venv/bin/python bench/grade_one.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMPY = "cross_correlation,padding,stride,pooling"
TARGETS = {"NumPy exercises": 10.0, "full grade": 60.0}


def _worker_peaks(peaks: dict[int, int], stop: threading.Event) -> None:
    """Poll the sandboxed workers' high-water RSS (VmHWM): they run in bwrap's pid namespace,
    out of reach of getrusage."""
    while not stop.is_set():
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                line = (status.parent / "cmdline").read_bytes()
                if b"autograder.grading.child." not in line:  # a worker, or a warm template
                    continue
                line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM"))
                peaks[int(status.parent.name)] = int(line.split()[1])
            except (OSError, StopIteration, ValueError):
                continue
        time.sleep(0.05)


def measure(label: str, *options: str) -> tuple[float, float, float, int]:
    """Seconds, the grader's peak RSS (MiB), the largest worker's peak RSS (MiB), the score."""
    peaks: dict[int, int] = {}
    stop = threading.Event()
    poller = threading.Thread(target=_worker_peaks, args=(peaks, stop), daemon=True)
    poller.start()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(ROOT / "solutions"),
                           "--json", *options], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    stop.set()
    poller.join()
    grader_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        sys.exit(f"{label}: autograder grade failed\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return seconds, grader_mib, max(peaks.values(), default=0) / 1024, int(result["score"])


def main() -> int:
    met = True
    for label, options in (("NumPy exercises", ("--only", NUMPY)),
                           ("full grade", ("--profile", "mnist-offline"))):
        seconds, grader_mib, worker_mib, score = measure(label, *options)
        ok = seconds < TARGETS[label]
        met &= ok
        print(f"{label}: {seconds:.1f} s, score {score}; peak RSS: grader {grader_mib:.0f} MiB, "
              f"largest sandboxed worker {worker_mib:.0f} MiB (target < {TARGETS[label]:.0f} s: "
              f"{'met' if ok else 'MISSED'})", flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
