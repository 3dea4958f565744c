"""`autograder batch DIR --out OUT`: grade a folder of submissions, one per student.

    discover(DIR) -> [Submission(student_id, path)]
      -> per submission: content hash + grading settings; with --resume, skip it when
         OUT/<student>/.grading.json records the same hash, the same settings and the sha256 of
         the result.json that is there
      -> grade_and_render(path, options) in a process pool (--jobs) or on a Dask cluster
         (--scheduler): the same top-level function, plain arguments, plain dicts back (the
         result and its files, feedback.html's pictures drawn there, in parallel); each grading
         still runs the student's code in the sandbox of the machine it lands on
      -> as each result arrives: OUT/<student>/result.json, feedback.md, feedback.html,
         results.json (atomic), then .grading.json (atomic, last: the mark of a finished result)
      -> OUT/grades.csv, grades-per-check.csv, lms-canvas.csv and summary.md (atomic, the CSVs
         formula-safe, see gradebook.py), the gradebook on stdout

What counts as a submission (in DIR, hidden entries, `__MACOSX` and the OUT folder skipped):
a folder, a `.zip` or a `.ipynb` per student, the student id being the folder name or the file
name without its suffix (a folder holding grades.csv and summary.md, the output of an earlier
batch, is not a student); or, when DIR holds nbgrader's `submitted/` folder, one
`submitted/<student>/<assignment>/` folder per student (everything else in DIR is ignored).
Two entries that give the same student id (`alice/` and `alice.zip`, or two assignments of one
nbgrader student) are a usage error that names both: grading one of them silently would put
a grade in the book that nobody chose. Other files in DIR are listed and skipped.

The status column of grades.csv:
    graded     the submission was graded (whatever its score; code that crashed or broke a
               rule scores 0 on those checks and is still "graded")
    timeout    graded, and at least one check ran out of time
    malformed  the submission could not be read at all (a bad zip, a notebook that is not
               JSON, ...): every check scored 0 with that reason
    error      grading it failed (a bug of the grader or a lost worker): score 0, the error in
               summary.md and OUT/<student>/error.txt; never counted as finished, so --resume
               tries it again
    pending    not graded: the batch was stopped (Ctrl-C) first; the score and duration are
               left empty (no grade, not a zero) and --resume grades it

Ctrl-C (stopping.py): the first stops the batch within seconds: no new grading starts, the
running ones are stopped and their sandboxes killed and reaped (the pool workers and every
process below them), what was graded is kept, grades.csv (the "pending" rows) and summary.md
(an INCOMPLETE line at its top) are written, the command prints the --resume command line and
exits 130. A second Ctrl-C kills the same processes, best effort, and exits at once (130),
writing nothing more. On a Dask cluster (--scheduler) a stop cancels the gradings not started;
Dask cannot interrupt a running task, so those finish on their workers and are dropped.

Before it starts, the command prints the sandbox line (`doctor.sandbox_banner`: the layers
that protect this machine, what they leave to the audit hook, how to get bwrap) on stderr, and
summary.md repeats it.

Resume: the settings that make a grade are the exercises, the seed, the data profile (resolved
here, so every worker uses the same one), the worker timeout, the kit version and a fingerprint
of the kit's grading code, checks and stored fixtures and of the reference solutions (the
hidden checks' expected values): change any of them and --resume regrades. A killed batch
loses no finished result; what was in flight is graded again.

On a Dask cluster the workers must see the submissions at the same path (a shared file
system); the results come back to this process, which alone writes OUT.
The package, one job a module, in the order a batch meets them:

    command.py      `main`, the CLI verb: exit status, the gradebook and totals on stdout
    pipeline.py     `run`: the steps above, and BatchReport
    discover.py     DIR -> [Submission] (flat or nbgrader layout), DiscoveryError
    fingerprint.py  the content hash of a submission and the grading settings (kit fingerprint)
    runner.py       `grade_and_render`, the task, on a local process pool or a Dask cluster
    stopping.py     Ctrl-C: the stop flag, the SIGINT handler, killing the pool's process tree
    record.py       OUT/<student>/: result files, the .grading.json mark, error.txt, reading back
    progress.py     the progress line on stderr and its time left
    gradebook.py    Row, the statuses, the three CSVs (formula-safe) and the printed table
    summary.py      summary.md
    files.py        atomic writes

What is importable from here is the whole public surface; the modules above are internals.
"""

from autograder.instructor.batch.command import main
from autograder.instructor.batch.discover import DiscoveryError, Submission, discover
from autograder.instructor.batch.fingerprint import content_hash, grading_settings, kit_fingerprint
from autograder.instructor.batch.gradebook import Row, gradebook_csv, status_of
from autograder.instructor.batch.pipeline import BatchReport, run
from autograder.instructor.batch.runner import grade_one
from autograder.instructor.batch.summary import summary_markdown

__all__ = [
    "BatchReport",
    "DiscoveryError",
    "Row",
    "Submission",
    "content_hash",
    "discover",
    "grade_one",
    "gradebook_csv",
    "grading_settings",
    "kit_fingerprint",
    "main",
    "run",
    "status_of",
    "summary_markdown",
]
