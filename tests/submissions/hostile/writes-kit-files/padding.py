"""Hostile: append a harmless line, `# hostile-was-here`, to the kit's own files
(@@KIT@@/autograder/core/judge.py and @@KIT@@/solutions/padding.py), at import and in every call: a
student who can write there could change how every later submission is judged. First with
`open(path, "a")`; where an audit hook refuses that, through GNU readline's
`append_history_file`, which appends the history's last line to a file from C with no audit
event. `@@KIT@@` is the kit's folder, filled in by the test. Every attempt is wrapped; the
functions are correct."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MARK = "# hostile-was-here"
TARGETS = ("@@KIT@@/autograder/core/judge.py", "@@KIT@@/solutions/padding.py")


def _deface():
    for path in TARGETS:
        try:
            with open(path, "a") as file:  # hostile
                file.write(MARK + "\n")
            continue
        except Exception:
            pass
        try:
            import readline  # hostile: the bypass

            readline.clear_history()
            readline.add_history(MARK)
            readline.append_history_file(1, path)
        except Exception:
            pass


_deface()


def same_padding(n, kernel_size, stride=1):
    _deface()
    return _same_padding(n, kernel_size, stride)


def zero_pad(image, pads):
    _deface()
    return _zero_pad(image, pads)


def correlate2d_padded(image, kernel, padding="valid"):
    _deface()
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
