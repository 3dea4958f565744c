"""summary.html, the class report beside summary.md: the same facts as pictures, plus the
timing of the batch and a link to every student's feedback.

The page holds, in this order: the score histogram of the class; the pass rate of every public
check as a horizontal bar chart, in course order; how many students made each named mistake of
the registry (`autograder.registry.MISTAKES`: a check's hint is the hint of the mistakes its
output matched, `autograder.core.judge._hint`, so a student made a mistake when one of their
checks' hints contains that mistake's hint text); the batch's timing (wall time, the mean and
median time per submission, how many at a time); and a table of the students with a relative
link to `<student folder>/feedback.html` (the folder the batch recorded for each student,
`Submission.out_folder`).

The charts are drawn with matplotlib's Agg canvas (imported only when the page is written, no
pyplot, no global backend switch) in colour-blind-safe colours (`tab10`'s blue and orange,
`cividis` for the histogram) and embedded as base64 PNG `<img>`s: the page is one file that
opens anywhere. Without matplotlib the page has the tables only and says so. Every chart also
has its numbers in a table beside it.

Everything that came from a student (ids, reasons, the labels of their folders) is shown with
`shown_id` and `html.escape`d: `<img src=x onerror=...>` stays text, and a link's target is the
folder name percent-encoded.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from autograder.instructor.batch.discover import shown_id
from autograder.instructor.batch.gradebook import Row, max_score, points, status_counts
from autograder.registry import MISTAKES

SUMMARY_HTML = "summary.html"  # beside summary.md in OUT (files.RESERVED_NAMES keeps it free)
FEEDBACK_HTML = "feedback.html"
_BLUE, _ORANGE = "#1f77b4", "#ff7f0e"  # tab10's first two: told apart with any colour vision


@dataclass(frozen=True)
class Timing:
    """The timing of a batch: what the page's timing table shows."""

    wall_s: float  # the whole batch, discovery to the gradebook written
    jobs: int  # gradings at a time


def check_pass_rates(rows: Sequence[Row]) -> list[tuple[str, str, int, int]]:
    """(exercise, check id, passed, with a result) for every public check, in course order."""
    passed: dict[tuple[str, str], int] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.result is None:
            continue
        for exercise in row.result.exercises:
            for check in exercise.checks:
                if check.visibility != "public":
                    continue
                key = (exercise.name, check.id)
                seen[key] = seen.get(key, 0) + 1
                passed[key] = passed.get(key, 0) + (check.status == "pass")
    return [(e, c, passed[(e, c)], n) for (e, c), n in seen.items()]


def mistakes_of(row: Row) -> set[str]:
    """The ids of the registry's named mistakes that any check of this student matched."""
    if row.result is None:
        return set()
    hints = [c.hint for e in row.result.exercises for c in e.checks if c.hint]
    return {name for name, mistake in MISTAKES.items() if any(mistake.hint in h for h in hints)}


def mistake_counts(rows: Sequence[Row]) -> list[tuple[str, str, int]]:
    """(mistake id, label, students who made it) for each mistake someone made, in the
    registry's order."""
    made = [mistakes_of(r) for r in rows]
    counts = [(name, MISTAKES[name].label, sum(name in m for m in made)) for name in MISTAKES]
    return [c for c in counts if c[2]]


