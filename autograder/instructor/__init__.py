"""The instructor's verbs beyond one grade: `batch/`, `gradescope`, `notebooks/`,
`release`, `demo` and `doctor`.
"""
