"""`autograder similarity OUT`: which students' exercise code is alike, for a human to review.

It flags pairs for review and never changes a grade: it reads the graded batch in OUT and writes
two files beside its gradebook, nothing else (OUT/similarity.html and OUT/similarity.csv).

    OUT/<student>/.grading.json   who was graded (student id), from which entry of the batch's
                                  DIR (its path relative to DIR) and that entry's content hash
      -> DIR: `--submissions DIR`, or found beside OUT or above it: the folder in which every
         recorded entry exists with the recorded content hash (the batch does not keep the
         students' collected code, nor DIR's own path)
      -> per student: `core.collect.collect`, the same exercise modules the grader took (a
         notebook is reduced to the definitions its graded functions need: code cells only)
      -> per exercise: copydetect over every pair, the kit's stub (exercises/<exercise>.py)
         given as boilerplate so that shared starter code does not count; byte-identical
         copies (line ends normalised) of the reference solution or of each other found apart
      -> similarity.csv (every pair) and similarity.html (identical copies at the top, then per
         exercise the most similar pairs, those flagged side by side with copydetect's
         highlighting)

copydetect (an optional extra: `pip install 'autograder[similarity]'`) tokenises each module
with Pygments, replaces names by one letter each (so renaming variables changes nothing),
drops comments and whitespace, and compares winnowed k-gram fingerprints. Its similarity of a
to b is the share of a's fingerprinted code that also appears in b; a pair is flagged when
either direction reaches the threshold (default 0.6), or when the two modules are
byte-identical. A student whose module is the stub unchanged is not flagged as a copy.

Everything that came from a student is escaped in the HTML (ids, code) and, in the CSV, shown
with `shown_id` and neutralised against spreadsheet formulas like the gradebook's cells.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import sys
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import autograder
from autograder.core.collect import SubmissionError, collect
from autograder.instructor.batch.discover import shown_id
from autograder.instructor.batch.files import write_atomic
from autograder.instructor.batch.fingerprint import content_hash
from autograder.instructor.batch.gradebook import CSV_ENCODING, csv_text
from autograder.instructor.batch.record import ERROR_FILE, STATE_FILE, STATE_FORMAT
from autograder.registry import EXERCISES

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
HTML_FILE = "similarity.html"
CSV_FILE = "similarity.csv"
DEFAULT_THRESHOLD = 0.6
DEFAULT_TOP = 20
INSTALL = "pip install 'autograder[similarity]'  (or: pip install 'copydetect>=0.5')"
# copydetect's parameters: its own defaults. Matches shorter than NOISE_T characters of the
# filtered code are ignored; every match of GUARANTEE_T characters is found (equal: every
# k-gram is a fingerprint, winnowing window 1; the modules are small, so that costs nothing).
NOISE_T = 25
GUARANTEE_T = 25
CSV_HEADER = ("exercise", "student_a", "student_b", "similarity_a_to_b", "similarity_b_to_a",
              "identical", "reference_copy", "flagged")
NOTICE = ("This report flags pairs of submissions for human review. It never changes a grade: "
          "grades.csv and every student's result and feedback are left as they were. Similar "
          "code is not proof of copying (short exercises, the same lecture, the same hints): "
          "read the code before you decide anything.")


class SimilarityError(Exception):
    """OUT cannot be reviewed (not a graded batch, DIR not found, ...): a usage error."""


@dataclass(frozen=True)
class Graded:
    """A student of the batch, as OUT/<folder>/.grading.json records them."""

    student_id: str
    entry: str  # the submission's path relative to DIR
    digest: str  # its content hash when it was graded
    folder: str  # the student's folder in OUT


@dataclass(frozen=True)
class Pair:
    exercise: str
    a: str  # student ids, a < b
    b: str
    a_to_b: float  # the share of a's code found in b (copydetect)
    b_to_a: float
    identical: str  # "yes" (byte-identical), "stub" (both the stub unchanged), "no"
    reference_copy: str  # which of the two is the reference solution verbatim: "a", "b", "both", ""
    code_a: str = ""  # HTML of each side, copydetect's highlighting (escaped); "" if none
    code_b: str = ""

    @property
    def score(self) -> float:
        return max(self.a_to_b, self.b_to_a)


@dataclass
class ExerciseReview:
    name: str
    students: list[str] = field(default_factory=list)  # compared, sorted
    pairs: list[Pair] = field(default_factory=list)  # most alike first
    reference_copies: list[str] = field(default_factory=list)
    identical_groups: list[list[str]] = field(default_factory=list)  # not the reference
    unchanged_stub: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # student -> module text


@dataclass
class Review:
    out: Path
    submissions: Path
    threshold: float
    exercises: list[ExerciseReview]
    notes: list[str]  # students (or their modules) not compared, and why
    version: str = ""  # copydetect's

    def flagged(self, pair: Pair) -> bool:
        return pair.identical == "yes" or pair.score >= self.threshold


def main(out: Path, *, submissions: Path | None = None, threshold: float = DEFAULT_THRESHOLD,
         top: int = DEFAULT_TOP) -> int:
    """The verb: 0 once both files are written, 2 on a usage error (copydetect missing, OUT not
    a graded batch, the submissions not found, a bad option)."""
    if not 0.0 <= threshold <= 1.0:
        print("autograder similarity: --threshold must be between 0 and 1", file=sys.stderr)
        return 2
    if top < 0:
        print("autograder similarity: --top must be at least 0", file=sys.stderr)
        return 2
    try:
        import copydetect  # noqa: F401 (only: is it there)
    except ImportError:
        print("autograder similarity needs copydetect, an optional extra of the kit; install "
              f"it with:\n  {INSTALL}", file=sys.stderr)
        return 2
    out = Path(out)
    try:
        review = analyse(out, submissions=submissions, threshold=threshold)
        write_reports(review, top=top)
    except SimilarityError as error:
        print(f"autograder similarity: {error}", file=sys.stderr)
        return 2
    students = sorted({s for e in review.exercises for s in e.students})
    print(f"Compared the code of {_count(len(students), 'student')} ({review.submissions}) with "
          f"copydetect "
          f"{review.version}, threshold {threshold:g}:")
    for exercise in review.exercises:
        flagged = sum(review.flagged(p) for p in exercise.pairs)
        line = f"  {exercise.name}: {len(exercise.pairs)} pairs, {flagged} flagged"
        if exercise.reference_copies:
            line += ("; identical to the reference solution: "
                     + ", ".join(shown_id(s) for s in exercise.reference_copies))
        for group in exercise.identical_groups:
            line += "; identical to each other: " + ", ".join(shown_id(s) for s in group)
        print(line)
    for note in review.notes:
        print(f"  note: {note}")
    print("This flags pairs for human review; no grade was changed.")
    print(f"Wrote {out / HTML_FILE} and {out / CSV_FILE}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def analyse(out: Path, *, submissions: Path | None = None, threshold: float = DEFAULT_THRESHOLD,
            stubs: Path = KIT_ROOT / "exercises",
            solutions: Path = KIT_ROOT / "solutions") -> Review:
    """Re-collect every graded student's modules and compare them, exercise by exercise.
    Raises SimilarityError when OUT holds no graded batch or its submissions are not found."""
    import copydetect

    out = Path(out)
    students, exercises, failed = graded_students(out)
    directory, notes = find_submissions(out, students, submissions)
    notes[:0] = failed
    review = Review(out, directory, threshold, [], notes, copydetect.__version__)
    with tempfile.TemporaryDirectory(prefix="autograder-similarity-") as tmp:
        work = Path(tmp)
        modules: dict[str, dict[str, Path]] = defaultdict(dict)  # exercise -> student -> file
        for index, student in enumerate(students):
            path = _entry_path(directory, student.entry)
            if path is None or not (path.exists() or path.is_symlink()):
                continue  # find_submissions noted it
            try:
                collected = collect(path, work / f"s{index}", exercises=exercises)
            except (SubmissionError, OSError, ValueError) as error:
                notes.append(f"{shown_id(student.student_id)}: not compared, the submission "
                             f"cannot be read ({shown_id(str(error))})")
                continue
            for name, file in collected.modules.items():
                modules[name][student.student_id] = file
            for name in collected.missing:
                notes.append(f"{shown_id(student.student_id)}: no {name} module to compare")
        for name in exercises:
            review.exercises.append(_review_exercise(
                name, modules.get(name, {}), stubs / f"{name}.py", solutions / f"{name}.py",
                threshold, work / f"report-{name}", notes))
    return review


def graded_students(out: Path) -> tuple[list[Graded], list[str], list[str]]:
    """The students with a finished grade in OUT, sorted by id; the exercises graded (in
    course order); and a note for each student whose grading failed (error.txt, no mark):
    there is no result to review, so they are left out."""
    if not out.is_dir():
        raise SimilarityError(f"{out} is not a folder")
    students: list[Graded] = []
    graded: set[str] = set()
    failed: list[str] = []
    for folder in sorted(out.iterdir(), key=lambda p: p.name):
        state_file = folder / STATE_FILE
        if folder.is_symlink() or not folder.is_dir():
            continue
        if not state_file.is_file():
            if (folder / ERROR_FILE).is_file():
                failed.append(f"{shown_id(folder.name)}/: grading failed ({ERROR_FILE}), not "
                              "compared")
            continue
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            continue
        student_id, entry, digest = (state.get(k) for k in ("student_id", "submission", "hash"))
        settings = state.get("settings")
        if not (isinstance(student_id, str) and isinstance(entry, str)
                and isinstance(digest, str) and isinstance(settings, dict)):
            continue
        names = settings.get("exercises")
        if isinstance(names, list):
            graded.update(n for n in names if isinstance(n, str))
        students.append(Graded(student_id, entry, digest, folder.name))
    if not students:
        raise SimilarityError(f"{out} holds no graded student (no <student>/{STATE_FILE}): "
                              "give the OUT folder of `autograder batch DIR --out OUT`")
    order = [e.name for e in EXERCISES if e.name in graded]
    return sorted(students, key=lambda s: s.student_id), order, failed


def find_submissions(out: Path, students: Sequence[Graded],
                     given: Path | None = None) -> tuple[Path, list[str]]:
    """The batch's DIR and the notes about it. Given: it is used, and a student whose entry is
    missing or changed since the grade is noted. Not given: OUT's parent or one of its other
    folders, the one holding every student's entry with the content hash the batch recorded."""
    notes: list[str] = []
    if given is not None:
        given = Path(given)
        if not given.is_dir():
            raise SimilarityError(f"--submissions {given} is not a folder")
        for student in students:
            path = _entry_path(given, student.entry)
            if path is None or not (path.exists() or path.is_symlink()):
                notes.append(f"{shown_id(student.student_id)}: not compared, "
                             f"{shown_id(student.entry)} is not in {given}")
            elif content_hash(path) != student.digest:
                notes.append(f"{shown_id(student.student_id)}: {shown_id(student.entry)} has "
                             "changed since it was graded; compared as it is now")
        return given, notes
    parent = out.resolve().parent
    candidates = [parent]
    with contextlib.suppress(OSError):
        candidates += sorted((p for p in parent.iterdir() if p.is_dir() and not p.is_symlink()
                              and p.resolve() != out.resolve()), key=lambda p: p.name)
    for candidate in candidates:
        paths = [_entry_path(candidate, s.entry) for s in students]
        if all(p is not None and (p.exists() or p.is_symlink()) for p in paths) and all(
                content_hash(p) == s.digest for p, s in zip(paths, students, strict=True)
                if p is not None):
            return candidate, notes
    raise SimilarityError(
        f"cannot find the submissions graded into {out} beside it or above it (the batch keeps "
        "each entry's path relative to DIR and its content hash): give the batch's DIR with "
        "--submissions DIR")


