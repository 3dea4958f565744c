"""The folders here are hostile submissions: data for tests/test_hostile.py, never tests.

Some hold files that would harm a test run if pytest imported them (a `conftest.py` that ends
the process, a `sitecustomize.py`): never collect anything below this folder.
"""

collect_ignore_glob = ["*"]
