"""The student loop, shipped in the student bundle: `autograder check` and the thin pytest
files in `exercises/` (`make_test`, and `summary` for their closing lines). It imports only
`core` and `registry` (tests/test_import_contract.py).
"""

from autograder.student.loop import make_test, summary

__all__ = ["make_test", "summary"]
