"""Warm workers against their floor and against the cold path, in one run (issue 11's goals):

1. `autograder grade solutions --only cnn` / `bench/bare_training.py` (goal: <= 1.2x);
2. one submission's NumPy exercises, warm and cold (`AUTOGRADER_WARM=0`);
3. `autograder batch` of the NumPy exercises and of all five (MNIST), warm and cold, at
   `--jobs 1` and `--jobs N`; with MNIST also against the kit as the issue found it (a git
   worktree of `--baseline`, default BASELINE: the goal is >= 2x its throughput at the same
   --jobs), on bench/batch.py's class (every model the lecture's: one training per batch) and
   on the same class with a different model per student (a training each: the floor);
4. the same 10 padding notebooks (`--notebooks N`) through `nbgrader autograde` and `autograder batch`
   (goal: the kit >= 5x nbgrader), with the sandbox on, the fastest of `--repeat` runs of
   each. Skipped when nbgrader is missing.

Every command is run as a user would run it (a fresh process each), one after the other.

    .venv/bin/python bench/warm.py                  # everything (about 25 minutes on 2 cores)
    .venv/bin/python bench/warm.py --skip-mnist-batch
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
NUMPY = "cross_correlation,padding,stride,pooling"
GOALS = {"cnn": 1.2, "mnist batch": 2.0, "nbgrader": 5.0}
BASELINE = "601e6d4"  # main before warm workers: the tree issue 11 measured


def _timed(command: list[str], *, warm: bool = True, cwd: Path = ROOT,
           env: dict[str, str] | None = None) -> tuple[float, str]:
    environment = {**(env or os.environ), "AUTOGRADER_WARM": "1" if warm else "0"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: a batch whose class did not all pass
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def _grade(*options: str, warm: bool = True) -> tuple[float, int]:
    seconds, out = _timed([sys.executable, "-m", "autograder.cli", "grade", "solutions",
                           "--json", *options], warm=warm)
    return seconds, int(json.loads(out)["score"])


def cnn_ratio(repeat: int) -> bool:
    """The fastest of `repeat` interleaved runs of each (a shared machine is noisy)."""
    bares, warms, colds = [], [], []
    for _ in range(repeat):
        seconds, out = _timed([sys.executable, str(ROOT / "bench" / "bare_training.py")])
        bares.append(seconds)
        seconds, score = _grade("--only", "cnn", "--profile", "mnist-offline")
        warms.append(seconds)
        seconds, cold_score = _grade("--only", "cnn", "--profile", "mnist-offline", warm=False)
        colds.append(seconds)
    bare, graded, cold = min(bares), min(warms), min(colds)
    ratio = graded / bare
    print(f"1. grade --only cnn: warm {graded:.1f} s (score {score}), cold {cold:.1f} s (score "
          f"{cold_score}); bare script {bare:.1f} s ({out.strip()}); warm / bare = "
          f"{ratio:.2f}x (goal <= {GOALS['cnn']}x: {'met' if ratio <= GOALS['cnn'] else 'MISSED'})"
          f"; cold / bare = {cold / bare:.2f}x", flush=True)
    return ratio <= GOALS["cnn"] and score == cold_score


def numpy_one() -> bool:
    warm, score = _grade("--only", NUMPY)
    cold, cold_score = _grade("--only", NUMPY, warm=False)
    print(f"2. one submission, NumPy exercises: warm {warm:.1f} s, cold {cold:.1f} s "
          f"({cold / warm:.2f}x); scores {score} / {cold_score}", flush=True)
    return score == cold_score


def _class(top: Path, count: int, *, distinct: bool = False) -> Path:
    """bench/batch.py's class of 20 (correct, stubs, buggy, failing), or `count` of it in the
    same proportions (every fifth submission in name order, then the next ones). `distinct`:
    each student's hidden Dense layer a different width, so that no two train the same model."""
    from bench.batch import build

    build(top)
    names = sorted(p.name for p in top.iterdir())
    keep = (names[::5] + names[1::5] + names[2::5] + names[3::5] + names[4::5])[:count]
    for extra in set(names) - set(keep):
        shutil.rmtree(top / extra)
    layer = 'keras.layers.Dense(64, activation="relu")'
    for n, name in enumerate(sorted(keep)):
        cnn = top / name / "cnn.py"
        if distinct and cnn.exists():
            if layer not in cnn.read_text():
                sys.exit(f"bench/warm.py: the reference cnn.py changed; update {layer!r}")
            cnn.write_text(cnn.read_text().replace(layer, layer.replace("64", str(48 + 4 * n))))
    return top


def _batch(submissions: Path, out: Path, only: str, jobs: int, *, warm: bool,
           kit: Path = ROOT) -> tuple[float, str]:
    """Seconds and the gradebook (less its durations) of one batch, run with the kit in `kit`."""
    shutil.rmtree(out, ignore_errors=True)
    seconds, _ = _timed([sys.executable, "-m", "autograder.cli", "batch", str(submissions),
                         "--out", str(out), "--only", only, "--jobs", str(jobs),
                         "--profile", "mnist-offline"], warm=warm, cwd=kit)
    book = [line.split(",")[:-1] for line in (out / "grades.csv").read_text(
        encoding="utf-8-sig").splitlines()]
    return seconds, json.dumps(book)


