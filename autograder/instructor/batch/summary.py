"""summary.md, the instructor's overview of a batch: the same file whether the batch ran on a
local pool or on a Dask cluster, in whatever order the results arrived.

Everything in it that came from a student (a student id, an error message, a note from their
code's crash) is escaped for Markdown and HTML, so it renders as the text it is: `&`, `<`, `>`
become `&amp;`, `&lt;`, `&gt;` (no raw HTML: `<img src=x onerror=...>` stays text), and the
characters that would make a link, a code span, emphasis, a table cell or a heading (`[`, `]`,
backtick, `*`, `_`, `~`, `|`, `\\`, a leading `#`) become numeric character references
(`&#91;`, ...), so `[x](javascript:...)` is no link; line ends and runs of blanks become one
space; other characters that are not printable are shown as escapes (`\\x07`, as in grades.csv).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from autograder.instructor.batch.discover import shown_id
from autograder.instructor.batch.gradebook import Row, max_score, points, status_counts


def summary_markdown(rows: Sequence[Row], settings: dict[str, Any] | None = None, *,
                     sandbox: str = "") -> str:
    """summary.md: totals, a score histogram, each check's pass count, and the submissions
    that need a look; first, when a stopped batch left students ungraded (status "pending"),
    an INCOMPLETE line. `sandbox`: the sandbox line of the batch (`doctor.sandbox_banner`).
    Deterministic: nothing in it depends on timing or order of arrival."""
    rows = sorted(rows, key=lambda r: r.student_id)
    with_result = [r for r in rows if r.result]
    maximum = max_score(rows)
    lines = ["# Batch summary", ""]
    lines += _incomplete(rows)
    if settings:
        lines += [f"Exercises: {', '.join(settings['exercises'])} · seed {settings['seed']}"
                  + (f" · data profile {settings['profile']}" if settings["profile"] else "")
                  + f" · kit {settings['kit_version']}", ""]
    if sandbox:
        lines += [_md(sandbox, width=2000, table=False), ""]
    counts = status_counts(rows)
    lines += [f"**{len(rows)} students**: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
              + ".", ""]
    if with_result and maximum:
        scores = [r.score for r in with_result]
        lines += [f"Score out of {points(maximum)}, over the {len(scores)} students with a result: "
                  f"mean {points(statistics.fmean(scores))}, median "
                  f"{points(statistics.median(scores))}, min {points(min(scores))}, max "
                  f"{points(max(scores))}; full marks: {sum(s >= maximum for s in scores)}.", ""]
        lines += ["## Score histogram", "", "Percent of the maximum, 10-point bins:", ""]
        lines += [*_histogram([100 * s / maximum for s in scores]), ""]
    lines += _check_table(with_result)
    lines += _attention(rows)
    lines += _notes(with_result)
    return "\n".join(lines)


INCOMPLETE = "**INCOMPLETE**"  # how summary.md of a stopped batch begins (after its title)


def _incomplete(rows: Sequence[Row]) -> list[str]:
    """A stopped batch: how many were graded, who was not, and how to go on."""
    pending = [r.student_id for r in rows if r.status == "pending"]
    if not pending:
        return []
    shown = ", ".join(_student(s) for s in pending[:20]) + (
        f" and {len(pending) - 20} more" if len(pending) > 20 else "")
    return [f"{INCOMPLETE}: the batch was stopped (Ctrl-C) before it graded everyone: "
            f"{len(rows) - len(pending)} of {len(rows)} students graded, {len(pending)} not "
            f"graded yet (status `pending` in grades.csv, no score): {shown}. Run the same "
            "command with `--resume` to grade the rest; what is graded is kept.", ""]


def _attention(rows: Sequence[Row]) -> list[str]:
    """The rows that are not plainly graded, with the reason of each (the pending ones are
    named in the INCOMPLETE line)."""
    attention = [r for r in rows if r.status not in ("graded", "pending")]
    lines = ["## Submissions that errored, timed out or could not be read", ""]
    if attention:
        lines += ["| student | status | reason |", "|---|---|---|"]
        lines += [f"| {_student(r.student_id)} | {r.status} | {_md(_reason(r))} |" for r in attention]
    else:
        lines.append("None.")
    return [*lines, ""]


def _notes(with_result: Sequence[Row]) -> list[str]:
    """Graded rows with an exercise that could not run (empty when there is none)."""
    notes = [(r, e) for r in with_result if r.status == "graded" and r.result
             for e in r.result.exercises if e.note]
    if not notes:
        return []
    lines = ["## Exercises that could not run", "",
             "A missing module, a syntax error, or code that crashed on import: scored 0 "
             "for that exercise.", "", "| student | exercise | note |", "|---|---|---|"]
    lines += [f"| {_student(r.student_id)} | {e.name} | {_md(_first_line(e.note))} |"
              for r, e in notes]
    return [*lines, ""]


def _check_table(with_result: Sequence[Row]) -> list[str]:
    if not with_result:
        return []
    visibility: dict[tuple[str, str], str] = {}  # (exercise, check id), in course order
    passed: dict[tuple[str, str], int] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in with_result:
        assert row.result is not None
        for exercise in row.result.exercises:
            for check in exercise.checks:
                key = (exercise.name, check.id)
                visibility.setdefault(key, check.visibility)
                seen[key] = seen.get(key, 0) + 1
                passed[key] = passed.get(key, 0) + (check.status == "pass")
    lines = ["## Checks", "", f"Students who passed each check, out of those with a result "
             f"({len(with_result)}), in course order:", "",
             "| exercise | check | visibility | passed | % |", "|---|---|---|---:|---:|"]
    for key, shown in visibility.items():
        n, total = passed[key], seen[key]
        lines.append(f"| {key[0]} | `{key[1]}` | {shown} | {n}/{total} | "
                     f"{round(100 * n / total)} |")
    hardest = sorted(visibility, key=lambda k: passed[k] / seen[k])[:5]
    hardest = [k for k in hardest if passed[k] < seen[k]]
    if hardest:
        lines += ["", "Hardest: " + ", ".join(f"`{k[1]}` ({passed[k]}/{seen[k]})" for k in hardest)
                  + "."]
    return [*lines, ""]


def _histogram(percents: Sequence[float]) -> list[str]:
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    widest = max(bins, default=0)
    lines = ["```text"]
    for i, count in enumerate(bins):
        label = f"{i * 10}–{i * 10 + 9 if i < 9 else 100}%"
        bar = "#" * (round(40 * count / widest) if widest else 0)
        lines.append(f"{label:>8} | {bar}{' ' if bar else ''}{count}")
    lines.append("```")
    return lines


def _reason(row: Row) -> str:
    if row.result is None:
        return row.error
    if row.status == "malformed":
        return row.result.errors[0]
    if row.status == "timeout":
        timed_out = [c for e in row.result.exercises for c in e.checks if c.status == "timeout"]
        return f"{len(timed_out)} check(s) timed out, first: {timed_out[0].id}: " \
               f"{_first_line(timed_out[0].message)}"
    return ""


# What a student's text must not keep as it is in summary.md (see the module docstring).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;",
             **{ch: f"&#{ord(ch)};" for ch in "[]`*_~|\\"}}
_STUDENT_TEXT = re.compile("[" + re.escape("".join(_ENTITIES)) + "]|^#")


def _md(text: str, width: int = 160, table: bool = True) -> str:
    """One line of table-safe Markdown from text a student's code produced (`table=False`: a
    paragraph of the kit's own, where only what Markdown or HTML would read is escaped, so that
    `|` and `_` stay plain)."""
    line = shown_id(" ".join(text.split()))
    if len(line) > width:
        line = line[: width - 3] + "..."
    if table:
        return _STUDENT_TEXT.sub(lambda m: _ENTITIES.get(m.group(0), "&#35;"), line)
    for ch in "\\<>[]*":
        line = line.replace(ch, "\\" + ch)
    return line


def _student(student_id: str) -> str:
    """A student id in summary.md: shown as in grades.csv (`shown_id`: a tab or a line end is
    its escape, not a blank), then escaped as `_md` escapes."""
    return _md(shown_id(student_id))


def _first_line(text: str) -> str:
    return next((s.strip() for s in text.splitlines() if s.strip()), "")
