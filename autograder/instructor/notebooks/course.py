"""The course directory: `nbgrader_config.py` and one source notebook per exercise, written
where `autograder notebooks OUT` says."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.instructor.notebooks.build import SOLUTIONS, build_notebook
from autograder.instructor.notebooks.config import config_text
from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup


def main(out: Path, *, seed: int | None = None, only: Sequence[str] = ()) -> int:
    """Write the nbgrader course into `out`; 0 on success, 2 when `out` cannot be used.

    `seed` draws the hidden cases (default: the grader's, `AUTOGRADER_SEED` or the kit's fixed
    one: grade the notebooks with the same seed); `only` limits the exercises (default: all).
    """
    from autograder.grading.options import default_seed

    out = Path(out)
    if out.exists() and not out.is_dir():
        print(f"autograder notebooks: {out} exists and is not a folder", file=sys.stderr)
        return 2
    if out.is_dir() and any(out.iterdir()) and not (out / "nbgrader_config.py").is_file():
        print(f"autograder notebooks: {out} is not empty and holds no nbgrader_config.py; "
              "give a new or empty folder (or a course this command made)", file=sys.stderr)
        return 2
    written = write_course(out, seed=default_seed() if seed is None else seed,
                           exercises=tuple(only) or None)
    for exercise, path in written.items():
        print(f"wrote {path} ({notebook_points(nbformat.read(path, as_version=4)):g} points)"
              f"  -> assignment {exercise!r}")
    print(f"wrote {out / 'nbgrader_config.py'}\n"
          f"Next: cd {out} && nbgrader generate_assignment {EXERCISES[0].name}  (and the others), "
          "then release, collect, and `nbgrader autograde <assignment>`.")
    return 0


def write_course(out: Path, *, seed: int, exercises: Sequence[str] | None = None,
                 solutions: Path = SOLUTIONS) -> dict[str, Path]:
    """Write `nbgrader_config.py` and `source/<exercise>/<exercise>.ipynb` for each exercise
    (default: all); return the notebooks' paths by exercise."""
    names = [e.name for e in EXERCISES] if exercises is None else [lookup(n).name for n in exercises]
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(config_text())
    written: dict[str, Path] = {}
    for name in names:
        folder = out / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        stray = sorted(p.name for p in folder.iterdir() if p.name != f"{name}.ipynb")
        if stray:
            # nbgrader copies every other file of source/<assignment>/ into the release
            print(f"autograder notebooks: warning: {folder} also holds {', '.join(stray)}; "
                  "nbgrader will release those files too", file=sys.stderr)
        path = folder / f"{name}.ipynb"
        nbformat.write(build_notebook(name, seed=seed, solutions=solutions), path)
        written[name] = path
    return written


def notebook_points(notebook: NotebookNode) -> float:
    """The points of a notebook's graded cells."""
    return float(sum(cell.metadata.get("nbgrader", {}).get("points", 0)
                     for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")))
