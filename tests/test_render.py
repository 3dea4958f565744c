"""The renderers: Markdown and HTML feedback, Gradescope's results.json, the terminal summary."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from autograder.core.judge import Status
from autograder.core.results import CheckResult, ExerciseResult, SubmissionResult
from autograder.grading import render
from autograder.registry import EXERCISES, exercise

SCRIPT = "<script>alert(1)</script>"
TRACEBACK = ("Called correlate2d_padded(x, k, 'same'). It raised IndexError: index 5 is out of "
             "bounds\nTraceback (most recent call last):\n  File \"padding.py\", line 12, in "
             "correlate2d_padded\n    out[i, j] = x[i + 5]\nIndexError: index 5 is out of bounds")
ARRAY_MESSAGE = ("Called correlate1d([1 2 3 4], [1 0]). It returned\n[[1. 2.]\n [3. 4.]]\n"
                 f"but the check expected\n[[1. 2. 3.]]\n{SCRIPT}")
HIDDEN_ID = "correlate1d-hidden-1"
HIDDEN_NAME = "hidden random case 1 of correlate1d"
HIDDEN_MESSAGE = "A hidden random case of correlate1d() failed: it returned wrong values."
HIDDEN_HINT = "SECRET hidden hint with inputs [9 9 9]"
NOTE = f"importing pooling.py raised ImportError: no module named {SCRIPT}"
NOT_IMPLEMENTED = "relu is not implemented yet: replace the `raise NotImplementedError` with your code."


def check(id: str, status: Status = "pass", max_points: float = 2, *, message: str = "",
          hint: str | None = None, reason: str = "") -> CheckResult:
    """A public check worth max_points, earned when it passes."""
    return CheckResult(id, f"the {id} case", max_points if status == "pass" else 0, max_points,
                       status, "public", message, hint, reason)


FOOTER: dict[str, Any] = {
    "kit_version": "0.1.0", "profile": "mnist-offline", "started": "2024-05-01T10:00:00Z",
    "sandbox": "bwrap: no network, read-only kit; rlimits: as 2 GiB; wall 60 s",
    "duration_s": 12.5}


def full_marks() -> SubmissionResult:
    exercises = tuple(
        ExerciseResult(e.name, (check(f"{e.name}-a"), check(f"{e.name}-b", max_points=3)))
        for e in EXERCISES)
    return SubmissionResult("alice", exercises, **FOOTER)


def mixed() -> SubmissionResult:
    cross = ExerciseResult("cross_correlation", (
        check("correlate1d-lecture-example"),
        check("correlate1d-flipped", "fail", max_points=3, message=ARRAY_MESSAGE,
              hint="This matches the result with the kernel flipped."),
        CheckResult(HIDDEN_ID, HIDDEN_NAME, 0, 0, "fail", "hidden", HIDDEN_MESSAGE, HIDDEN_HINT),
    ))
    padding = ExerciseResult("padding", (
        check("same_padding-odd-kernel", max_points=1),
        check("correlate2d_padded-lecture-same", "error", message=TRACEBACK),
        check("correlate2d_padded-big", "timeout",
              message="correlate2d_padded: The worker was stopped after 10 s during this call."),
    ))
    stride = ExerciseResult("stride", (
        check("output_size-valid", "policy",
              message="Not run: stride.py imports scipy, which this exercise does not allow."),
        check("output_size-same"),
    ))
    pooling = ExerciseResult("pooling", (
        check("max_pool2d-basic", "error", message=NOTE),
        check("avg_pool2d-basic", "error", message=NOTE),
    ), note=NOTE)
    cnn = ExerciseResult("cnn", (
        check("relu-basic", "fail", message=NOT_IMPLEMENTED, reason="not_implemented"),
    ))
    return SubmissionResult(f"{SCRIPT}/bob", (cross, padding, stride, pooling, cnn),
                            errors=("notebook cell 3 could not be parsed", f"two lines\n{SCRIPT}"),
                            **FOOTER)


def empty() -> SubmissionResult:
    return SubmissionResult("nobody", (ExerciseResult("padding", ()),))


def no_exercises() -> SubmissionResult:
    return SubmissionResult("nothing", ())


ALL = [full_marks, mixed, empty, no_exercises]


def section(text: str, start: str, end: str | None) -> str:
    """The part of text from start up to end (or the end of the text)."""
    begin = text.index(start)
    return text[begin:text.index(end, begin + 1)] if end else text[begin:]


# --- Markdown ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL)
def test_markdown_has_every_exercise_title_and_score(make) -> None:
    result = make()
    text = render.markdown(result)
    assert text.startswith("# Feedback: ")
    assert f"{result.score:g}/{result.max_score:g}" in text
    for e in result.exercises:
        assert exercise(e.name).title in text
        assert f"{exercise(e.name).title} — {e.score:g}/{e.max_score:g}" in text


def test_markdown_full_marks_has_no_hints_or_failures() -> None:
    text = render.markdown(full_marks())
    assert "**Total: 25/25 points**" in text
    assert "❌" not in text and "Hint" not in text and "About this exercise" not in text
    assert text.count("✅ **pass**") == 2 * len(EXERCISES)


def test_markdown_mixed_shows_messages_marks_and_hints() -> None:
    text = render.markdown(mixed())
    for status in ("pass", "fail", "error", "timeout", "policy"):
        assert f"**{status}**" in text
    # multi-line messages are kept line by line inside a fenced block
    assert "```text\n  Called correlate2d_padded" in text
    for line in TRACEBACK.splitlines():
        assert f"  {line}\n" in text
    assert "  [[1. 2.]\n   [3. 4.]]\n" in text
    assert "> **Hint:** This matches the result with the kernel flipped." in text
    assert "`correlate1d-flipped` the correlate1d-flipped case — 0/3" in text
    # submission-level errors come before the first exercise
    assert text.index("notebook cell 3 could not be parsed") < text.index("## 1.")
    assert text.index(FOOTER["sandbox"]) > text.index("## 5.")
    assert "mnist-offline" in text and "<sub>" in text


def test_markdown_exercise_hint_only_when_points_were_lost_to_wrong_code() -> None:
    text = render.markdown(mixed())
    cross = section(text, "## 1.", "## 2.")
    assert exercise("cross_correlation").hint in cross
    # everything failing is "not implemented yet": no exercise hint, the message says it all
    cnn = section(text, "## 5.", "---")
    assert exercise("cnn").hint not in cnn
    assert "not implemented yet" in cnn


def test_markdown_note_shown_once_at_the_top_of_its_exercise() -> None:
    pooling = section(render.markdown(mixed()), "## 4.", "## 5.")
    assert pooling.count("ImportError") == 1
    assert pooling.index("**Note:**") < pooling.index("max_pool2d-basic")
    assert "(see the note above)" in pooling
    assert exercise("pooling").hint not in pooling


def test_markdown_hidden_check_shows_only_name_status_and_message() -> None:
    text = render.markdown(mixed())
    assert HIDDEN_ID not in text and HIDDEN_HINT not in text and "SECRET" not in text
    line = next(line for line in text.splitlines() if HIDDEN_NAME in line)
    assert "**fail**" in line and "0/0" not in line
    assert HIDDEN_MESSAGE in text


def test_markdown_escapes_html_outside_code_blocks() -> None:
    text = render.markdown(mixed())
    assert "# Feedback: \\<script\\>alert(1)\\</script\\>/bob" in text
    outside = [line for line in text.split("```text")[0].splitlines()]
    assert not any(SCRIPT in line for line in outside)


def test_markdown_empty_exercise_and_empty_submission() -> None:
    text = render.markdown(empty())
    assert "No checks ran for this exercise." in text and "0/0" in text
    assert "No exercises were graded." in render.markdown(no_exercises())


def test_fences_grow_past_backticks_in_a_message() -> None:
    result = SubmissionResult("s", (ExerciseResult("stride", (
        check("output_size-valid", "fail", message="a ```` fence\nand more"),)),))
    assert "`````text" in render.markdown(result)


def test_unknown_exercise_keeps_its_name() -> None:
    result = SubmissionResult("s", (ExerciseResult("bonus", (check("bonus-a"),)),))
    assert "bonus" in render.markdown(result)
    assert render.gradescope(result)["tests"][0]["number"] == "1.1"
    assert "bonus" in render.terminal(result)


# --- HTML -------------------------------------------------------------------------------------

STRUCTURAL = {"html", "head", "body", "title", "style", "header", "main", "section", "footer",
              "div", "table", "thead", "tbody", "tr", "td", "th", "ul", "li", "pre", "p", "h1",
              "h2", "dl", "dt", "dd", "span", "code", "strong", "small", "a"}
VOID = {"meta", "br", "hr", "img", "link", "input"}


class StrictParser(HTMLParser):
    """Fails on unbalanced structural tags, scripts and anything fetched from elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.doctype = ""
        self.meta: list[dict[str, str | None]] = []
        self.titles: list[str] = []
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag not in {"script", "iframe", "object", "embed", "link", "img"}, tag
        for name, value in attrs:
            assert name != "src" and not name.startswith("on"), name
            assert "://" not in (value or ""), value
        self.seen.append(tag)
        if tag == "meta":
            self.meta.append(dict(attrs))
        if tag == "html":
            assert dict(attrs).get("lang") == "en"
        if tag in STRUCTURAL:
            self.stack.append(tag)
        else:
            assert tag in VOID, f"unexpected tag <{tag}>"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in VOID, tag
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID, tag
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title":
            self.titles.append(data)
        self.text.append(data)

    def close(self) -> None:
        super().close()
        assert not self.stack, f"unclosed: {self.stack}"


