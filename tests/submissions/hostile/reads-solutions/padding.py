"""Hostile: find the instructor's reference solution and delegate to it. Where it is hidden, each
function returns a string saying what it found (so the feedback shows the attempt ran)."""

import importlib
import sys
from pathlib import Path

import autograder

REPO = Path(autograder.__file__).resolve().parents[1]
reference = None
tried = []

# hostile 1: read solutions/padding.py next to the installed grader and exec it
try:
    namespace = {"__name__": "stolen_reference"}
    exec((REPO / "solutions" / "padding.py").read_text(), namespace)
    reference = namespace
except Exception as error:
    tried.append(f"read: {type(error).__name__}")

# hostile 2: import it as a package, with the repository root on sys.path
if reference is None:
    sys.path.insert(0, str(REPO))
    try:
        reference = vars(importlib.import_module("solutions.padding"))
    except Exception as error:
        tried.append(f"import: {type(error).__name__}")

# hostile 3: the hidden checks' own loader, pointed at the reference folder
if reference is None:
    try:
        from autograder.student import load_module

        reference = vars(load_module(REPO / "solutions" / "padding.py"))
    except Exception as error:
        tried.append(f"load_module: {type(error).__name__}")

FOUND = "no reference: " + ", ".join(tried)


def same_padding(n, kernel_size, stride=1):
    return reference["same_padding"](n, kernel_size, stride) if reference else FOUND


def zero_pad(image, pads):
    return reference["zero_pad"](image, pads) if reference else FOUND


def correlate2d_padded(image, kernel, padding="valid"):
    return reference["correlate2d_padded"](image, kernel, padding) if reference else FOUND
