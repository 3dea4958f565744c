"""The progress of a batch on stderr: done out of total, errors so far, the rate and the time left.

On a terminal: a `rich` progress bar, redrawn in place (a few times a second, so the elapsed
time and the estimate move while a long grading runs), with the count, the errors so far, the
rate in gradings per minute and the time left (rich's estimate from the recent rate; before it
has two results to go by, the kit's own from the mean grading time and the parallelism), the
time elapsed, and a line above the bar for each submission that did not plainly grade (error,
timeout, malformed):

    Grading ━━━━━━━━━━━━━━━━╸─────────  17/40 1 error 6.2/min 0:02:45 ETA 0:03:42 alice: 15/15 graded

Anywhere else (a log file, a pipe, CI): plain lines, one per submission, that a reader or a
test can rely on:

    [3/40] alice: 15/15 graded (3/40 graded, 1 error, ~2 min left)

Student ids are shown with `discover.shown_id` in both (a control character in a folder name
is an escape, never a byte sent to the terminal), and the bar reads them as plain text, never
as rich markup.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any, TextIO

from autograder.instructor.batch.discover import shown_id
from autograder.instructor.batch.gradebook import Row, score_text

if TYPE_CHECKING:  # rich is imported only where a bar is drawn (never in a pool worker)
    from rich.console import Console
    from rich.progress import Progress as RichProgress


class Progress:
    """A `rich` bar on a terminal; a line per submission otherwise.

    `console`: the seam for tests and embedding: a `rich.console.Console` to draw on; the bar is
    drawn when it is a terminal (`Console(force_terminal=True)`), plain lines go to its file
    otherwise. Without it, `stream` decides: a terminal (`isatty()`) gets the bar."""

    REFRESH_PER_SECOND = 4
    RATE_WINDOW_S = 120.0  # rich's rate (and so its estimate): from the results of this window

    def __init__(self, total: int, parallel: int, stream: TextIO | None, *,
                 console: Console | None = None) -> None:
        self.total, self.parallel = total, max(parallel, 1)
        self.stream = console.file if console is not None else stream
        self.done = self.errors = 0
        self.durations: list[float] = []
        if console is not None:
            self.tty = console.is_terminal
        else:
            self.tty = bool(stream and hasattr(stream, "isatty") and stream.isatty())
        self._console = console
        self._bar: RichProgress | None = None
        self._task: Any = None

    def eta_seconds(self) -> float | None:
        """The kit's own estimate of the time left: `parallel` gradings at a time, each about
        as long as the mean so far; None before the first result."""
        if not self.durations:
            return None
        left = self.total - self.done
        return statistics.fmean(self.durations) * math.ceil(left / self.parallel)

    def eta(self) -> str:
        if not self.total - self.done:
            return "done"
        seconds = self.eta_seconds()
        if seconds is None:
            return "estimating time left"
        if seconds < 90:
            return f"~{max(round(seconds), 1)} s left"
        return f"~{round(seconds / 60)} min left"

    def start(self, resumed: int) -> None:
        if self.stream is None:
            return
        if resumed:
            self._say(f"{resumed} unchanged submission(s) kept from the last run (--resume)")
        if self.total:
            self._say(f"Grading {self.total} submission(s), {self.parallel} at a time")
        if self.tty and self.total:
            self._bar = self._rich_bar()
            self._task = self._bar.add_task("grading", total=self.total, errors="", last="")
            self._bar.start()

    def advance(self, row: Row) -> None:
        self.done += 1
        self.errors += row.status == "error"
        if row.result is not None:  # an error row's zero duration would skew the estimate
            self.durations.append(row.duration_s)
        last = f"{shown_id(row.student_id)}: {score_text(row)} {row.status}"
        if self._bar is not None:
            if row.status not in ("graded", "pending"):
                self._bar.console.print(last, markup=False, highlight=False)
            errors = f"{self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
            self._bar.update(self._task, advance=1, errors=errors, last=last, refresh=True)
            if self.done == self.total:
                self._bar.stop()
                self._bar = None
        elif self.stream is not None and self.total:
            errors = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
            print(f"[{self.done}/{self.total}] {last} ({self.done}/{self.total} graded{errors}, "
                  f"{self.eta()})", file=self.stream, flush=True)

    def close(self) -> None:
        # interrupted mid-way on a terminal: stop the bar (it ends its line), so that what
        # follows starts clean
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _say(self, line: str) -> None:
        if self._console is not None:
            self._console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)

    def _rich_bar(self) -> RichProgress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        own = self

        class Rate(ProgressColumn):
            """Gradings per minute, over the recent window."""

            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("-/min" if speed is None else f"{60 * speed:.1f}/min",
                            style="progress.data.speed")

        class Eta(ProgressColumn):
            """The time left: rich's estimate, the kit's before rich has one."""

            max_refresh = 0.5

            def render(self, task: Task) -> Text:
                if task.finished:
                    return Text("done", style="progress.remaining")
                seconds = task.time_remaining
                if seconds is None:
                    seconds = own.eta_seconds()
                return Text("ETA " + ("-:--:--" if seconds is None else _clock(seconds)),
                            style="progress.remaining")

        console = self._console or Console(file=self.stream, force_terminal=True, highlight=False)
        return Progress(TextColumn("Grading"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[errors]}", style="red", markup=False),
                        Rate(), TimeElapsedColumn(), Eta(),
                        TextColumn("{task.fields[last]}", markup=False),
                        console=console, refresh_per_second=self.REFRESH_PER_SECOND,
                        speed_estimate_period=self.RATE_WINDOW_S,
                        redirect_stdout=False, redirect_stderr=False)


def _clock(seconds: float) -> str:
    whole = max(math.ceil(seconds), 0)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
