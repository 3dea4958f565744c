"""`autograder dev`: the kit authors' verbs.

    autograder dev new NAME [--function F ...]   scaffold a new exercise's files
    autograder dev check [EXERCISE ...]          the kit's invariants, exercise by exercise

An exercise is its stub (`exercises/<name>.py`), its reference (`solutions/<name>.py`), its
public cases (`autograder/core/checks/<name>.py`), its course file (`autograder/course/<name>.py`:
introduction, oracle, hidden-case plans, mutants), its thin test file
(`exercises/test_<name>.py`) and one entry in `autograder/registry.py`. `new` writes them with
TODOs where only the author knows the answer; `check` says what is still missing or wrong.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


# --- dev new --------------------------------------------------------------------------------

def _stub(name: str, title: str, functions: Sequence[str], number: int) -> str:
    defs = "".join(f'''

def {f}(x: ArrayLike) -> np.ndarray:
    """TODO: what `{f}` computes, for a 2D input `x (H, W)`.

    Raises:
        ValueError: if `x` is not 2D.
    """
    # TODO: the steps, as hints for the student.
    raise NotImplementedError("{f} is not implemented yet")
''' for f in functions)
    return f'''"""Exercise {number}: {title}.

TODO: what the exercise teaches, in the lecture's order and notation.

Conventions for this exercise:

- Inputs may be lists or arrays of any real dtype (`uint8` too); results come back as float
  `np.ndarray` (float64 recommended).
- Never modify the inputs.
- Raise `ValueError` for an input with the wrong number of dimensions.
- Use NumPy only: TensorFlow, Keras, SciPy, PyTorch and JAX may not be imported here.

Run the checks from the repository root with `pytest exercises/test_{name}.py` or
`autograder check {name}`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
{defs}'''


def _reference(name: str, functions: Sequence[str]) -> str:
    defs = "".join(f'''

def {f}(x: ArrayLike) -> np.ndarray:
    raise NotImplementedError("TODO: the reference of {f}, in NumPy")
