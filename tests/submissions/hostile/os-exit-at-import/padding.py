"""Hostile: kill the worker process while it imports the module, with no clean-up and no result."""

import os

os._exit(0)  # hostile: a "successful" exit before any result is written


def same_padding(n, kernel_size, stride=1):
    return 0, 0


def zero_pad(image, pads):
    return image


def correlate2d_padded(image, kernel, padding="valid"):
    return image