@contextlib.contextmanager
def _worktree(revision: str, where: Path) -> Iterator[Path]:
    """A checkout of `revision` at `where` (`python -m` from there imports its kit)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision],
                   check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
                       capture_output=True)


def batches(work: Path, mnist: bool, baseline: str) -> bool:
    ok = True
    cores = len(os.sched_getaffinity(0))
    runs = [("NumPy exercises", NUMPY, 20, False)] + (
        [("all five, MNIST, the lecture's model", NUMPY + ",cnn", 6, False),
         ("all five, MNIST, a model per student", NUMPY + ",cnn", 6, True)] if mnist else [])
    old_kit: Path | None = None
    with contextlib.ExitStack() as stack:
        for label, only, count, distinct in runs:
            submissions = _class(work / f"class-{count}-{distinct}", count, distinct=distinct)
            for jobs in sorted({1, cores}):
                warm, warm_book = _batch(submissions, work / "out", only, jobs, warm=True)
                cold, cold_book = _batch(submissions, work / "out", only, jobs, warm=False)
                line = (f"3. batch, {label}, {count} submissions, --jobs {jobs}: warm {warm:.1f} s "
                        f"({count / warm * 60:.1f}/min), cold {cold:.1f} s "
                        f"({count / cold * 60:.1f}/min): {cold / warm:.2f}x")
                if "MNIST" in label:
                    if old_kit is None:
                        old_kit = stack.enter_context(_worktree(baseline, work / "baseline"))
                    before, before_book = _batch(submissions, work / "out", only, jobs,
                                                 warm=False, kit=old_kit)
                    speedup = before / warm
                    line += (f"; {baseline} {before:.1f} s ({count / before * 60:.1f}/min): "
                             f"{speedup:.2f}x (goal >= {GOALS['mnist batch']}x: "
                             f"{'met' if speedup >= GOALS['mnist batch'] else 'MISSED'}), "
                             f"its gradebook {'the same' if before_book == warm_book else 'differs'}")
                print(f"{line}; warm and cold gradebooks "
                      f"{'identical' if warm_book == cold_book else 'DIFFER'}", flush=True)
                ok &= warm_book == cold_book
    return ok


def against_nbgrader(work: Path, repeat: int, count: int) -> bool:
    if shutil.which("nbgrader", path=str(BIN)) is None:
        print("4. nbgrader is not installed: skipped")
        return True
    import nbformat

    from autograder.instructor.notebooks import main as notebooks
    from tests.test_notebooks import _bug, jupyter_env

    course = work / "course"
    assert notebooks(course, only=("padding",)) == 0
    env = jupyter_env(work / "home")
    nbgrader = str(BIN / "nbgrader")

    def run(*args: str) -> None:
        subprocess.run([nbgrader, *args], cwd=course, env=env, check=True, capture_output=True)

    run("generate_assignment", "padding", "--force")
    students = [f"s{n:02d}" for n in range(count)]
    (course / "students.csv").write_text("id\n" + "\n".join(students) + "\n")
    run("db", "student", "import", "students.csv")
    source = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(
        course / "source" / "padding" / "padding.ipynb", as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")}
    release = course / "release" / "padding" / "padding.ipynb"
    kit_class = work / "notebook-class"
    for n, student in enumerate(students):
        notebook = nbformat.read(release, as_version=4)
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                cell.source = "\n".join(line for line in source[meta["grade_id"]].split("\n")
                                        if "### BEGIN SOLUTION" not in line
                                        and "### END SOLUTION" not in line)
        target = course / "submitted" / student / "padding" / "padding.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
        if n % 3 == 2:  # a third of the class with the usual bug
            nbformat.write(_bug(target, "padding"), target)
        (kit_class / student).mkdir(parents=True)
        shutil.copy(target, kit_class / student / "padding.ipynb")
    theirs_all, ours_all = [], []
    for _ in range(repeat):  # interleaved, the fastest of each counts (a shared machine)
        started = time.perf_counter()
        run("autograde", "padding", "--force")
        theirs_all.append(time.perf_counter() - started)
        shutil.rmtree(work / "notebook-out", ignore_errors=True)
        ours_all.append(_timed([sys.executable, "-m", "autograder.cli", "batch", str(kit_class),
                                "--out", str(work / "notebook-out"), "--only", "padding"],
                               env=env)[0])
    theirs, ours = min(theirs_all), min(ours_all)
    ratio = theirs / ours
    print(f"4. {count} padding notebooks, fastest of {repeat}: nbgrader autograde {theirs:.1f} s "
          f"(slowest {max(theirs_all):.1f} s), autograder batch {ours:.1f} s (slowest "
          f"{max(ours_all):.1f} s; sandboxed, hidden cases too): {ratio:.2f}x (goal >= "
          f"{GOALS['nbgrader']}x: {'met' if ratio >= GOALS['nbgrader'] else 'MISSED'})",
          flush=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mnist-batch", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="runs of each CNN and nbgrader timing, interleaved; the fastest "
                             "counts")
    parser.add_argument("--notebooks", type=int, default=10, metavar="N",
                        help="the class graded by nbgrader and by the kit (default 10)")
    parser.add_argument("--baseline", default=BASELINE, metavar="REV",
                        help=f"the kit to beat in the MNIST batch (default {BASELINE})")
    parser.add_argument("--only", choices=("cnn", "numpy", "batch", "nbgrader"), nargs="*")
    args = parser.parse_args()
    chosen = set(args.only or ("cnn", "numpy", "batch", "nbgrader"))
    print(f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f}",
          flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="autograder-bench-warm-") as tmp:
        work = Path(tmp)
        if "cnn" in chosen:
            ok &= cnn_ratio(max(args.repeat, 1))
        if "numpy" in chosen:
            ok &= numpy_one()
        if "batch" in chosen:
            ok &= batches(work, mnist=not args.skip_mnist_batch, baseline=args.baseline)
        if "nbgrader" in chosen:
            ok &= against_nbgrader(work, max(args.repeat, 1), args.notebooks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
