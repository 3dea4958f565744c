"""Each known student mistake, written as a mutant of the reference, fails at least one public
check with a message that names it."""

import pytest

from autograder.authoring import mistakes
from autograder.core.checks import public_checks
from autograder.core.execute import run_call
from autograder.registry import EXERCISES, MISTAKES

# The mistakes the exercise kit issue lists, by registry id: all must be caught.
REQUIRED = {
    "flipped_kernel", "off_by_one", "symmetric_same", "extra_top_left", "ceil_stride",
    "subsampled_stride", "forgot_bias", "relu_before_bias", "channels_not_summed",
    "kernel_layout", "avg_counts_padding", "max_pads_zeros", "pool_stride_one",
    "pool_across_channels", "flatten_channels_first", "integer_truncation", "uint8_overflow",
    "modifies_input",
}
# The mistakes the mutation run taught (mutants that the public checks let through, `make
# mutation --public-only`): each now has a public check that names it, in these exercises.
FROM_MUTATION = {
    "floor_same": {"padding", "stride", "pooling", "cnn"},
    "negative_same_padding": {"padding"},
    "swapped_stride": {"stride", "pooling", "cnn"},
}

MUTANTS = [(m, e.name) for m in MISTAKES for e in EXERCISES if mistakes.overrides(m, e.name)]


def test_every_required_mistake_has_a_mutant() -> None:
    assert {m for m, _ in MUTANTS} >= REQUIRED | set(FROM_MUTATION)
    assert {m for m, _ in MUTANTS} <= set(MISTAKES)


def test_the_mistakes_from_the_mutation_run_cover_their_exercises() -> None:
    for mistake, exercises in FROM_MUTATION.items():
        assert {e for m, e in MUTANTS if m == mistake} == exercises, mistake


@pytest.mark.parametrize(("mistake", "exercise"), MUTANTS, ids=[f"{m}-{e}" for m, e in MUTANTS])
def test_mutant_fails_a_public_check_that_names_the_mistake(mistake: str, exercise: str) -> None:
    mutant = mistakes.mutants(exercise)[mistake]
    checks = [c for c in public_checks(exercise, profile="mnist-offline") if c.call.mode == "value"]
    failures = [c.judge(run_call(mutant, c.call)) for c in checks]
    failures = [v for v in failures if not v.passed]
    assert failures, f"no public check catches {mistake} in {exercise}"
    named = [v for v in failures if MISTAKES[mistake].hint in f"{v.message} {v.hint}"]
    assert named, f"{mistake}: {[v.message for v in failures]}"
