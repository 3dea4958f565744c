"""Views of a `SubmissionResult`: Markdown and HTML feedback, Gradescope's results.json and a
terminal summary.

Every function here only reads the results model (`autograder.core.results`) and the registry's
titles and hints; verdicts and scores are computed elsewhere and never changed here.

What a student may see of a check depends on its visibility: a public check shows its id,
points, message and hint; a hidden check shows only its name, its status and its message (the
grader writes hidden messages without inputs or expected values). A failing public check with
small maps (`CheckResult.arrays`) also shows them: as text grids in Markdown and the terminal
(`autograder.core.grids`), as an embedded PNG in HTML (`autograder.core.pictures`); a hidden
check never does. Everything taken from a result is escaped for the format it goes into.
"""

from __future__ import annotations

import base64
import html as _html
import re
from collections.abc import Iterable
from typing import Any

from autograder.core.grids import grid
from autograder.core.judge import Reason
from autograder.core.results import CheckResult, ExerciseResult, SubmissionResult
from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup

__all__ = ["gradescope", "html", "markdown", "terminal"]

_MARKS = {"pass": "✅", "fail": "❌", "error": "💥", "timeout": "⏱️", "policy": "🚫"}
_SEE_NOTE = "(see the note above)"


# --- what every view shares ---------------------------------------------------------------


def _points(value: float) -> str:
    """`7`, `2.5`: points without float noise."""
    return f"{round(value, 2):g}"


def _score(earned: float, maximum: float) -> str:
    return f"{_points(earned)}/{_points(maximum)}"


def _exercise_info(result: SubmissionResult, index: int) -> tuple[int, str, str | None]:
    """(number in course order, title, registry hint) of the index-th exercise of a result;
    an exercise the registry does not know keeps its name and its position."""
    name = result.exercises[index].name
    try:
        exercise = lookup(name)
    except KeyError:
        return index + 1, name, None
    return EXERCISES.index(exercise) + 1, exercise.title, exercise.hint


def _hidden(check: CheckResult) -> bool:
    return check.visibility == "hidden"


def _maps(check: CheckResult) -> dict[str, Any] | None:
    """The maps a check may show: a failing public check's only."""
    return None if _hidden(check) or check.status == "pass" else check.arrays


def _grid(check: CheckResult) -> str | None:
    maps = _maps(check)
    return grid(maps) if maps else None


def _failing(exercise: ExerciseResult) -> list[CheckResult]:
    return [c for c in exercise.checks if c.status != "pass"]


def _shows_exercise_hint(exercise: ExerciseResult) -> bool:
    """The registry's hint helps when points were lost to wrong code: not when nothing is
    implemented yet, and not when a note (a missing file, an import that failed) explains it."""
    if exercise.note or exercise.score >= exercise.max_score:
        return False
    failing = _failing(exercise)
    return bool(failing) and not all(c.reason == Reason.NOT_IMPLEMENTED for c in failing)


def _message(check: CheckResult, note: str) -> str:
    """A check's message, unless it only repeats the exercise's note shown above it."""
    message = check.message.strip()
    if message and note and message in note:
        return _SEE_NOTE
    return message


def _first_line(text: str, width: int = 120) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= width else line[: width - 3] + "..."


def _footer_items(result: SubmissionResult) -> list[tuple[str, str]]:
    items = [("Sandbox", result.sandbox), ("Data profile", result.profile),
             ("Kit version", result.kit_version), ("Started", result.started)]
    shown = [(label, value) for label, value in items if value]
    if result.duration_s:
        shown.append(("Duration", f"{result.duration_s:.1f} s"))
    return shown


# --- Markdown ---------------------------------------------------------------------------------

# `*` between spaces and `_` inside a word cannot start emphasis: left as they are.
_MD_SPECIAL = re.compile(r"[\\`\[\]<>|#]|(?<!\s)\*|\*(?!\s)|(?<!\w)_|_(?!\w)")


