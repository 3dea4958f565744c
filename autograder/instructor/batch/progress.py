"""The progress line on stderr: done out of total, errors so far, and the time left."""

from __future__ import annotations

import math
import statistics
from typing import TextIO

from autograder.instructor.batch.gradebook import Row, score_text


class Progress:
    """One line on a terminal, updated in place; a line per submission otherwise."""

    WIDTH = 24

    def __init__(self, total: int, parallel: int, stream: TextIO | None) -> None:
        self.total, self.parallel, self.stream = total, max(parallel, 1), stream
        self.done = self.errors = 0
        self.durations: list[float] = []
        self.tty = bool(stream and hasattr(stream, "isatty") and stream.isatty())
        self._shown = 0

    def eta(self) -> str:
        left = self.total - self.done
        if not left:
            return "done"
        if not self.durations:
            return "estimating time left"
        # `parallel` gradings at a time, each about as long as the mean so far
        seconds = statistics.fmean(self.durations) * math.ceil(left / self.parallel)
        if seconds < 90:
            return f"~{max(round(seconds), 1)} s left"
        return f"~{round(seconds / 60)} min left"

    def start(self, resumed: int) -> None:
        if self.stream is None:
            return
        if resumed:
            print(f"{resumed} unchanged submission(s) kept from the last run (--resume)",
                  file=self.stream, flush=True)
        if self.total:
            print(f"Grading {self.total} submission(s), {self.parallel} at a time",
                  file=self.stream, flush=True)
        self._draw("")

    def advance(self, row: Row) -> None:
        self.done += 1
        self.errors += row.status == "error"
        if row.result is not None:  # an error row's zero duration would skew the estimate
            self.durations.append(row.duration_s)
        self._draw(f"{row.student_id}: {score_text(row)} {row.status}")

    def _draw(self, last: str) -> None:
        if self.stream is None or not self.total:
            return
        errors = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
        counts = f"{self.done}/{self.total} graded{errors}, {self.eta()}"
        if self.tty:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + (">" if filled < self.WIDTH else "") + "-" * (self.WIDTH - filled - 1)
            text = f"[{bar}] {counts}"
            # blanks over what is left of a longer line drawn before (\r does not erase)
            pad = " " * max(self._shown - len(text), 0)
            self._shown = len(text)
            self.stream.write(f"\r{text}{pad}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif last:
            print(f"[{self.done}/{self.total}] {last} ({counts})", file=self.stream, flush=True)

    def close(self) -> None:
        # interrupted mid-way on a terminal: end the line, so that what follows starts clean
        if self.stream is not None and self.tty and 0 < self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
