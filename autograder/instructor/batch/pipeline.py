"""`run`: discover, settle what --resume keeps, grade the rest, record each result as it
arrives, then write grades.csv, grades-per-check.csv, lms-canvas.csv, summary.md and the class
report summary.html (report.py) (the steps of the package docstring). Each student's folder in
OUT is `Submission.out_folder`: the id when it is a plain name, else a safe name derived from
it (discover.py), never one of OUT's files.

Ctrl-C while it grades (`stopping.py`): the running gradings are killed within seconds, what
was graded is kept, and grades.csv and summary.md are written marked incomplete: each student
not graded has a row with status `pending` and no score, and summary.md opens with an
INCOMPLETE line; `BatchReport.interrupted` says so, and --resume grades the rest."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from autograder.core import pictures
from autograder.core.results import SubmissionResult
from autograder.instructor.batch.discover import DiscoveryError, Submission, discover
from autograder.instructor.batch.files import (
    CANVAS_CSV,
    GRADES_CSV,
    PER_CHECK_CSV,
    SUMMARY_MD,
    TRAINING_CACHE,
    write_atomic,
)
from autograder.instructor.batch.fingerprint import content_hash, grading_settings
from autograder.instructor.batch.gradebook import (
    CSV_ENCODING,
    Row,
    canvas_csv,
    gradebook_csv,
    per_check_csv,
    status_of,
)
from autograder.instructor.batch.progress import Progress
from autograder.instructor.batch.record import load_finished, record_error, record_result
from autograder.instructor.batch.report import SUMMARY_HTML, Timing, summary_html
from autograder.instructor.batch.runner import error_text, open_runner
from autograder.instructor.batch.stopping import Stop
from autograder.instructor.batch.summary import summary_markdown
from autograder.registry import EXERCISE_TIMEOUT_S


@dataclass
class BatchReport:
    out: Path
    settings: dict[str, Any]
    rows: list[Row]
    graded: list[str] = field(default_factory=list)  # student ids graded in this run
    resumed: list[str] = field(default_factory=list)  # kept from an earlier run
    skipped_entries: list[str] = field(default_factory=list)  # entries of DIR that are not submissions
    wall_s: float = 0.0
    parallel: int = 1
    interrupted: bool = False  # stopped by Ctrl-C: the rows of the rest are "pending"
    sandbox: str = ""  # the sandbox line (doctor.sandbox_banner), as summary.md has it


def run(directory: Path, out: Path, *, jobs: int | None = None, resume: bool = False,
        scheduler: str | None = None, only: Sequence[str] = (), seed: int | None = None,
        profile: str | None = None, timeout_s: float = EXERCISE_TIMEOUT_S,
        progress: TextIO | None = None, sandbox: str | None = None) -> BatchReport:
    """Grade every submission in `directory` into `out`; see the package docstring.

    Raises DiscoveryError (a usage error) before grading anything; a submission whose grading
    fails becomes an "error" row and the batch goes on. `progress`: where the progress bar
    goes (the command: stderr); None: quiet. `sandbox`: the sandbox line for summary.md
    (default: `doctor.sandbox_banner` for this batch, computed here).
    """
    clock = time.perf_counter()
    directory, out = Path(directory), Path(out)
    skipped: list[str] = []
    submissions = discover(directory, out=out, skipped=skipped)
    if not submissions:
        raise DiscoveryError(f"no submissions in {directory}: expected a folder, a .zip or a "
                             ".ipynb per student, or nbgrader's submitted/<student>/<assignment>/")
    try:
        settings = grading_settings(only=only, seed=seed, profile=profile, timeout_s=timeout_s)
    except KeyError as error:  # an unknown exercise name; the message lists the valid ones
        raise DiscoveryError(str(error.args[0])) from None
    # The sandbox hides DIR and OUT from every submission: no copying a classmate's code or
    # reading the grades. (Hiding / would hide the interpreter too.)
    hide = [str(p.resolve()) for p in (out, directory) if p.resolve() != Path("/")]
    options = {**{k: settings[k] for k in ("exercises", "seed", "profile", "timeout_s")},
               "hide": hide, "training_cache": str(out / TRAINING_CACHE)}
    if sandbox is None:
        from autograder.instructor.doctor import sandbox_banner

        sandbox = sandbox_banner([out, directory], scheduler=scheduler)
    out.mkdir(parents=True, exist_ok=True)
    rows, digests, pending = _plan(submissions, out, settings, resume)
    pictures.preload_in_background()  # summary.html's charts, while this process waits

    # Ctrl-C: the first stops the runner (it looks at `stop`), a second exits at once; the
    # handler stays until grades.csv and summary.md are written.
    stop = Stop()
    with stop.installed():
        with open_runner(scheduler=scheduler, jobs=jobs,
                         tasks=len(pending)) as (runner, parallel):
            report = BatchReport(out, settings, [], resumed=sorted(rows),
                                 skipped_entries=skipped, parallel=parallel, sandbox=sandbox)
            bar = Progress(len(pending), parallel, progress)
            bar.start(len(report.resumed))
            try:
                if pending:
                    for submission, data, problem in runner(pending, options, stop):
                        row = finish(out / submission.out_folder, submission,
                                     digests[submission.student_id], settings, data, problem)
                        rows[submission.student_id] = row
                        report.graded.append(submission.student_id)
                        bar.advance(row)
            finally:
                bar.close()
        report.interrupted = stop.requested and len(rows) < len(submissions)
        report.rows = [rows.get(s.student_id) or Row(s.student_id, "pending")
                       for s in submissions]
        for name, write in ((GRADES_CSV, gradebook_csv), (PER_CHECK_CSV, per_check_csv),
                            (CANVAS_CSV, canvas_csv)):
            write_atomic(out / name, write(report.rows, settings), encoding=CSV_ENCODING,
                         newline="")
        write_atomic(out / SUMMARY_MD, summary_markdown(report.rows, settings, sandbox=sandbox),
                     encoding="utf-8")
        folders = {s.student_id: s.out_folder for s in submissions}
        timing = Timing(wall_s=time.perf_counter() - clock, jobs=parallel)
        write_atomic(out / SUMMARY_HTML, summary_html(report.rows, settings, folders=folders,
                                                      out=out, timing=timing, sandbox=sandbox),
                     encoding="utf-8")
    report.wall_s = time.perf_counter() - clock
    return report


def _plan(submissions: Sequence[Submission], out: Path, settings: dict[str, Any],
          resume: bool) -> tuple[dict[str, Row], dict[str, str], list[Submission]]:
    """(rows kept from an earlier run, content hash by student, submissions left to grade)."""
    rows: dict[str, Row] = {}
    digests: dict[str, str] = {}
    pending: list[Submission] = []
    for submission in submissions:
        digest = content_hash(submission.path)
        digests[submission.student_id] = digest
        earlier: SubmissionResult | None = None
        if resume:
            earlier = load_finished(out / submission.out_folder, digest, settings)
        if earlier is not None:
            rows[submission.student_id] = Row(submission.student_id, status_of(earlier), earlier,
                                              resumed=True)
        else:
            pending.append(submission)
    return rows, digests, pending


def finish(folder: Path, submission: Submission, digest: str, settings: dict[str, Any],
           data: dict[str, Any] | None, error: str) -> Row:
    """Record one arrived outcome; whatever goes wrong here is that student's error row."""
    problem = error
    if data is not None:
        try:
            result = SubmissionResult.from_dict(data["result"])
            record_result(folder, submission, digest, settings, result, data.get("views"))
            return Row(submission.student_id, status_of(result), result)
        except Exception as failure:
            problem = error_text(failure)
    with contextlib.suppress(OSError):
        record_error(folder, submission, problem)
    lines = [line for line in problem.splitlines() if line.strip()]
    return Row(submission.student_id, "error", None, error=lines[-1].strip() if lines else "error")
