"""Submissions written in many styles, graded end to end through the public CLI.

Each folder of `tests/submissions/styles/` is one submission (some of the exercise modules), a
`README.md` saying what it is, and a one-line `EXPECT`:

- `full`: every exercise it contains scores full marks;
- `loses: fn1, fn2`: each named function loses points (a failing check, or its public points
  withheld by a failed hidden case), and every other function of the graded exercises keeps
  all of its points;

and, on a second line, optionally `says: some words`: some check's message contains them (the
feedback tells the student what the grader changed or refused).

The folders cover correct Keras styles of `build_cnn` (Sequential, functional, subclassed,
tf.keras, activations as functions or layers, BatchNormalization, a global-average-pooling
head), correct NumPy styles (loops, window views, float32, lists, modules importing each
other), single bugs, and attacks on the policy and on the MNIST check. A folder holding `cnn.py`
trains a model, so its test is marked `slow`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autograder.registry import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "tests" / "submissions" / "styles"
FUNCTIONS = {exercise.name: exercise.functions for exercise in EXERCISES}
GRADE_TIMEOUT_S = 1200  # a cnn.py folder trains a model: about 30 s to a few minutes on 2 cores


def _folders() -> list[Path]:
    return sorted(p for p in STYLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _exercises(folder: Path) -> list[str]:
    """The exercises the folder holds a module for, in course order."""
    return [name for name in FUNCTIONS if (folder / f"{name}.py").is_file()]


def _expect(folder: Path) -> tuple[str, ...] | None:
    """None for `full`, else the functions named by `loses: ...`."""
    text = (folder / "EXPECT").read_text().strip().splitlines()[0].strip()
    if text == "full":
        return None
    kind, colon, names = text.partition(":")
    if kind.strip() != "loses" or not colon:
        raise ValueError(f"{folder.name}/EXPECT must be `full` or `loses: fn1, fn2`, got {text!r}")
    functions = tuple(name.strip() for name in names.split(",") if name.strip())
    if not functions:
        raise ValueError(f"{folder.name}/EXPECT names no function: {text!r}")
    return functions


def _says(folder: Path) -> str | None:
    lines = (folder / "EXPECT").read_text().strip().splitlines()[1:]
    for line in lines:
        kind, _, words = line.partition(":")
        assert kind.strip() == "says" and words.strip(), f"{folder.name}/EXPECT: {line!r}"
        return words.strip()
    return None


def _param(folder: Path) -> Any:
    marks = [pytest.mark.slow] if (folder / "cnn.py").is_file() else []
    return pytest.param(folder, id=folder.name, marks=marks)


def _cli() -> list[str]:
    """The `autograder` console script of the environment running the tests."""
    for script in (Path(sys.executable).parent / "autograder", ROOT / ".venv" / "bin" / "autograder"):
        if script.is_file():
            return [str(script)]
    return [sys.executable, "-m", "autograder.cli"]


def _function_of(check_id: str, functions: tuple[str, ...]) -> str | None:
    """The exercise function a check belongs to: check ids start with `<function>-`."""
    matches = [f for f in functions if check_id == f or check_id.startswith(f + "-")]
    return max(matches, key=len) if matches else None


def _describe(checks: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {c['id']}: {c['status']} {c['points']}/{c['max_points']}: "
                     f"{' '.join(str(c['message']).split())[:400]}" for c in checks)


def _grade(folder: Path, out: Path) -> dict[str, Any]:
    command = [*_cli(), "grade", str(folder), "--out", str(out),
               "--only", ",".join(_exercises(folder))]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                         timeout=GRADE_TIMEOUT_S)
    assert run.returncode == 0, (f"`{' '.join(command)}` exited {run.returncode}\n"
                                 f"{run.stdout[-2000:]}\n{run.stderr[-4000:]}")
    return json.loads((out / "result.json").read_text())


@pytest.mark.parametrize("folder", [pytest.param(f, id=f.name) for f in _folders()])
def test_style_folder_is_well_formed(folder: Path) -> None:
    exercises = _exercises(folder)
    assert exercises, f"{folder.name} holds no exercise module"
    strays = sorted(p.name for p in folder.glob("*.py") if p.stem not in FUNCTIONS)
    assert not strays, f"{folder.name}: not an exercise module: {strays}"
    assert (folder / "README.md").read_text().strip(), f"{folder.name}/README.md is empty"
    named = _expect(folder) or ()
    _says(folder)
    graded = {f for name in exercises for f in FUNCTIONS[name]}
    assert set(named) <= graded, (f"{folder.name}/EXPECT names functions of exercises it does "
                                  f"not hold: {sorted(set(named) - graded)}")


@pytest.mark.parametrize("folder", [_param(f) for f in _folders()])
def test_style_submission_is_graded_as_expected(folder: Path, tmp_path: Path) -> None:
    result = _grade(folder, tmp_path / "out")
    assert not result["errors"], f"the submission was unusable: {result['errors']}"
    exercises = {e["name"]: e for e in result["exercises"]}
    assert sorted(exercises) == sorted(_exercises(folder))
    losers = _expect(folder)
    says = _says(folder)
    if says:
        messages = [str(c["message"]) for e in exercises.values() for c in e["checks"]]
        assert any(says in m for m in messages), f"no check of {folder.name} says {says!r}"

    if losers is None:
        failing = [c for e in exercises.values() for c in e["checks"]
                   if c["status"] != "pass" or c["points"] < c["max_points"]]
        assert not failing, (f"{folder.name} should score full marks, but "
                             f"{result['score']}/{result['max_score']}:\n{_describe(failing)}")
        assert result["score"] == result["max_score"]
        return

    by_function: dict[str, list[dict[str, Any]]] = {}
    for name, exercise in exercises.items():
        for check in exercise["checks"]:
            function = _function_of(check["id"], FUNCTIONS[name]) or f"<{name}>"
            by_function.setdefault(function, []).append(check)
    problems = []
    for function in losers:
        checks = by_function.get(function, [])
        lost = [c for c in checks if c["status"] != "pass" or c["points"] < c["max_points"]]
        if not checks:
            problems.append(f"{function}: no check of it was graded")
        elif not lost:
            earned = sum(c["points"] for c in checks)
            available = sum(c["max_points"] for c in checks)
            problems.append(f"{function} should lose points but kept {earned}/{available} "
                            f"({len(checks)} checks all pass)")
    for function, checks in sorted(by_function.items()):
        if function in losers:
            continue
        penalised = [c for c in checks if c["status"] != "pass" or c["points"] < c["max_points"]]
        if penalised:
            problems.append(f"{function} should keep its points, but:\n{_describe(penalised)}")
    assert not problems, (f"{folder.name} (EXPECT loses: {', '.join(losers)}), graded "
                          f"{result['score']}/{result['max_score']}:\n" + "\n".join(problems))
