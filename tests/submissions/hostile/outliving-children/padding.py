"""Hostile: leave processes behind that try to outlive the grader: one in a new session, one
double-forked daemon. `@@SLEEP_A@@` and `@@SLEEP_B@@` are unique sleep lengths (98765.x and
98766.x seconds) the test looks for afterwards; otherwise correct."""

import os
import subprocess

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# hostile: a child in its own session and process group, detached from our pipes
subprocess.Popen(["sleep", "@@SLEEP_A@@"], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

# hostile: the classic daemon: fork, setsid, fork again, exec; the middle process exits
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.execvp("sleep", ["sleep", "@@SLEEP_B@@"])
    os._exit(0)
os.wait()


def same_padding(n, kernel_size, stride=1):
    if min(n, kernel_size, stride) < 1:
        raise ValueError(f"n, kernel_size and stride must be positive, got {n, kernel_size, stride}")
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return total // 2, total - total // 2


def zero_pad(image, pads):
    image = np.asarray(image, dtype=float)
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) or (H, W, C) array, got shape {image.shape}")
    (top, bottom), (left, right) = pads
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"pads must be non-negative, got {pads}")
    return np.pad(image, [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2))


def correlate2d_padded(image, kernel, padding="valid"):
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding {padding!r}")
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "same":
        image = zero_pad(image, [same_padding(image.shape[i], kernel.shape[i]) for i in (0, 1)])
    return np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)
