"""What students and the grader share, shipped in the student bundle: the call model
(`calls`), judging (`judge`), the results model (`results`), the public checks and their stored
expected values (`checks/`, `fixtures`), the MNIST data profiles (`data`), the static policy and
the call guard (`policy`, `callguard`), the model tracer (`modelspec`), the probes of a
student's model (`probes`) and the submission collector (`collect/`).

Nothing here imports `grading`, `instructor` or `authoring` (tests/test_import_contract.py).
"""