''' for f in functions)
    return f'''"""Reference solution of exercise {name}."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
{defs}'''


def _cases(name: str, functions: Sequence[str]) -> str:
    rows = "".join(f'''    Case("{f}-example", 2, "TODO: what this case shows",
         Call("{f}", (np.arange(1, 7, dtype=float).reshape(2, 3),))),
    Case("{f}-rejects-1d", 1, "a 1D input", Call("{f}", (np.ones(3),)), raises=True),
''' for f in functions)
    return f'''"""Public checks of exercise {name}: TODO what they cover (the lecture's example first)."""

import numpy as np

from autograder.core.calls import Call
from autograder.core.checks import Case

CASES = (
{rows})
'''


def _course(name: str, functions: Sequence[str]) -> str:
    oracles = "".join(f'''

def tf_{f}(x: Any) -> np.ndarray:
    raise NotImplementedError("TODO: {f} computed by TensorFlow/Keras (ops.tf(), ops.keras())")
''' for f in functions)
    plans = "".join(f'''

def _cover_{f}(rng: np.random.Generator) -> list[Call]:
    """Each input kind, a single row and a single column."""
    shapes = ((d.size(rng, 2, 5), d.size(rng, 2, 5)), (1, d.size(rng, 2, 5)), (d.size(rng, 2, 5), 1))
    return [Call("{f}", (d.data(rng, shape, kind),)) for kind in d.KINDS for shape in shapes]


def _bad_{f}(rng: np.random.Generator) -> list[Call]:
    return [Call("{f}", (x,)) for x in (np.ones(3), np.ones((2, 2, 2)))]


def _draw_{f}(rng: np.random.Generator) -> Call:
    return Call("{f}", (d.image(rng, (d.size(rng, 1, 6), d.size(rng, 1, 6))),))
''' for f in functions)
    draws = ", ".join(f'"{f}": d.Plan(_cover_{f}, _bad_{f}, _draw_{f}, 10)' for f in functions)
    return f'''"""Exercise {name}, for instructors and authors: its notebook introduction, its TensorFlow
oracle, its hidden-case plans and its known-mistake mutants."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from autograder.core.calls import Call
from autograder.course import draws as d
from autograder.course import mutate as m
from autograder.course import tfops as ops

ABOUT = "TODO: what this exercise is about, in a few sentences of the notebook's own."


# --- the oracle -----------------------------------------------------------------------------
{oracles}

# --- hidden cases ---------------------------------------------------------------------------
{plans}

DRAWS = {{{draws}}}


# --- known mistakes -------------------------------------------------------------------------

def mutants(reference: ModuleType) -> dict[str, dict[str, m.Mutant]]:
    """`{{mistake: {{function: mutant}}}}`, each mutant the `reference` module with one mistake
    (mistake ids are keys of `autograder.registry.MISTAKES`)."""
    return {{}}  # TODO: at least one known mistake
'''


def _test_file(name: str) -> str:
    return f'''"""The public checks of exercise `{name}` (autograder/core/checks/{name}.py)."""

from autograder.student import make_test

test_{name} = make_test("{name}", __file__)
'''


def _registry_entry(name: str, title: str, functions: Sequence[str], weight: int) -> str:
    listed = ", ".join(f'"{f}"' for f in functions) + ("," if len(functions) == 1 else "")
    return f'''    Exercise(
        name="{name}",
        title="{title}",
        weight={weight},
        slides=(),
        functions=({listed}),
        hint="TODO: the rule in a few words, for a student whose answer is wrong.",
        forbidden_imports=NUMPY_ONLY,
    ),
'''


def new(name: str, functions: Sequence[str], *, title: str = "", weight: int = 10,
        root: Path = KIT_ROOT) -> list[Path]:
    """Scaffold exercise `name` in the kit at `root`; the files written (the registry last)."""
    from autograder.registry import BY_NAME, EXERCISES

    functions = list(functions) or [name]
    for word in (name, *functions):
        if not NAME.match(word) or keyword.iskeyword(word):
            raise ValueError(f"{word!r} is not a lower-case Python name")
    if name in BY_NAME:
        raise ValueError(f"there is already an exercise {name!r}")
    taken = {f for e in EXERCISES for f in e.functions} & set(functions)
    if taken:
        raise ValueError(f"other exercises already have {sorted(taken)}: function names are "
                         "unique across the unit")
    title = title or name.replace("_", " ").capitalize()
    files = {
        root / "exercises" / f"{name}.py": _stub(name, title, functions, len(EXERCISES) + 1),
        root / "exercises" / f"test_{name}.py": _test_file(name),
        root / "solutions" / f"{name}.py": _reference(name, functions),
        root / "autograder" / "core" / "checks" / f"{name}.py": _cases(name, functions),
        root / "autograder" / "course" / f"{name}.py": _course(name, functions),
    }
    existing = [p for p in files if p.exists()]
    if existing:
        raise ValueError(f"would overwrite {', '.join(str(p) for p in existing)}")
    registry = root / "autograder" / "registry.py"
    text = registry.read_text()
    end = text.index("\n)\n\nBY_NAME")  # the end of the EXERCISES tuple
    for file, content in files.items():
        file.write_text(content)
    registry.write_text(text[:end + 1] + _registry_entry(name, title, functions, weight)
                        + text[end + 1:])
    return [*files, registry]


# --- dev check ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str


def _course_findings(name: str, root: Path) -> list[Finding]:
    """The course file: an introduction, and an oracle and hidden cases for every function
    the fixtures back (build_cnn, judged by training, has neither)."""
    from autograder import course
    from autograder.core.checks import cases
    from autograder.registry import exercise as lookup

    found = []
    module = course.module(name)
    about = str(getattr(module, "ABOUT", ""))
    found.append(Finding(bool(about) and not about.startswith("TODO"),
                         "the notebook introduction (ABOUT) is written"))
    backed = {case.call.function for case in cases(name)}
    plans = course.plans(name)
    for function in lookup(name).functions:
        if function not in backed:
            continue
        has_oracle = callable(getattr(module, f"tf_{function}", None))
        found.append(Finding(has_oracle, f"{function}: an oracle (tf_{function})"))
        found.append(Finding(function in plans, f"{function}: hidden-case plans (DRAWS)"))
    return found


def _mutant_findings(name: str, root: Path) -> list[Finding]:
    """At least one known mistake, each caught by a public check whose message names it."""
    from autograder.authoring import mistakes
    from autograder.core.checks import public_checks
    from autograder.core.execute import run_call
    from autograder.registry import MISTAKES

    try:
        mutants = mistakes.mutants(name)
    except Exception as error:  # an author's mistake, reported
        return [Finding(False, f"the mutants load: {type(error).__name__}: {error}")]
    found = [Finding(bool(mutants), f"at least one known-mistake mutant ({len(mutants)})")]
    try:
        checks = [c for c in public_checks(name, profile="mnist-offline") if c.call.mode == "value"]
    except LookupError as error:  # no fixtures yet: said by the fixtures' step
        return [*found, Finding(False, f"the mutants can be judged: {error}")]
    for mistake, mutant in mutants.items():
        verdicts = [c.judge(run_call(mutant, c.call)) for c in checks]  # type: ignore[arg-type]
        named = any(not v.passed and MISTAKES[mistake].hint in f"{v.message} {v.hint}"
                    for v in verdicts)
        found.append(Finding(named, f"mutant {mistake}: a public check fails it and names it "
                                    "(regenerate the fixtures after adding one)"))
    return found


def _fixture_findings(name: str, root: Path) -> list[Finding]:
    from autograder.authoring import fixtures

    try:
        drift = fixtures.drift(name)
    except Exception as error:  # an oracle not written yet, reported
        return [Finding(False, f"the fixtures can be computed: {type(error).__name__}: {error}")]
    return [Finding(not drift, "the stored fixtures match the oracle" + (
        f" ({drift[0]}{'; ...' if len(drift) > 1 else ''}; run `python -m "
        f"autograder.authoring.fixtures --only {name}`)" if drift else ""))]


def _hidden_findings(name: str, root: Path) -> list[Finding]:
    """The reference raises ValueError on every bad argument of the hidden plans and agrees
    with the oracle on the cases drawn (seed 0)."""
    import numpy as np

    from autograder.authoring import oracle
    from autograder.core.judge import RaisesExpect
    from autograder.grading.hidden import hidden_checks

    try:
        checks = hidden_checks(name, seed=0, solutions=root / "solutions")
    except Exception as error:
        return [Finding(False, f"the hidden cases draw and the reference handles them: "
                               f"{type(error).__name__}: {error}")]
    wrong = []
    for check in checks:
        inner = check.expect.inner  # type: ignore[attr-defined]
        if isinstance(inner, RaisesExpect):
            continue
        try:
            truth = oracle.compute(check.call)
        except Exception as error:
            wrong.append(f"{check.call.describe()}: the oracle raised {type(error).__name__}")
            continue
        expected = inner.expected
        same = (np.shape(expected) == np.shape(truth) and bool(np.allclose(
            np.asarray(expected, dtype=float), np.asarray(truth, dtype=float), rtol=1e-9,
            atol=1e-9))) if isinstance(expected, np.ndarray) else expected == truth
        if not same:
            wrong.append(check.call.describe())
    return [Finding(bool(checks), f"hidden cases drawn ({len(checks)})"),
            Finding(not wrong, "the reference agrees with the oracle on every hidden case"
                    + (f" (not on {wrong[0]})" if wrong else ""))]


def _grading_findings(name: str, root: Path) -> list[Finding]:
    """Through the student loop, as a student would run it: the reference gets every point,
    the stub none."""
    from autograder.student.loop import check_exercise

    found = []
    for folder, want_full in (("solutions", True), ("exercises", False)):
        result = check_exercise(name, root / folder, profile="mnist-offline")
        score, top = result.score, result.max_score
        ok = score == top if want_full else score == 0
        label = "the reference gets full marks" if want_full else "the stub gets no points"
        found.append(Finding(ok, f"{label} ({score:g}/{top:g})"))
    return found


# Each step reads one exercise of the kit at `root`; its label names it when it cannot run.
STEPS: tuple[tuple[str, Callable[[str, Path], list[Finding]]], ...] = (
    ("the course file", _course_findings), ("the fixtures", _fixture_findings),
    ("the reference and the stub, checked", _grading_findings),
    ("the hidden cases", _hidden_findings), ("the mutants", _mutant_findings))


def check(names: Sequence[str] = (), *, root: Path = KIT_ROOT,
          say: Callable[[str], None] = print) -> bool:
    """Every invariant of the named exercises (default: all); whether all hold."""
    from autograder.registry import EXERCISES

    all_ok = True
    for name in names or [e.name for e in EXERCISES]:
        say(f"{name}:")
        for label, step in STEPS:
            try:
                findings = step(name, root)
            except Exception as error:  # one broken piece must not hide the rest
                findings = [Finding(False, f"{label}: {type(error).__name__}: {error}")]
            for finding in findings:
                say(f"  {'ok  ' if finding.ok else 'FAIL'} {finding.what}")
                all_ok &= finding.ok
    say("all invariants hold" if all_ok else "some invariants do not hold (FAIL above)")
    return all_ok


def main(argv: Sequence[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="autograder dev", description="The kit authors' verbs.")
    verbs = top.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    scaffold = verbs.add_parser("new", help="scaffold a new exercise's files")
    scaffold.add_argument("name", help="the exercise's name (a module name: lower_case)")
    scaffold.add_argument("--function", action="append", default=[], metavar="F",
                          help="a function students write (repeat; default: the exercise's name)")
    scaffold.add_argument("--title", default="", help="the exercise's title")
    scaffold.add_argument("--weight", type=int, default=10,
                          help="its share of the unit's points, relative to the others' "
                               "(default: 10)")
    inspect = verbs.add_parser("check", help="the kit's invariants for each exercise")
    inspect.add_argument("exercises", nargs="*", metavar="EXERCISE")
    args = top.parse_args(argv)
    if args.verb == "new":
        try:
            written = new(args.name, args.function, title=args.title, weight=args.weight)
        except ValueError as error:
            print(f"autograder dev new: {error}", file=sys.stderr)
            return 2
        print("Wrote:\n" + "\n".join(f"  {p.relative_to(KIT_ROOT)}" for p in written))
        print(f"Next: fill in the TODOs, then `python -m autograder.authoring.fixtures --only "
              f"{args.name}` and `autograder dev check {args.name}`.")
        return 0
    from autograder.registry import BY_NAME

    unknown = [n for n in args.exercises if n not in BY_NAME]
    if unknown:
        top.error(f"unknown exercise {unknown[0]!r}; choose from: {', '.join(BY_NAME)}")
    return 0 if check(args.exercises) else 1