def parse(page: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize("make", ALL)
def test_html_is_a_valid_self_contained_page(make) -> None:
    page = render.html(make())
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    parser = parse(page)
    assert parser.doctype == "DOCTYPE html"
    assert {"charset": "utf-8"} in parser.meta
    assert len(parser.titles) == 1 and parser.titles[0].startswith("Feedback: ")
    assert parser.seen[:3] == ["html", "head", "meta"]
    assert parser.seen.count("body") == 1 and parser.seen.count("style") == 1
    assert "<script" not in page.lower() and "http" not in page


def test_html_escapes_everything_from_the_result() -> None:
    page = render.html(mixed())
    assert SCRIPT not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"<h1>Feedback: {escaped}/bob</h1>" in page  # the submission name
    assert f"no module named {escaped}</pre>" in page  # the note
    assert f"but the check expected\n[[1. 2. 3.]]\n{escaped}</pre>" in page  # a message
    text = "".join(parse(page).text)
    assert SCRIPT in text  # shown to the reader as text, never run


def test_html_content_matches_markdown() -> None:
    result = mixed()
    page = render.html(result)
    text = "".join(parse(page).text)
    for e in result.exercises:
        assert exercise(e.name).title in text
    for status in ("pass", "fail", "error", "timeout", "policy"):
        assert f'<span class="badge {status}">{status}</span>' in page
    assert TRACEBACK.replace('"', "&quot;").replace("'", "&#x27;") in page
    assert "width: 25.0%" in page  # 5 of 20 points
    assert exercise("cross_correlation").hint in text
    assert exercise("cnn").hint not in text
    assert FOOTER["sandbox"] in text and "mnist-offline" in text
    assert page.index("notebook cell 3") < page.index("<table>") < page.index("<section")


def test_html_hidden_check_shows_only_name_status_and_message() -> None:
    page = render.html(mixed())
    assert HIDDEN_ID not in page and "SECRET" not in page
    item = section(page, '<li class="check hidden', "</li>")
    assert HIDDEN_NAME in item and HIDDEN_MESSAGE in item and "badge fail" in item
    assert "0/0" not in item


def test_html_empty_and_full_marks() -> None:
    assert "No checks ran for this exercise." in render.html(empty())
    assert 'style="width: 0.0%"' in render.html(empty())
    assert 'style="width: 100.0%"' in render.html(full_marks())


# --- Gradescope -------------------------------------------------------------------------------

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.mark.parametrize("make", ALL)
def test_gradescope_schema(make) -> None:
    result = make()
    data = render.gradescope(result)
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"score", "execution_time", "output", "stdout_visibility", "tests"}
    assert data["score"] == result.score
    assert data["stdout_visibility"] == "hidden"
    assert isinstance(data["output"], str) and isinstance(data["execution_time"], float | int)
    assert len(data["tests"]) == sum(len(e.checks) for e in result.exercises)
    for test in data["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output",
                             "visibility"}
        assert test["status"] in {"passed", "failed"}
        assert test["visibility"] in GRADESCOPE_VISIBILITY
        assert all(isinstance(test[k], str) for k in ("name", "number", "output"))
    assert sum(t["score"] for t in data["tests"]) == result.score
    assert sum(t["max_score"] for t in data["tests"]) == result.max_score