def _entry_path(directory: Path, entry: str) -> Path | None:
    """DIR/entry, for an entry that stays inside DIR (a relative path without `..`)."""
    relative = PurePosixPath(entry)
    if not entry or relative.is_absolute() or ".." in relative.parts or "\0" in entry:
        return None
    return directory.joinpath(*relative.parts)


def _normalised(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _digest_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(_normalised(path.read_bytes())).hexdigest()
    except OSError:
        return None


def _review_exercise(name: str, files: dict[str, Path], stub: Path, reference: Path,
                     threshold: float, work: Path, notes: list[str]) -> ExerciseReview:
    review = ExerciseReview(name)
    digests: dict[str, str] = {}
    for student in sorted(files):
        data = files[student].read_bytes()
        try:
            review.raw[student] = data.decode("utf-8")
        except UnicodeDecodeError:
            notes.append(f"{shown_id(student)}: {name} not compared, the module is not UTF-8 text")
            continue
        digests[student] = hashlib.sha256(_normalised(data)).hexdigest()
        review.students.append(student)
    stub_digest = _digest_of(stub) if stub.is_file() else None
    reference_digest = _digest_of(reference) if reference.is_file() else None
    groups: dict[str, list[str]] = defaultdict(list)
    for student, digest in digests.items():
        groups[digest].append(student)
    review.reference_copies = sorted(groups.get(reference_digest or "", []))
    review.unchanged_stub = sorted(groups.get(stub_digest or "", []))
    review.identical_groups = sorted(
        sorted(group) for digest, group in groups.items()
        if len(group) > 1 and digest not in (reference_digest, stub_digest))
    if len(review.students) < 2:
        return review
    similarities, highlights = _copydetect(review.students, files,
                                           stub if stub.is_file() else None, threshold, work)
    pairs = []
    for i, a in enumerate(review.students):
        for b in review.students[i + 1:]:
            same = digests[a] == digests[b]
            identical = "stub" if same and digests[a] == stub_digest else "yes" if same else "no"
            copies = [side for side, s in (("a", a), ("b", b)) if s in review.reference_copies]
            code_a, code_b = highlights.get((a, b), ("", ""))
            a_to_b, b_to_a = similarities[(a, b)]
            pairs.append(Pair(name, a, b, a_to_b, b_to_a, identical,
                              "both" if len(copies) == 2 else "".join(copies), code_a, code_b))
    review.pairs = sorted(pairs, key=lambda p: (p.identical != "yes", -p.score,
                                                -min(p.a_to_b, p.b_to_a), p.a, p.b))
    return review


def _copydetect(students: list[str], files: dict[str, Path], stub: Path | None, threshold: float,
                work: Path) -> tuple[dict[tuple[str, str], tuple[float, float]],
                                     dict[tuple[str, str], tuple[str, str]]]:
    """copydetect over every pair of `students`: (a, b) -> (similarity a to b, b to a), and for
    the pairs of which either direction passes the threshold, (a, b) -> the two modules as
    HTML with the matching code highlighted (copydetect escapes it)."""
    from copydetect import CopyDetector

    work.mkdir(parents=True, exist_ok=True)
    # display_t: the pairs copydetect highlights (it compares with `>`); never below 0.
    detector = CopyDetector(noise_t=NOISE_T, guarantee_t=GUARANTEE_T,
                            display_t=max(0.0, threshold - 1e-9), force_language="python",
                            disable_filtering=False, same_name_only=False, ignore_leaf=False,
                            truncate=False, silent=True, autoopen=False, encoding="utf-8",
                            out_file=str(work / "unused.html"))
    for student in students:
        detector.add_file(str(files[student]))
    if stub is not None:
        detector.add_file(str(stub), type="boilerplate")
    by_file = {str(files[s]): s for s in students}
    # copydetect logs through the root logger and warns on empty matches: keep the terminal clean
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            detector.run()
            listed = detector.get_copied_code_list()
    finally:
        logging.disable(previous)
    index = {path: i for i, path in enumerate(detector.test_files)}
    ref_index = {path: j for j, path in enumerate(detector.ref_files)}
    matrix = detector.similarity_matrix
    similarities: dict[tuple[str, str], tuple[float, float]] = {}
    for i, a in enumerate(students):
        for b in students[i + 1:]:
            value: Any = matrix[index[str(files[a])], ref_index[str(files[b])]] \
                if len(matrix) else (0.0, 0.0)
            similarities[(a, b)] = (max(float(value[0]), 0.0), max(float(value[1]), 0.0))
    highlights: dict[tuple[str, str], tuple[str, str]] = {}
    for _, _, test_file, ref_file, test_html, ref_html, _ in listed:
        first, second = by_file[test_file], by_file[ref_file]
        if first < second:
            highlights[(first, second)] = (str(test_html), str(ref_html))
        else:
            highlights[(second, first)] = (str(ref_html), str(test_html))
    return similarities, highlights


def write_reports(review: Review, *, top: int = DEFAULT_TOP) -> None:
    """OUT/similarity.csv and OUT/similarity.html (atomic); nothing else in OUT changes."""
    for name in (CSV_FILE, HTML_FILE):
        target = review.out / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise SimilarityError(f"{target} is not a plain file: it is left as it is (a "
                                  "student's folder by that name?); nothing was written")
    write_atomic(review.out / CSV_FILE, similarity_csv(review), encoding=CSV_ENCODING, newline="")
    write_atomic(review.out / HTML_FILE, similarity_html(review, top=top), encoding="utf-8")


def similarity_csv(review: Review) -> str:
    """Every pair of every exercise, most alike first within an exercise: the CSV_HEADER
    columns, RFC 4180 like the gradebook (student ids shown with `shown_id`, every cell
    neutralised against formulas). `identical`: yes, no, or stub (both are the stub
    unchanged); `reference_copy`: a, b, both or empty; `flagged`: yes or no."""
    rows = [[p.exercise, shown_id(p.a), shown_id(p.b), f"{p.a_to_b:.4f}", f"{p.b_to_a:.4f}",
             p.identical, p.reference_copy, "yes" if review.flagged(p) else "no"]
            for exercise in review.exercises for p in exercise.pairs]
    return csv_text(CSV_HEADER, rows)


def _h(text: str) -> str:
    """A text from a student (an id, a path, a message) as HTML text."""
    return html.escape(shown_id(text), quote=True)


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 110em; color: #222; }
.notice { border: 2px solid #b58900; background: #fdf6e3; padding: .8em 1em; }
.identical { border: 2px solid #dc322f; background: #fdecea; padding: .8em 1em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff3e0; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.side pre { background: #f7f7f7; padding: .6em; overflow-x: auto; font-size: 85%; }
.highlight-red { background: #ffd6d6; }
.highlight-green { background: #d6f5d6; }
details { margin: 1em 0; }
summary { cursor: pointer; font-weight: 600; }
"""


def similarity_html(review: Review, *, top: int = DEFAULT_TOP) -> str:
    """The report: the notice, the byte-identical copies, then per exercise a table of the `top`
    most alike pairs and, for those of them that are flagged, both modules side by side."""
    names = ", ".join(e.name for e in review.exercises)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        # nothing in it runs: no script, no outside resource
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'">',
        "<title>Similarity review</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        "<h1>Similarity review</h1>",
        f'<p class="notice"><strong>For human review only.</strong> {html.escape(NOTICE)}</p>',
        f"<p>Exercises: {html.escape(names)} · submissions: {_h(str(review.submissions))} · "
        f"copydetect {html.escape(review.version)} (noise threshold {NOISE_T}, guarantee "
        f"threshold {GUARANTEE_T}, Python tokens, names replaced; the kit's stubs as "
        f"boilerplate) · a pair is flagged at a similarity of {review.threshold:g} or more in "
        "either direction, or when the two modules are byte-identical.</p>",
    ]
    parts += _identical_section(review)
    for exercise in review.exercises:
        parts += _exercise_section(review, exercise, top)
    if review.notes:
        parts += ["<h2>Not compared, or compared with a caveat</h2>", "<ul>",
                  *(f"<li>{html.escape(note)}</li>" for note in review.notes), "</ul>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _identical_section(review: Review) -> list[str]:
    items = []
    for exercise in review.exercises:
        if exercise.reference_copies:
            items.append(f"<li><strong>{html.escape(exercise.name)}</strong>: identical to the "
                         "reference solution (solutions/" + html.escape(exercise.name) + ".py): "
                         + ", ".join(f'<span class="student">{_h(s)}</span>'
                                     for s in exercise.reference_copies) + "</li>")
        for group in exercise.identical_groups:
            items.append(f"<li><strong>{html.escape(exercise.name)}</strong>: identical to each "
                         "other: " + ", ".join(f'<span class="student">{_h(s)}</span>'
                                               for s in group) + "</li>")
    if not items:
        return ["<h2>Byte-identical copies</h2>",
                "<p>None: no module is a byte-identical copy of the reference solution or of "
                "another student's (line ends normalised).</p>"]
    return ["<h2>Byte-identical copies</h2>", '<div class="identical" id="identical">',
            "<p>These modules are byte for byte the same (line ends normalised):</p>", "<ul>",
            *items, "</ul>", "</div>"]


def _exercise_section(review: Review, exercise: ExerciseReview, top: int) -> list[str]:
    parts = [f'<h2 id="exercise-{html.escape(exercise.name)}">{html.escape(exercise.name)}</h2>']
    flagged = [p for p in exercise.pairs if review.flagged(p)]
    parts.append(f"<p>{len(exercise.students)} students compared, {len(exercise.pairs)} pairs, "
                 f"{len(flagged)} flagged.")
    if exercise.unchanged_stub:
        parts.append(" Handed in the stub unchanged (not flagged): "
                     + ", ".join(_h(s) for s in exercise.unchanged_stub) + ".")
    parts.append("</p>")
    shown = exercise.pairs[:top]
    if not shown:
        return parts
    parts += [f"<p>The {len(shown)} most alike pairs (similarity a→b: the share of a's code "
              "found in b):</p>", "<table>",
              "<tr><th>#</th><th>student a</th><th>student b</th><th>a→b</th><th>b→a</th>"
              "<th>identical</th><th>flagged</th></tr>"]
    for rank, pair in enumerate(shown, 1):
        is_flagged = review.flagged(pair)
        row_class = ' class="flagged"' if is_flagged else ""
        parts.append(f'<tr{row_class}><td class="num">{rank}</td>'
                     f"<td>{_h(pair.a)}</td><td>{_h(pair.b)}</td>"
                     f'<td class="num">{_percent(pair.a_to_b)}</td>'
                     f'<td class="num">{_percent(pair.b_to_a)}</td>'
                     f"<td>{html.escape(pair.identical)}</td>"
                     f"<td>{'yes' if is_flagged else 'no'}</td></tr>")
    parts.append("</table>")
    for rank, pair in enumerate(shown, 1):
        if not review.flagged(pair):
            continue
        code_a = pair.code_a or html.escape(exercise.raw.get(pair.a, ""))
        code_b = pair.code_b or html.escape(exercise.raw.get(pair.b, ""))
        parts += [f"<details open><summary>#{rank} {_h(pair.a)} and {_h(pair.b)}: "
                  f"{_percent(pair.a_to_b)} / {_percent(pair.b_to_a)}"
                  + (", byte-identical" if pair.identical == "yes" else "") + "</summary>",
                  '<div class="side">',
                  f"<div><h3>{_h(pair.a)}</h3><pre><code>{code_a}</code></pre></div>",
                  f"<div><h3>{_h(pair.b)}</h3><pre><code>{code_b}</code></pre></div>",
                  "</div></details>"]
    return parts
