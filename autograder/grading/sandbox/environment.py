"""The child's whole environment, built from scratch: nothing is copied from the grader's own
environment, which may hold secrets the child must not see."""

from __future__ import annotations

import os
from pathlib import Path

# Also the PATH on which the parent looks up argv[0], so it finds what the child would find.
MIN_PATH = "/usr/local/bin:/usr/bin:/bin"

# Everything the child sees besides HOME, TMPDIR, MPLCONFIGDIR, PWD and the run marker, which
# depend on the run.
_FIXED_ENV = {
    "PATH": MIN_PATH,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONNOUSERSITE": "1",
    "MPLBACKEND": "Agg",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # Several sandboxes run side by side in a batch: keep each one to a core or two.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# The grader's share of the cores (a batch worker's: cores // --jobs); TensorFlow's thread pools
# in the child are sized to it. Default: every core this process may use.
THREADS_VAR = "AUTOGRADER_THREADS"
# Every process of one run inherits this variable with a fresh random value; without bwrap it
# is how strays that left the process group and the session are found again in /proc.
MARKER_VAR = "AUTOGRADER_SANDBOX_RUN"
# The fd on which the child reports progress (any byte): see `Limits.idle_s`.
PROGRESS_FD_VAR = "AUTOGRADER_PROGRESS_FD"
ENV_KEYS = frozenset({*_FIXED_ENV, "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                      "HOME", "TMPDIR", "MPLCONFIGDIR", "PWD", MARKER_VAR,
                      PROGRESS_FD_VAR})


def child_environment(job: Path, marker: str) -> dict[str, str]:
    """The environment of one run in `job`, creating its private HOME and TMPDIR there."""
    home, tmp = job / ".home", job / ".tmp"
    for d in (home, tmp):
        if d.is_symlink() or (d.exists() and not d.is_dir()):
            d.unlink()  # left by an earlier run in the same job dir: do not follow it
        d.mkdir(exist_ok=True)
    threads = str(threads_here())
    return {
        **_FIXED_ENV,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "HOME": str(home),  # Keras and matplotlib write caches under HOME
        "TMPDIR": str(tmp),
        "MPLCONFIGDIR": str(home),
        "PWD": str(job),  # bwrap --chdir sets it; set it in both modes alike
        MARKER_VAR: marker,
    }


def threads_here() -> int:
    """`AUTOGRADER_THREADS`, else the cores this process may run on."""
    text = os.environ.get(THREADS_VAR, "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