def test_gradescope_tests_of_the_mixed_result() -> None:
    data = render.gradescope(mixed())
    tests = {t["number"]: t for t in data["tests"]}
    title = exercise("cross_correlation").title
    assert tests["1.1"] == {
        "name": f"{title}: the correlate1d-lecture-example case (correlate1d-lecture-example)",
        "number": "1.1", "score": 2, "max_score": 2, "status": "passed", "output": "",
        "visibility": "visible"}
    assert tests["1.2"]["status"] == "failed" and tests["1.2"]["score"] == 0
    assert tests["1.2"]["output"] == (ARRAY_MESSAGE
                                      + "\n\nHint: This matches the result with the kernel flipped.")
    hidden = tests["1.3"]
    assert hidden["visibility"] == "after_published" and hidden["max_score"] == 0
    assert hidden["output"] == HIDDEN_MESSAGE
    assert tests["2.2"]["output"] == TRACEBACK
    assert [t["status"] for t in data["tests"]].count("passed") == 3
    assert data["output"].splitlines() == [
        "Problem: notebook cell 3 could not be parsed",
        "Problem: two lines",
        f"1. {title}: 2/5",
        f"2. {exercise('padding').title}: 1/5",
        f"3. {exercise('stride').title}: 2/4",
        f"4. {exercise('pooling').title}: 0/4 ({NOTE})",
        f"5. {exercise('cnn').title}: 0/2",
        "Total: 5/20",
    ]


