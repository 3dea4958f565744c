"""Mutation testing of the kit's grader: cosmic-ray mutates the reference solutions, and the
grader's public and hidden checks are the test suite (`mutation.kill`). A mutant is killed when
grading it loses points; the score is killed / non-equivalent mutants. `make mutation` runs it
(`mutation.run`); `mutation/equivalent.toml` lists the survivors that compute the same function.
"""
