"""`autograder dev`: a new exercise is its own files plus one registry entry.

In a throw-away copy of the kit, `dev new` scaffolds an exercise (a 2D kernel flip, the step
that turns cross-correlation into convolution), `dev check` says what is missing, the test
fills in the TODOs of its own files only, and then `dev check`, `grade`, `release` and
`notebooks` handle it with no other file of the kit touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

NAME, FUNCTION = "kernel_flip", "flip2d"
OWN_FILES = {f"exercises/{NAME}.py", f"exercises/test_{NAME}.py", f"solutions/{NAME}.py",
             f"autograder/core/checks/{NAME}.py", f"autograder/course/{NAME}.py",
             f"autograder/core/checks/fixtures/{NAME}.json"}


def _kit_copy(tmp: Path) -> Path:
    """The kit's files (tracked or new, as they are in the working tree) in a fresh git repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    copy = tmp / "kit"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    for command in (["init", "-q"], ["add", "-A"],
                    ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "kit"]):
        subprocess.run(["git", *command], cwd=copy, check=True, capture_output=True)
    return copy


def _cli(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The copy's own `autograder` (its package first on the path), run in the copy."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run([sys.executable, "-c", "import sys; from autograder.cli import main; "
                           "sys.exit(main())", *args], cwd=copy, env=env, text=True,
                          capture_output=True, timeout=900)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _fill(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: no {old!r}"
    path.write_text(text.replace(old, new))


def _changed(copy: Path) -> set[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=copy,
                         capture_output=True, text=True, check=True).stdout
    return {line[3:] for line in out.splitlines() if "__pycache__" not in line}


@pytest.mark.slow
def test_a_new_exercise_needs_only_its_own_files_and_a_registry_entry(tmp_path: Path) -> None:
    copy = _kit_copy(tmp_path)
    done = _cli(copy, "dev", "new", NAME, "--function", FUNCTION, "--title", "Flipping a kernel")
    assert f"autograder/course/{NAME}.py" in done.stdout

    # Scaffolded, not yet written: dev check says what is missing and fails.
    early = _cli(copy, "dev", "check", NAME, check=False)
    assert early.returncode == 1
    assert "FAIL the fixtures can be computed: NotImplementedError" in early.stdout
    assert "FAIL the notebook introduction (ABOUT) is written" in early.stdout
    assert "FAIL at least one known-mistake mutant (0)" in early.stdout

    # The author fills in the TODOs: the reference, the oracle, one mutant, the introduction.
    _fill(copy / "solutions" / f"{NAME}.py",
          f'    raise NotImplementedError("TODO: the reference of {FUNCTION}, in NumPy")',
          "    x = np.array(x, dtype=np.float64)\n"
          "    if x.ndim != 2:\n"
          '        raise ValueError(f"expected a 2D kernel, got {x.ndim} dimensions")\n'
          "    return x[::-1, ::-1].copy()")
    course = copy / "autograder" / "course" / f"{NAME}.py"
    _fill(course, f'    raise NotImplementedError("TODO: {FUNCTION} computed by TensorFlow/Keras '
                  '(ops.tf(), ops.keras())")',
          "    return ops.tf().reverse(ops.f64(x), axis=[0, 1]).numpy()")
    _fill(course, "    return {}  # TODO: at least one known mistake",
          f'    return {{"unflipped_kernel": {{"{FUNCTION}": lambda x: m.f(x)}}}}')
    _fill(course, 'ABOUT = "TODO: what this exercise is about, in a few sentences of the '
                  "notebook's own.\"",
          'ABOUT = "A true convolution turns the kernel round first: flip both of its axes."')
    subprocess.run([sys.executable, "-m", "autograder.authoring.fixtures", "--only", NAME],
                   cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)}, check=True,
                   capture_output=True, timeout=600)

    done = _cli(copy, "dev", "check", NAME)
    assert "FAIL" not in done.stdout and "all invariants hold" in done.stdout

    # The grader grades it, with its share of the unit's 100 points.
    graded = json.loads(_cli(copy, "grade", "solutions", "--only", NAME, "--json").stdout)
    (exercise,) = graded["exercises"]
    assert exercise["name"] == NAME and exercise["score"] == exercise["max_score"] > 0
    stub = json.loads(_cli(copy, "grade", "exercises", "--only", NAME, "--json").stdout)
    assert stub["exercises"][0]["score"] == 0

    # The student bundle ships its stub and checks, not its course file or reference.
    _cli(copy, "release", str(tmp_path / "bundle"))
    bundle = tmp_path / "bundle"
    assert (bundle / "exercises" / f"{NAME}.py").is_file()
    assert (bundle / "autograder" / "core" / "checks" / f"{NAME}.py").is_file()
    assert not (bundle / "autograder" / "course").exists()
    assert not list(bundle.rglob(f"solutions/{NAME}.py"))

    # nbgrader's source notebook carries its introduction and its tests.
    _cli(copy, "notebooks", str(tmp_path / "course"), "--only", NAME)
    notebook = next((tmp_path / "course").rglob(f"{NAME}.ipynb"))
    text = notebook.read_text()
    assert "flip both of its axes" in text and f"{FUNCTION}-example" in text

    # No file of another exercise, no engine: only its own files and the registry.
    assert _changed(copy) == OWN_FILES | {"autograder/registry.py"}