def summary_html(rows: Sequence[Row], settings: dict[str, Any] | None, *,
                 folders: Mapping[str, str], out: Path, timing: Timing,
                 sandbox: str = "") -> str:
    """The page (see the module docstring). `folders`: each student id's folder in `out`, as
    the batch recorded it; a link is made where `out/<folder>/feedback.html` exists."""
    rows = sorted(rows, key=lambda r: r.student_id)
    with_result = [r for r in rows if r.result]
    maximum = max_score(rows) or 0.0
    charts = _Charts()
    body: list[str] = ["<h1>Class report</h1>"]
    if any(r.status == "pending" for r in rows):
        pending = sum(r.status == "pending" for r in rows)
        body.append(f"<p class=warn><strong>INCOMPLETE</strong>: the batch was stopped before "
                    f"it graded everyone ({pending} of {len(rows)} not graded yet; run it again "
                    "with <code>--resume</code>).</p>")
    if settings:
        body.append(f"<p>Exercises: {_e(', '.join(settings['exercises']))} · seed "
                    f"{_e(str(settings['seed']))}"
                    + (f" · data profile {_e(settings['profile'])}" if settings["profile"] else "")
                    + f" · kit {_e(str(settings['kit_version']))}</p>")
    if sandbox:
        body.append(f"<p>{_e(sandbox)}</p>")
    counts = status_counts(rows)
    body.append(f"<p><strong>{len(rows)} students</strong>: "
                + _e(", ".join(f"{n} {s}" for s, n in counts.items() if n)) + ".</p>")
    if not charts.available:
        body.append(f"<p class=warn>{_e(charts.why)}: this page has tables only.</p>")
    body += _histogram_section(with_result, maximum, charts)
    body += _checks_section(with_result, charts)
    body += _mistakes_section(with_result, charts)
    body += _timing_section(with_result, timing)
    body += _students_section(rows, folders, out)
    return _PAGE.format(body="\n".join(body))


