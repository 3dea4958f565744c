"""What runs inside the sandbox: the worker and its audit hook. It imports only `core`,
`registry` and `grading.wire` (tests/test_import_contract.py): that is all the job folder's copy
of the kit holds.
"""