def _md(text: str) -> str:
    """Inline Markdown text: one line, the characters that would format or inject escaped."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), flat)


def _md_block(text: str, indent: str = "") -> list[str]:
    """A fenced block that keeps arrays and tracebacks as they are, whatever they contain."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}text", *(f"{indent}{line}" for line in text.splitlines()),
            f"{indent}{fence}"]


def _md_quote(label: str, text: str, indent: str = "") -> list[str]:
    return [f"{indent}> **{label}** {_md(text)}"]


def _md_check(check: CheckResult, note: str) -> list[str]:
    mark = f"{_MARKS.get(check.status, '?')} **{check.status}**"
    message = _message(check, note) if check.status != "pass" else ""
    if _hidden(check):
        lines = [f"- {mark} · {_md(check.name)} _(hidden check)_"]
        if message == _SEE_NOTE:
            return [*lines, f"  _{message}_"]
        return lines + (_md_block(message, "  ") if message else [])
    lines = [f"- {mark} · `{check.id.replace('`', '')}` {_md(check.name)} — "
             f"{_score(check.points, check.max_points)}"]
    if message == _SEE_NOTE:
        lines.append(f"  _{message}_")
    elif message:
        lines += _md_block(message, "  ")
    shown = _grid(check)
    if shown:
        lines += _md_block(shown, "  ")
    if check.status != "pass" and check.hint:
        lines += _md_quote("Hint:", check.hint, "  ")
    return lines


def markdown(result: SubmissionResult) -> str:
    """Feedback a student can act on, as Markdown: total, overview table, then every check."""
    lines = [f"# Feedback: {_md(result.submission)}", "",
             f"**Total: {_score(result.score, result.max_score)} points**", ""]
    if result.errors or result.notes:
        lines += ["**About the submission:**", ""]
        for error in (*result.errors, *result.notes):
            first, _, rest = error.strip().partition("\n")
            lines += [f"- {_md(first)}", *(_md_block(rest, "  ") if rest.strip() else [])]
        lines.append("")
    if result.exercises:
        lines += ["| # | Exercise | Score |", "|---:|---|---:|"]
        for index, exercise in enumerate(result.exercises):
            number, title, _ = _exercise_info(result, index)
            mark = (_MARKS["pass"] if exercise.passed and exercise.checks
                    else "🟡" if exercise.score > 0 else _MARKS["fail"])
            lines.append(f"| {number} | {_md(title)} | {mark} "
                         f"{_score(exercise.score, exercise.max_score)} |")
        lines.append("")
    else:
        lines += ["No exercises were graded.", ""]
    for index, exercise in enumerate(result.exercises):
        number, title, hint = _exercise_info(result, index)
        lines += [f"## {number}. {_md(title)} — {_score(exercise.score, exercise.max_score)}", "",
                  f"File: `{exercise.name.replace('`', '')}.py`", ""]
        if exercise.note:
            lines += ["**Note:**", "", *_md_block(exercise.note.strip()), ""]
        if not exercise.checks:
            lines += ["No checks ran for this exercise.", ""]
        for check in exercise.checks:
            lines += _md_check(check, exercise.note)
        if exercise.checks:
            lines.append("")
        if hint and _shows_exercise_hint(exercise):
            lines += [*_md_quote("About this exercise:", hint), ""]
    footer = _footer_items(result)
    if footer:
        lines += ["---", "", "<sub>" + _html.escape(" · ".join(f"{k}: {v}" for k, v in footer))
                  + "</sub>", ""]
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --error: #bc4c00; --timeout: #8250df;
  --policy: #57606a; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
