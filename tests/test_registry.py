"""The registry and the checks it derives: consistent, complete, and worth 100 points."""

import re

from autograder.core.checks import cases, public_checks
from autograder.registry import EXERCISES, MISTAKES
from tests.conftest import ROOT


def test_points_sum_to_100() -> None:
    assert sum(c.points for e in EXERCISES for c in public_checks(e.name)) == 100


def test_check_ids_are_unique_and_valid_nbgrader_grade_ids() -> None:
    ids = [c.id for e in EXERCISES for c in public_checks(e.name)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-zA-Z0-9_\-]+", i) for i in ids)


def test_every_function_has_a_check_and_every_check_a_known_function() -> None:
    for exercise in EXERCISES:
        called = {c.call.function for c in public_checks(exercise.name)}
        assert called == set(exercise.functions), exercise.name


def test_every_check_has_positive_points_and_a_title() -> None:
    for exercise in EXERCISES:
        for check in public_checks(exercise.name):
            assert check.points > 0 and check.title, check.id


def test_every_exercise_has_a_hint_and_the_numpy_ones_forbid_tensorflow() -> None:
    for exercise in EXERCISES:
        assert len(exercise.hint) > 40
        if not exercise.uses_tensorflow:
            assert {"tensorflow", "keras", "torch", "jax", "scipy"} <= set(exercise.forbidden_imports)
    assert "numpy.correlate" in EXERCISES[0].forbidden_calls["correlate1d"]


def test_every_mistake_has_a_label_and_a_hint() -> None:
    for mistake in MISTAKES.values():
        assert mistake.label and len(mistake.hint) > 30


def test_the_lecture_example_and_the_slide_examples_are_public_checks() -> None:
    calls = {c.id: c.call for e in EXERCISES for c in cases(e.name)}
    lecture = calls["correlate1d-lecture-example"]
    assert lecture.args == ([1, 3, 0, 1, 2, 2, 0, 2, 1, 0, 2, 1], [2, 0, 2, 1])
    assert calls["conv_output_shape-slide-example"].args == ((1, 28, 28, 5), 32, 5)
    assert calls["pool_output_shape-slide-example"].args == ((1, 24, 24, 32), (2, 2), (2, 2))


def test_todo_marks_only_the_student_action_points() -> None:
    for path in ROOT.glob("solutions/*.py"):
        assert "TODO" not in path.read_text(), path
    for exercise in EXERCISES:
        assert "# TODO:" in (ROOT / "exercises" / exercise.module).read_text()
