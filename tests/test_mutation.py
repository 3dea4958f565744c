"""The mutation run's judge (`mutation.kill`): the grader's public and hidden checks, gated as
`autograder grade` gates them, decide whether a mutant of a reference module survives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.registry import EXERCISES
from mutation.kill import grade_module, lost_points
from mutation.run import MODULES, load_equivalents
from tests.conftest import ROOT

SOLUTIONS = ROOT / "solutions"


def _mutant(tmp_path: Path, before: str, after: str) -> Path:
    """solutions/padding.py with one change, in a folder of its own."""
    source = (SOLUTIONS / "padding.py").read_text()
    assert source.count(before) == 1, before
    (tmp_path / "padding.py").write_text(source.replace(before, after))
    return tmp_path


@pytest.mark.parametrize("module", MODULES)
def test_the_reference_survives(module: str, tmp_path: Path) -> None:
    shutil.copy(SOLUTIONS / f"{module}.py", tmp_path)
    assert lost_points(grade_module(module, tmp_path, seed=7)) == 0


def test_a_mutant_of_the_rule_loses_its_function(tmp_path: Path) -> None:
    folder = _mutant(tmp_path, "return total // 2, total - total // 2",
                     "return total - total // 2, total // 2")
    results = grade_module("padding", folder, seed=7)
    lost = {r.id for r in results if r.visibility == "public" and r.points < r.max_points}
    assert {r.id for r in results if r.id.startswith("same_padding-")
            and r.visibility == "public"} <= lost


def test_a_mutant_that_accepts_bad_arguments_loses_a_point(tmp_path: Path) -> None:
    folder = _mutant(tmp_path, "value < 1:", "value < 0:")  # n=0, a kernel of 0 get through
    results = grade_module("padding", folder, seed=7)
    assert 0 < lost_points(results) <= 3, [(r.id, r.message) for r in results if r.points < r.max_points]
    assert any("did not raise ValueError" in r.message for r in results)


def test_every_listed_equivalent_mutant_has_a_reason() -> None:
    equivalents = load_equivalents()
    assert equivalents
    modules = {e.module.removesuffix(".py") for e in EXERCISES}
    for key, entry in equivalents.items():
        assert key.split(".py ")[0] in modules, key
        assert len(entry.reason) > 20, key
