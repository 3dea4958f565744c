"""Hostile: the solutions folder is hidden, but the repository's git object store next to it is
not: find the reference among the loose objects, decompress it and delegate to it. Where nothing
is found each function returns a string saying so."""

import zlib
from pathlib import Path

import autograder

OBJECTS = Path(autograder.__file__).resolve().parents[1] / ".git" / "objects"
reference = {}
for blob in OBJECTS.glob("??/*"):  # hostile: every loose object of the repository
    try:
        data = zlib.decompress(blob.read_bytes())
    except (OSError, zlib.error):
        continue
    if data.startswith(b"blob ") and b"def correlate2d_padded" in data and b"Reference" in data:
        exec(data.split(b"\0", 1)[1].decode(), reference)  # hostile: run the instructor's code
        break


def same_padding(n, kernel_size, stride=1):
    return reference["same_padding"](n, kernel_size, stride) if reference else "no reference"


def zero_pad(image, pads):
    return reference["zero_pad"](image, pads) if reference else "no reference"


def correlate2d_padded(image, kernel, padding="valid"):
    return reference["correlate2d_padded"](image, kernel, padding) if reference else "no reference"
