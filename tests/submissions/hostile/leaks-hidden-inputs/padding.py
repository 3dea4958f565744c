"""Hostile: try to read the hidden cases' inputs back through the feedback. Each call raises an
exception whose class name and message carry its inputs, and every third call prints them to
stderr and kills its own process; at import the module prints what its job folder holds.
`@@TOKEN@@` marks what it prints, so the test can look for it in what a student sees."""

import os
import sys

sys.stderr.write(f"@@TOKEN@@ job folder: {sorted(os.listdir('.'))}\n")
_calls = [0]


def _leak(*args):
    _calls[0] += 1
    shapes = "x".join(str(getattr(a, "shape", a)) for a in args)
    if _calls[0] % 3 == 0:
        sys.stderr.write(f"@@TOKEN@@ inputs: {args!r}\n")
        sys.stderr.flush()
        os._exit(3)
    kind = type("Shape_" + "".join(c for c in shapes if c.isalnum() or c == "_"), (Exception,), {})
    raise kind(f"@@TOKEN@@ {args!r}")


def same_padding(n, kernel_size, stride=1):
    _leak(n, kernel_size, stride)


def zero_pad(image, pads):
    _leak(image, pads)


def correlate2d_padded(image, kernel, padding="valid"):
    _leak(image, kernel, padding)