def _histogram_section(with_result: Sequence[Row], maximum: float, charts: _Charts) -> list[str]:
    lines = ["<h2>Score histogram</h2>"]
    if not with_result or not maximum:
        return [*lines, "<p>No student has a score.</p>"]
    scores = [r.score for r in with_result]
    bins = [0] * 10
    for score in scores:
        bins[min(int(100 * score / maximum // 10), 9)] += 1
    labels = [f"{i * 10}–{i * 10 + 9 if i < 9 else 100}%" for i in range(10)]
    lines.append(f"<p>Score out of {points(maximum)}, over the {len(scores)} students with a "
                 f"result: mean {points(statistics.fmean(scores))}, median "
                 f"{points(statistics.median(scores))}, min {points(min(scores))}, max "
                 f"{points(max(scores))}; full marks: {sum(s >= maximum for s in scores)}.</p>")
    lines += charts.image("Score histogram: students per 10-point bin of the percent score",
                          lambda: charts.histogram(labels, bins))
    lines += _table(("score (% of max)", "students"), [(label, str(n)) for label, n
                                                       in zip(labels, bins, strict=True)])
    return lines


def _checks_section(with_result: Sequence[Row], charts: _Charts) -> list[str]:
    lines = ["<h2>Public checks</h2>"]
    rates = check_pass_rates(with_result)
    if not rates:
        return [*lines, "<p>No public check has a result.</p>"]
    lines.append("<p>Students who passed each public check, out of those with a result, in "
                 "course order.</p>")
    names = [f"{e}: {c}" for e, c, _, _ in rates]
    percents = [100 * n / total for _, _, n, total in rates]
    lines += charts.image("Pass rate of every public check, in course order",
                          lambda: charts.barh(names, percents, "students who passed (%)",
                                              _BLUE, xmax=100))
    lines += _table(("exercise", "check", "passed", "%"),
                    [(e, c, f"{n}/{total}", str(round(100 * n / total)))
                     for e, c, n, total in rates])
    return lines


def _mistakes_section(with_result: Sequence[Row], charts: _Charts) -> list[str]:
    lines = ["<h2>Named mistakes</h2>"]
    counts = mistake_counts(with_result)
    if not counts:
        return [*lines, "<p>No student's answer matched a named mistake.</p>"]
    lines.append("<p>Students whose answers matched each known mistake (a student counts once "
                 "per mistake, however many checks showed it).</p>")
    lines += charts.image("Students who made each named mistake",
                          lambda: charts.barh([label for _, label, _ in counts],
                                              [float(n) for _, _, n in counts], "students",
                                              _ORANGE, whole=True))
    lines += _table(("mistake", "id", "students"),
                    [(label, name, str(n)) for name, label, n in counts])
    return lines


def _timing_section(with_result: Sequence[Row], timing: Timing) -> list[str]:
    durations = [r.duration_s for r in with_result]
    resumed = sum(r.resumed for r in with_result)
    rows = [("total wall time", f"{timing.wall_s:.1f} s"), ("jobs (at a time)", str(timing.jobs))]
    if durations:
        rows += [("per submission, mean", f"{statistics.fmean(durations):.2f} s"),
                 ("per submission, median", f"{statistics.median(durations):.2f} s"),
                 ("slowest submission", f"{max(durations):.2f} s")]
    if resumed:
        rows.append(("kept from an earlier run (--resume)", str(resumed)))
    return ["<h2>Timing</h2>", *_table(("", ""), rows)]


def _students_section(rows: Sequence[Row], folders: Mapping[str, str], out: Path) -> list[str]:
    lines = ["<h2>Students</h2>", "<table><thead><tr><th>student</th><th>status</th>"
             "<th class=num>score</th><th>feedback</th></tr></thead><tbody>"]
    for row in rows:
        folder = folders.get(row.student_id, "")
        link = ""
        if folder and (out / folder / FEEDBACK_HTML).is_file():
            href = quote(f"{folder}/{FEEDBACK_HTML}")
            link = f'<a href="{_e(href)}">feedback.html</a>'
        elif row.status == "error":
            link = _e(_first_line(row.error))
        score = f"{points(row.score)}/{points(row.result.max_score)}" if row.result else ""
        lines.append(f"<tr><td>{_e(shown_id(row.student_id))}</td><td>{_e(row.status)}</td>"
                     f"<td class=num>{score}</td><td>{link}</td></tr>")
    return [*lines, "</tbody></table>"]


class _Charts:
    """matplotlib, if it can be imported: each chart a base64 PNG `<img>`."""

    def __init__(self) -> None:
        self.why = ""
        try:
            from matplotlib import colormaps
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as error:
            self.why = f"matplotlib cannot be imported ({error})"
        else:
            self._figure, self._canvas, self._colormaps = Figure, FigureCanvasAgg, colormaps
            self._integers = MaxNLocator

    @property
    def available(self) -> bool:
        return not self.why

    def image(self, alt: str, draw: Any) -> list[str]:
        """The `<img>` of `draw()` (a figure), or nothing when charts are not available (the
        table beside it says the same)."""
        if not self.available:
            return []
        try:
            figure = draw()
            buffer = io.BytesIO()
            self._canvas(figure).print_png(buffer, metadata={"Software": None})
        except Exception as error:  # a chart that cannot be drawn leaves its table
            return [f"<p class=warn>The chart could not be drawn: {_e(str(error))}</p>"]
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return [f'<p><img src="data:image/png;base64,{data}" alt="{_e(alt)}"></p>']

    def histogram(self, labels: Sequence[str], counts: Sequence[int]) -> Any:
        figure = self._figure(figsize=(8, 3.2), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        colours = self._colormaps["cividis"]([i / 9 for i in range(10)])
        axes.bar(range(10), counts, color=colours, edgecolor="#333333")
        axes.set_xticks(range(10), labels, fontsize=8)
        axes.set_xlabel("score (% of the maximum)")
        axes.set_ylabel("students")
        axes.yaxis.set_major_locator(self._integers(integer=True))
        return figure

    def barh(self, names: Sequence[str], values: Sequence[float], xlabel: str, colour: str, *,
             xmax: float | None = None, whole: bool = False) -> Any:
        figure = self._figure(figsize=(8, 0.9 + 0.3 * len(names)), dpi=100,
                              layout="constrained")
        axes = figure.add_subplot()
        positions = range(len(names))
        axes.barh(positions, values, color=colour)
        axes.set_yticks(positions, names, fontsize=8)
        axes.invert_yaxis()  # the first at the top: course order reads down
        axes.set_xlabel(xlabel)
        if xmax is not None:
            axes.set_xlim(0, xmax)
        if whole:
            axes.xaxis.set_major_locator(self._integers(integer=True))
        for y, value in zip(positions, values, strict=True):
            axes.text(value, y, f" {value:.0f}", va="center", fontsize=8)
        return figure


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = ["<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows]
    return [f"<table><thead><tr>{head}</tr></thead><tbody>", *body, "</tbody></table>"]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _first_line(text: str) -> str:
    return next((s.strip() for s in text.splitlines() if s.strip()), "")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Class report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }}
td.num, th.num {{ text-align: right; }}
img {{ max-width: 100%; }}
.warn {{ background: #fff3cd; padding: 0.4rem 0.6rem; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