def test_gradescope_numbers_follow_course_order() -> None:
    result = SubmissionResult("s", (ExerciseResult("pooling", (check("a"), check("b"))),))
    assert [t["number"] for t in render.gradescope(result)["tests"]] == ["4.1", "4.2"]


# --- terminal ---------------------------------------------------------------------------------


def test_terminal_lists_failing_ids_and_the_total() -> None:
    result = mixed()
    text = render.terminal(result)
    lines = text.splitlines()
    assert lines[-1] == "Total: 5/20"
    for e in result.exercises:
        for c in e.checks:
            assert (c.id in text) == (c.status != "pass")
    assert "fail    correlate1d-flipped: Called correlate1d([1 2 3 4], [1 0]). It returned" in text
    assert "error   correlate2d_padded-lecture-same: Called correlate2d_padded" in text
    assert "Traceback" not in text  # first message line only
    exercise_lines = [line for line in lines if line[3:5] in {f"{n}." for n in range(1, 6)}]
    assert len(exercise_lines) == 5 and exercise_lines[0].endswith("2/5")


def test_terminal_full_marks_and_empty() -> None:
    text = render.terminal(full_marks())
    assert text.splitlines()[-1] == "Total: 25/25"
    assert all(line.startswith(("ok ", "Submission", "Total")) for line in text.splitlines())
    assert render.terminal(no_exercises()).splitlines() == ["Submission: nothing", "Total: 0/0"]
    assert render.terminal(empty()).splitlines()[-1] == "Total: 0/0"
