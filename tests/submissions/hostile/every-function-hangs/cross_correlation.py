"""Hostile: every function of cross_correlation.py spins forever and swallows any BaseException (the
worker's SIGALRM CaseTimeout included) inside an endless loop; SIGTERM is ignored. Only a kill
from outside the process ends a call. With the other three NumPy exercises' modules, each built
the same way, one submission costs the grader a full timeout for every function of every
exercise if it waits for the child to give up."""

import contextlib
import signal

with contextlib.suppress(ValueError, OSError):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # hostile


def _spin():
    while True:  # hostile: the timeout's exception is caught and the loop resumes
        try:
            while True:
                pass
        except BaseException:  # the point of the attack
            pass


def correlate1d(x, kernel):
    _spin()


def convolve1d(x, kernel):
    _spin()


def correlate2d(image, kernel):
    _spin()


def correlate3d(volume, kernel):
    _spin()
