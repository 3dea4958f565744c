"""`make demo`: a batch grade of a small example class, built from the kit's own files.

The class is made fresh each time from the reference solutions and the stubs, so it can never
drift from them:

- alice: the reference solution;
- bob: two classic mistakes, a flipped kernel and padding's odd pixel on the top/left;
- carol: a Jupyter notebook, right except that average pooling counts padded cells;
- dave: the stubs as shipped;
- erin: a .zip whose stride.py has a syntax error.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from autograder.registry import EXERCISE_TIMEOUT_S, EXERCISES

KIT_ROOT = Path(__file__).resolve().parents[2]

# (student, module, text in the reference, replacement): each is a realistic slip.
SLIPS = (
    ("bob", "cross_correlation.py", "return sliding_window_view(x, kernel.shape[0]) @ kernel",
     "return sliding_window_view(x, kernel.shape[0]) @ kernel[::-1]"),
    ("bob", "padding.py", "return total // 2, total - total // 2",
     "return total - total // 2, total // 2"),
    ("carol", "pooling.py", "windows.sum(axis=(-2, -1)) / real.sum(axis=(-2, -1))",
     "windows.mean(axis=(-2, -1))"),
    ("erin", "stride.py", "    if padding == \"same\":\n        return -(-n // stride)",
     "    if padding == \"same\"\n        return -(-n // stride)"),
)


def _reference(student: str, directory: Path) -> None:
    """Copy the reference modules into `directory`, with the student's slips applied."""
    directory.mkdir(parents=True)
    for exercise in EXERCISES:
        source = (KIT_ROOT / "solutions" / exercise.module).read_text()
        for who, module, old, new in SLIPS:
            if who == student and module == exercise.module:
                if old not in source:
                    raise RuntimeError(f"demo: {module} no longer contains {old!r}")
                source = source.replace(old, new)
        (directory / exercise.module).write_text(source)


def build_class(directory: Path) -> list[str]:
    """Write the example class into `directory`; returns the student ids."""
    _reference("alice", directory / "alice")
    _reference("bob", directory / "bob")
    with tempfile.TemporaryDirectory() as tmp:
        _reference("carol", Path(tmp) / "carol")
        cells = [nbformat.v4.new_markdown_cell("# CNN unit: my solutions")]
        cells += [nbformat.v4.new_code_cell((Path(tmp) / "carol" / e.module).read_text())
                  for e in EXERCISES]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), directory / "carol.ipynb")
        _reference("erin", Path(tmp) / "erin")
        with zipfile.ZipFile(directory / "erin.zip", "w") as archive:
            for module in sorted((Path(tmp) / "erin").iterdir()):
                archive.write(module, f"erin/exercises/{module.name}")
    shutil.copytree(KIT_ROOT / "exercises", directory / "dave",
                    ignore=shutil.ignore_patterns("test_*", "conftest.py", "README.md", "__pycache__"))
    return ["alice", "bob", "carol", "dave", "erin"]


def main(out: Path = Path("demo-out"), *, only: tuple[str, ...] = ()) -> int:
    """Build the class in `out/class` and grade it into `out/gradebook`."""
    from autograder.instructor import batch

    if (out / "class").exists():
        shutil.rmtree(out / "class")
    students = build_class(out / "class")
    print(f"The example class in {out / 'class'}: {', '.join(students)} "
          "(see autograder/instructor/demo.py)\n", flush=True)
    status = batch.main(out / "class", out=out / "gradebook", jobs=None, resume=False,
                        scheduler=None, only=only, seed=None, profile="mnist-offline",
                        timeout_s=EXERCISE_TIMEOUT_S)
    if status == 0:
        print(f"The class report (charts, mistakes, timing, links to every feedback page): "
              f"{out / 'gradebook' / 'summary.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("demo-out")))
