"""Hostile: SystemExit(0) while the module is imported, hoping the worker treats it as success."""

import sys

sys.exit(0)  # hostile: raises SystemExit(0)


def same_padding(n, kernel_size, stride=1):
    return 0, 0


def zero_pad(image, pads):
    return image


def correlate2d_padded(image, kernel, padding="valid"):
    return image
