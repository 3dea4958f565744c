"""Hostile: every function spins forever and swallows whatever the grader raises in it (the
in-process timer, KeyboardInterrupt, SystemExit), and ignores the catchable signals: only a
deadline enforced from outside the process stops it."""

import signal

for name in ("SIGALRM", "SIGPROF", "SIGVTALRM", "SIGTERM", "SIGINT", "SIGXCPU", "SIGHUP"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)


def _spin():
    while True:
        try:
            while True:
                sum(range(1000))
        except BaseException:  # hostile: nothing the grader raises gets out
            pass


def same_padding(n, kernel_size, stride=1):
    _spin()


def zero_pad(image, pads):
    _spin()


def correlate2d_padded(image, kernel, padding="valid"):
    _spin()
