"""`autograder batch DIR --out OUT`: the command's exit status and what it prints."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.instructor.batch.discover import DiscoveryError, shown_id
from autograder.instructor.batch.gradebook import gradebook_table, status_counts
from autograder.instructor.batch.pipeline import run
from autograder.instructor.batch.stopping import EXIT_STATUS
from autograder.registry import EXERCISE_TIMEOUT_S

_LISTED = 10  # entries named in the "Skipped" line before "and N more"


def main(directory: Path, *, out: Path, jobs: int | None = None, resume: bool = False,
         scheduler: str | None = None, only: Sequence[str] = (), seed: int | None = None,
         profile: str | None = None, timeout_s: float = EXERCISE_TIMEOUT_S) -> int:
    """`autograder batch`: 0 once the batch completed (whatever the scores), 2 on a usage
    error (DIR missing or empty, two submissions for one student, an unreachable scheduler),
    130 when Ctrl-C stopped it (grades.csv and summary.md are then marked incomplete)."""
    if jobs is not None and jobs < 1:
        print("autograder batch: --jobs must be at least 1", file=sys.stderr)
        return 2
    from autograder.instructor.doctor import sandbox_banner

    banner = sandbox_banner([Path(out), Path(directory)], scheduler=scheduler)
    print(banner, file=sys.stderr, flush=True)
    again = resume_command(directory, out=out, jobs=jobs, scheduler=scheduler, only=only,
                           seed=seed, profile=profile, timeout_s=timeout_s)
    try:
        report = run(directory, out, jobs=jobs, resume=resume, scheduler=scheduler, only=only,
                     seed=seed, profile=profile, timeout_s=timeout_s, progress=sys.stderr,
                     sandbox=banner)
    except DiscoveryError as error:
        print(f"autograder batch: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before grading began (or where no handler could be installed)
        print(f"\nStopped. Every finished result is kept in {out}; to grade the rest:\n"
              f"  {again}", file=sys.stderr)
        raise
    if report.interrupted:
        pending = sum(r.status == "pending" for r in report.rows)
        print(f"\nStopped: {len(report.rows) - pending} of {len(report.rows)} students graded, "
              f"{pending} not graded yet. {out}/grades.csv (status \"pending\" for those, no "
              f"score) and {out}/summary.md are marked INCOMPLETE. To grade the rest:\n"
              f"  {again}", file=sys.stderr)
        return EXIT_STATUS
    if report.skipped_entries:
        shown = ", ".join(shown_id(entry) for entry in report.skipped_entries[:_LISTED])
        more = len(report.skipped_entries) - _LISTED
        print(f"Skipped (not a submission): {shown}" + (f" and {more} more" if more > 0 else ""))
    print(gradebook_table(report.rows))
    counts = status_counts(report.rows)
    print(f"\n{len(report.rows)} students: graded now {len(report.graded)}, unchanged "
          f"{len(report.resumed)}; " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" ({report.wall_s:.1f} s, {report.parallel} at a time)")
    print(f"Wrote {out}/grades.csv, {out}/grades-per-check.csv, {out}/lms-canvas.csv (Canvas "
          f"gradebook import), {out}/summary.md and {out}/<student>/result.json, feedback.md, "
          "feedback.html")
    return 0


def resume_command(directory: Path, *, out: Path, jobs: int | None, scheduler: str | None,
                   only: Sequence[str], seed: int | None, profile: str | None,
                   timeout_s: float) -> str:
    """The command line that carries on with the same settings (--resume regrades what other
    settings graded, so the seed, exercises, profile and timeout must be the same)."""
    words = ["autograder", "batch", str(directory), "--out", str(out), "--resume"]
    if only:
        words += ["--only", ",".join(only)]
    if seed is not None:
        words += ["--seed", str(seed)]
    if profile:
        words += ["--profile", profile]
    if timeout_s != EXERCISE_TIMEOUT_S:
        words += ["--timeout", f"{timeout_s:g}"]
    if jobs is not None:
        words += ["--jobs", str(jobs)]
    if scheduler:
        words += ["--scheduler", scheduler]
    return shlex.join(words)
