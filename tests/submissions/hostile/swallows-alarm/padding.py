"""Hostile: every function spins forever and swallows whatever interrupts it (the worker's
SIGALRM-driven CaseTimeout, KeyboardInterrupt, SystemExit: any BaseException) inside an endless
loop, and SIGTERM is ignored: no in-process timeout can stop a call, only a kill from outside
the process. The import itself is quick and harmless."""

import signal

try:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # hostile: a polite kill does nothing
except (ValueError, OSError):
    pass


def _spin():
    while True:  # hostile: whatever the handler raises is caught and the loop resumes
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001 - the point of the attack
            pass


def same_padding(n, kernel_size, stride=1):
    _spin()


def zero_pad(image, pads):
    _spin()


def correlate2d_padded(image, kernel, padding="valid"):
    _spin()
