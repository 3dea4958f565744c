"""Batch grading throughput: 20 submissions (correct, buggy and failing) graded with `--jobs 1`
and `--jobs 2` in one run; submissions per minute for each and the ratio, first for the four
NumPy exercises, then for all five (the MNIST check trains a Keras model per submission that
gets that far; offline data profile).

    .venv/bin/python bench/batch.py               # both (the MNIST run takes a while)
    .venv/bin/python bench/batch.py --skip-mnist  # the NumPy exercises only
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.instructor import batch  # noqa: E402

SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"
NUMPY = ("cross_correlation", "padding", "stride", "pooling")
ALL = (*NUMPY, "cnn")
MODULES = [f"{name}.py" for name in ALL]

# (module, line in the reference, the bug put in its place)
BUGS = {
    "flipped-kernel": ("cross_correlation.py",
                       "return sliding_window_view(x, kernel.shape[0]) @ kernel",
                       "return sliding_window_view(x, kernel.shape[0]) @ kernel[::-1]"),
    "odd-zero-first": ("padding.py", "return total // 2, total - total // 2",
                       "return total - total // 2, total // 2"),
    "ceil-valid": ("stride.py", "return (n - kernel_size) // stride + 1",
                   "return -(-(n - kernel_size) // stride) + 1"),
    "flatten-channels-first": ("pooling.py", "return _feature_maps(x).reshape(-1)",
                               "return np.moveaxis(_feature_maps(x), -1, 0).reshape(-1)"),
    "relu-abs": ("cnn.py", "return np.maximum(np.asarray(x, dtype=np.float64), 0.0)",
                 "return np.abs(np.asarray(x, dtype=np.float64))"),
    "no-rescale": ("cnn.py", "return (images.astype(np.float32) / 255.0)[..., np.newaxis]",
                   "return images.astype(np.float32)[..., np.newaxis]"),
}
FAILING = {
    "exits-at-import": ("padding.py", "import os\n\nos._exit(3)\n"),
    "syntax-error": ("pooling.py", "def max_pool2d(x, pool_size=2:\n    return x\n"),
}


def _reference(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for module in MODULES:
        shutil.copy(SOLUTIONS / module, folder / module)
    return folder


def build(top: Path) -> dict[str, str]:
    """20 submissions in `top`: 8 correct, 4 stubs, 6 buggy, 2 failing; {student: kind}."""
    kinds: dict[str, str] = {}
    for n in range(8):
        _reference(top / f"correct-{n}")
        kinds[f"correct-{n}"] = "correct"
    for n in range(4):
        (top / f"stubs-{n}").mkdir(parents=True)
        for module in MODULES:
            shutil.copy(STUBS / module, top / f"stubs-{n}" / module)
        kinds[f"stubs-{n}"] = "stubs"
    for name, (module, line, bug) in BUGS.items():
        folder = _reference(top / f"buggy-{name}")
        source = (folder / module).read_text()
        if line not in source:
            sys.exit(f"bench/batch.py: the reference {module} changed; update the bug {name!r}")
        (folder / module).write_text(source.replace(line, bug))
        kinds[f"buggy-{name}"] = "buggy"
    for name, (module, source) in FAILING.items():
        (_reference(top / f"failing-{name}") / module).write_text(source)
        kinds[f"failing-{name}"] = "failing"
    return kinds


def measure(top: Path, work: Path, only: tuple[str, ...], jobs: int) -> tuple[float, str]:
    out = work / f"out-{len(only)}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    report = batch.run(top, out, jobs=jobs, only=only, profile="mnist-offline",
                       timeout_s=600.0)
    seconds = time.perf_counter() - started
    return seconds, batch.gradebook_csv(report.rows, report.settings)


def _scores(gradebook: str) -> str:
    rows = [line.split(",") for line in gradebook.splitlines()[1:]]
    return " ".join(f"{r[0]}={r[1]}" for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mnist", action="store_true",
                        help="only the NumPy exercises (skip the run that trains Keras models)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time each setting N times, interleaved, and keep the fastest "
                             "(steadier on a shared machine)")
    args = parser.parse_args()
    runs = [("NumPy exercises", NUMPY)] + ([] if args.skip_mnist else [("all five, MNIST", ALL)])
    with tempfile.TemporaryDirectory(prefix="autograder-bench-batch-") as tmp:
        work = Path(tmp)
        kinds = build(work / "submissions")
        count = len(kinds)
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run; "
              f"{count} submissions: " + ", ".join(
            f"{sum(k == kind for k in kinds.values())} {kind}"
            for kind in ("correct", "stubs", "buggy", "failing")), flush=True)
        for label, only in runs:
            rates = {}
            books = {}
            times: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(max(args.repeat, 1)):
                for jobs in (1, 2):
                    seconds, books[jobs] = measure(work / "submissions", work, only, jobs)
                    times[jobs].append(seconds)
            for jobs in (1, 2):
                seconds = min(times[jobs])
                rates[jobs] = count / seconds * 60
                every = "" if len(times[jobs]) == 1 else \
                    f" (fastest of {', '.join(f'{t:.1f}' for t in times[jobs])})"
                print(f"{label}, --jobs {jobs}: {seconds:.1f} s{every}, "
                      f"{rates[jobs]:.1f} submissions/min", flush=True)
            print(f"{label}: --jobs 2 / --jobs 1 = {rates[2] / rates[1]:.2f}x", flush=True)

            def strip(book: str) -> list[list[str]]:
                return [line.split(",")[:-1] for line in book.splitlines()]

            if strip(books[1]) != strip(books[2]):
                print(f"{label}: the two gradebooks DIFFER", flush=True)
                return 1
            print(f"{label}: same gradebook both ways: {_scores(books[1])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
