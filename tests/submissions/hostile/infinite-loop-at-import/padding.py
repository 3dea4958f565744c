"""Hostile: the import never finishes, and the worker's per-call alarm is switched off first, so
only the parent's wall clock can stop it."""

import signal

for _timer in (signal.SIGALRM, signal.SIGPROF, signal.SIGVTALRM):  # hostile: ignore the worker's timers
    signal.signal(_timer, signal.SIG_IGN)
while True:  # hostile: spin forever at import
    pass


def same_padding(n, kernel_size, stride=1):
    return 0, 0


def zero_pad(image, pads):
    return image


def correlate2d_padded(image, kernel, padding="valid"):
    return image