.page { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
header { border-bottom: 2px solid var(--line); padding-bottom: 1rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 0; display: flex; gap: 1rem; align-items: baseline;
  justify-content: space-between; }
.total { font-size: 2rem; font-weight: 700; margin: .5rem 0 .35rem; }
.total small { font-size: 1rem; font-weight: 400; color: var(--muted); }
.bar { height: .9rem; background: #eaeef2; border-radius: .45rem; overflow: hidden;
  border: 1px solid var(--line); }
.bar > span { display: block; height: 100%; background: var(--pass); }
.bar.partial > span { background: #d4a72c; }
.bar.low > span { background: var(--fail); }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1.25rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td a { color: inherit; }
section.exercise { border: 1px solid var(--line); border-radius: .5rem; padding: 1rem 1.1rem;
  margin: 0 0 1.25rem; break-inside: avoid-page; }
.file { color: var(--muted); margin: .15rem 0 .6rem; }
.score { white-space: nowrap; font-variant-numeric: tabular-nums; }
ul.checks { list-style: none; margin: 0; padding: 0; }
ul.checks > li { padding: .45rem 0; border-top: 1px solid #eef1f4; break-inside: avoid; }
ul.checks > li:first-child { border-top: 0; }
.line { display: flex; gap: .6rem; align-items: baseline; }
.line .name { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.line code { font-size: .85em; color: var(--muted); }
.badge { display: inline-block; flex: none; width: 5rem; text-align: center; border-radius: 1rem;
  padding: .05rem .5rem; font-size: .75rem; font-weight: 700; text-transform: uppercase;
  letter-spacing: .03em; color: #fff; background: var(--policy); }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.error { background: var(--error); } .badge.timeout { background: var(--timeout); }
.badge.policy { background: var(--policy); } .badge.partial { background: #9a6700; }
.tag { font-size: .75rem; color: var(--muted); border: 1px solid var(--line);
  border-radius: .25rem; padding: 0 .3rem; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: .35rem;
  padding: .5rem .7rem; margin: .4rem 0 0 5.6rem; white-space: pre-wrap;
  overflow-wrap: anywhere; font: .82rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas,
  monospace; }
.hint { margin: .4rem 0 0 5.6rem; padding: .35rem .7rem; border-left: 3px solid #d4a72c;
  background: #fff8c5; }
.about { margin: .75rem 0 0; padding: .5rem .75rem; border-left: 3px solid #0969da;
  background: #ddf4ff; }
.note, .problems { margin: 0 0 .75rem; padding: .5rem .75rem; border-left: 3px solid var(--fail);
  background: #ffebe9; }
.note pre, .problems pre { margin-left: 0; background: #fff; }
.problems ul { margin: .25rem 0 0; padding-left: 1.2rem; }
figure.maps { margin: .4rem 0 0 5.6rem; }
figure.maps img { display: block; max-width: 100%; height: auto; }
figure.maps figcaption { color: var(--muted); font-size: .8rem; }
.see { margin: .2rem 0 0 5.6rem; color: var(--muted); font-style: italic; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem;
  margin: 0; }
footer dt { font-weight: 600; } footer dd { margin: 0; overflow-wrap: anywhere; }
@media print {
  body { font-size: 11pt; }
  .page { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  td a { text-decoration: none; }
}
"""


def _e(text: object) -> str:
    return _html.escape(str(text), quote=True)


def _anchor(index: int, name: str) -> str:
    return "ex-" + str(index + 1) + "-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _percent(result: SubmissionResult) -> str:
    if result.max_score <= 0:
        return ""
    return f" ({100 * result.score / result.max_score:.0f}%)"


def _bar(earned: float, maximum: float) -> str:
    percent = 100 * earned / maximum if maximum > 0 else 0.0
    percent = min(max(percent, 0.0), 100.0)
    level = "" if percent >= 100 else " partial" if percent >= 50 else " low"
    return (f'<div class="bar{level}" role="img" aria-label="{percent:.0f}% of the points">'
            f'<span style="width: {percent:.1f}%"></span></div>')


def _html_error(error: str) -> str:
    first, _, rest = error.strip().partition("\n")
    block = f"<pre>{_e(rest)}</pre>" if rest.strip() else ""
    return f"<li>{_e(first)}{block}</li>"


def _html_message(message: str) -> str:
    if message == _SEE_NOTE:
        return f'<p class="see">{_e(message)}</p>'
    return f"<pre>{_e(message)}</pre>"


_MAPS_CAPTION = ("Expected, returned and their difference (returned − expected); expected and "
                 "returned share one colour scale; wrong cells are outlined.")


_MODEL_CAPTION = ("The model the grader trained from your build_cnn(): what its first Conv2D "
                  "learned (kernels: orange and purple weigh in opposite directions), the maps it "
                  "makes of one test digit, and how the test digits were classified.")
_MODEL_ALT = "The trained model's first-layer kernels, feature maps and confusion matrix"


def _html_pictures(check: CheckResult) -> list[str]:
    """A public check's pictures (`pictures.draw`: a failing check's maps, or the MNIST check's
    trained model) as an embedded PNG; a failing check's text grid when matplotlib is missing or
    the maps cannot be drawn."""
    arrays = None if _hidden(check) else check.arrays
    if not arrays:
        return []
    model = arrays.get("kind") == "cnn"
    try:
        from autograder.core import pictures

        picture = pictures.draw(arrays)
    except ImportError:
        picture = None
    if picture is None:
        shown = None if model else grid(arrays)
        return [f"<pre>{_e(shown)}</pre>"] if shown else []
    data = base64.b64encode(picture).decode("ascii")
    alt, caption = ((_MODEL_ALT, _MODEL_CAPTION) if model else
                    (f"Heatmaps of the expected and the returned map of {check.id}", _MAPS_CAPTION))
    return [f'<figure class="maps"><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"]


def _html_check(check: CheckResult, note: str) -> list[str]:
    status = check.status if check.status in _MARKS else "policy"
    badge = f'<span class="badge {status}">{_e(check.status)}</span>'
    message = _message(check, note) if check.status != "pass" else ""
    if _hidden(check):
        parts = [f'<li class="check hidden {status}"><div class="line">{badge}'
                 f'<span class="name">{_e(check.name)}</span>'
                 f'<span class="tag">hidden check</span></div>']
        if message:
            parts.append(_html_message(message))
        return [*parts, "</li>"]
    parts = [f'<li class="check {status}"><div class="line">{badge}'
             f'<span class="name">{_e(check.name)} <code>{_e(check.id)}</code></span>'
             f'<span class="score">{_e(_score(check.points, check.max_points))}</span></div>']
    if message:
        parts.append(_html_message(message))
    parts += _html_pictures(check)
    if check.status != "pass" and check.hint:
        parts.append(f'<p class="hint"><strong>Hint:</strong> {_e(check.hint)}</p>')
    return [*parts, "</li>"]


def html(result: SubmissionResult) -> str:
    """The feedback as one self-contained HTML5 page: inline CSS, no script, nothing fetched."""
    total = _score(result.score, result.max_score)
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Feedback: {_e(result.submission)} ({_e(total)})</title>",
        f"<style>{_CSS}</style>", "</head>", "<body>", '<div class="page">', "<header>",
        f"<h1>Feedback: {_e(result.submission)}</h1>",
        f'<p class="total">{_e(total)} <small>points{_percent(result)}</small></p>',
        _bar(result.score, result.max_score), "</header>", "<main>",
    ]
    if result.errors or result.notes:
        out += ['<div class="problems"><strong>About the submission:</strong><ul>',
                *(_html_error(e) for e in (*result.errors, *result.notes)),
                "</ul></div>"]
    if result.exercises:
        out += ["<table>", '<thead><tr><th class="num">#</th><th>Exercise</th>'
                '<th>Status</th><th class="num">Score</th></tr></thead>', "<tbody>"]
        for index, exercise in enumerate(result.exercises):
            number, title, _ = _exercise_info(result, index)
            done = exercise.passed and bool(exercise.checks)
            state = ("pass", "done") if done else (
                ("partial", "partial") if exercise.score > 0 else ("fail", "to do"))
            status = f'<span class="badge {state[0]}">{state[1]}</span>'
            out.append(f'<tr><td class="num">{number}</td><td><a href="#'
                       f'{_e(_anchor(index, exercise.name))}">{_e(title)}</a></td>'
                       f'<td>{status}</td><td class="num score">'
                       f"{_e(_score(exercise.score, exercise.max_score))}</td></tr>")
        out += ["</tbody>", "</table>"]
    else:
        out.append('<p class="empty">No exercises were graded.</p>')
    for index, exercise in enumerate(result.exercises):
        number, title, hint = _exercise_info(result, index)
        out += [f'<section class="exercise" id="{_e(_anchor(index, exercise.name))}">',
                f"<h2><span>{number}. {_e(title)}</span><span class=\"score\">"
                f"{_e(_score(exercise.score, exercise.max_score))}</span></h2>",
                f'<p class="file">File: <code>{_e(exercise.name)}.py</code></p>']
        if exercise.note:
            out.append(f'<div class="note"><strong>Note:</strong>'
                       f"<pre>{_e(exercise.note.strip())}</pre></div>")
        if exercise.checks:
            out.append('<ul class="checks">')
            for check in exercise.checks:
                out += _html_check(check, exercise.note)
            out.append("</ul>")
        else:
            out.append('<p class="empty">No checks ran for this exercise.</p>')
        if hint and _shows_exercise_hint(exercise):
            out.append(f'<p class="about"><strong>About this exercise:</strong> {_e(hint)}</p>')
        out.append("</section>")
    out.append("</main>")
    footer = _footer_items(result)
    if footer:
        out += ["<footer><dl>",
                *(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in footer),
                "</dl></footer>"]
    out += ["</div>", "</body>", "</html>", ""]
    return "\n".join(out)


# --- Gradescope -------------------------------------------------------------------------------


def _gradescope_output(check: CheckResult) -> str:
    if _hidden(check):
        return check.message if check.status != "pass" else ""
    parts = [check.message.strip()] if check.message.strip() else []
    if check.status != "pass" and check.hint:
        parts.append(f"Hint: {check.hint}")
    return "\n\n".join(parts)


def gradescope(result: SubmissionResult) -> dict[str, Any]:
    """Gradescope's results.json: one test per check; hidden checks (0 points, they guard a
    public check's points) show after the grades are published."""
    tests: list[dict[str, Any]] = []
    summary = [f"Problem: {_first_line(e)}" for e in result.errors]
    summary += [f"Note: {_first_line(n)}" for n in result.notes]
    for index, exercise in enumerate(result.exercises):
        number, title, _ = _exercise_info(result, index)
        line = f"{number}. {title}: {_score(exercise.score, exercise.max_score)}"
        if exercise.note:
            line += f" ({_first_line(exercise.note)})"
        summary.append(line)
        for position, check in enumerate(exercise.checks, start=1):
            tests.append({
                "name": f"{title}: {check.name} ({check.id})",
                "number": f"{number}.{position}",
                "score": check.points,
                "max_score": check.max_points,
                "status": "passed" if check.status == "pass" else "failed",
                "output": _gradescope_output(check),
                "visibility": "after_published" if _hidden(check) else "visible",
            })
    summary.append(f"Total: {_score(result.score, result.max_score)}")
    return {
        "score": result.score,
        "execution_time": round(result.duration_s, 3),
        "output": "\n".join(summary),
        "stdout_visibility": "hidden",
        "tests": tests,
    }


# --- terminal ---------------------------------------------------------------------------------


def _terminal_lines(result: SubmissionResult) -> Iterable[str]:
    yield f"Submission: {result.submission}"
    for error in (*result.errors, *result.notes):
        yield f"  ! {_first_line(error)}"
    width = max((len(_exercise_info(result, i)[1]) for i in range(len(result.exercises))),
                default=0)
    for index, exercise in enumerate(result.exercises):
        number, title, _ = _exercise_info(result, index)
        mark = "ok " if exercise.passed and exercise.checks else "-- "
        yield (f"{mark}{number}. {title:<{width}}  "
               f"{_score(exercise.score, exercise.max_score):>7}")
        if exercise.note:
            yield f"      note: {_first_line(exercise.note)}"
        for check in _failing(exercise):
            yield f"      {check.status:<7} {check.id}: {_first_line(_message(check, exercise.note))}"
            shown = _grid(check)
            if shown:
                yield from (f"        {line}" for line in shown.splitlines())
    yield f"Total: {_score(result.score, result.max_score)}"


def terminal(result: SubmissionResult) -> str:
    """A compact plain-text summary: one line per exercise, its failing checks, the total."""
    return "\n".join(_terminal_lines(result))
