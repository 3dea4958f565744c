"""Hostile: smuggle the hidden cases' inputs out into the feedback the student reads (a
broader sibling of leaks-hidden-inputs). At import, print to stderr the job folder's listing
(inputs.npz holds every case's arrays), the shapes of what inputs.npz holds and
/proc/self/cmdline. In every call, print the arguments to stderr and then, by turns: raise
`ValueError(repr(args))`; raise an exception of a class made on the spot whose very NAME spells
the input (`Shape_5x7`, `Args_7x3x1`), its message the arguments' repr; or end the process with
`os._exit(3)` so that the grader's crash note quotes the stderr tail. Everything printed carries
`@@TOKEN@@`, for the test to look for. The functions never return a value."""

import os
import sys

TOKEN = "@@TOKEN@@"
_calls = 0


def _say(text):
    try:
        sys.stderr.write(f"{TOKEN} {text}\n")
        sys.stderr.flush()
    except Exception:
        pass


def _spy():
    try:
        _say(f"job folder {os.getcwd()}: {sorted(os.listdir('.'))}")
    except Exception as error:
        _say(f"no listing: {error!r}")
    try:
        import numpy as np

        for folder in (".", ".."):
            path = os.path.join(folder, "inputs.npz")
            if os.path.exists(path):
                with np.load(path, allow_pickle=False) as inputs:
                    _say("inputs.npz " + ", ".join(
                        f"{key}={'x'.join(map(str, inputs[key].shape))}:{inputs[key].ravel()[:6]!r}"
                        for key in inputs.files))
    except Exception as error:
        _say(f"no inputs.npz: {error!r}")
    try:
        with open("/proc/self/cmdline", "rb") as file:
            _say(f"cmdline {file.read()!r}")
    except Exception as error:
        _say(f"no cmdline: {error!r}")


_spy()


def _dims(value):
    shape = getattr(value, "shape", None)
    if shape is not None:
        return "x".join(map(str, shape)) or "0"
    if isinstance(value, (int, float)):
        return str(value)
    return str(len(value)) if hasattr(value, "__len__") else "1"


def _leak(*args):
    global _calls
    _calls += 1
    _say(f"call {_calls}: {args!r}")
    kind = _calls % 3
    if kind == 1:
        raise ValueError(f"{TOKEN} {args!r}")
    if kind == 2:
        first = args[0]
        prefix = "Shape_" if hasattr(first, "shape") else "Args_"
        name = prefix + ("x".join(_dims(a) for a in args if not isinstance(a, str))
                         .replace("-", "m").replace(".", "p").replace(" ", ""))
        leaked = type(name, (Exception,), {})
        raise leaked(f"{TOKEN} array({args!r})")
    _say(f"exiting after {args!r}")
    os._exit(3)


def same_padding(n, kernel_size, stride=1):
    _leak(n, kernel_size, stride)


def zero_pad(image, pads):
    _leak(image, pads)


def correlate2d_padded(image, kernel, padding="valid"):
    _leak(image, kernel, padding)
