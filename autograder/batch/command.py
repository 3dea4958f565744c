"""`autograder batch DIR --out OUT`: the command's exit status and what it prints."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.batch.discover import DiscoveryError
from autograder.batch.gradebook import gradebook_table, status_counts
from autograder.batch.pipeline import run

_LISTED = 10  # entries named in the "Skipped" line before "and N more"


def main(directory: Path, *, out: Path, jobs: int | None = None, resume: bool = False,
         scheduler: str | None = None, only: Sequence[str] = (), seed: int | None = None,
         profile: str | None = None, timeout_s: float = 120.0) -> int:
    """`autograder batch`: 0 once the batch completed (whatever the scores), 2 on a usage
    error (DIR missing or empty, two submissions for one student, an unreachable scheduler)."""
    if jobs is not None and jobs < 1:
        print("autograder batch: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run(directory, out, jobs=jobs, resume=resume, scheduler=scheduler, only=only,
                     seed=seed, profile=profile, timeout_s=timeout_s, progress=sys.stderr)
    except DiscoveryError as error:
        print(f"autograder batch: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nStopped. Every finished result is kept in {out}; run the same command with "
              "--resume to grade the rest.", file=sys.stderr)
        raise
    if report.skipped_entries:
        shown = ", ".join(report.skipped_entries[:_LISTED])
        more = len(report.skipped_entries) - _LISTED
        print(f"Skipped (not a submission): {shown}" + (f" and {more} more" if more > 0 else ""))
    print(gradebook_table(report.rows))
    counts = status_counts(report.rows)
    print(f"\n{len(report.rows)} students: graded now {len(report.graded)}, unchanged "
          f"{len(report.resumed)}; " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" ({report.wall_s:.1f} s, {report.parallel} at a time)")
    print(f"Wrote {out}/grades.csv, {out}/summary.md and {out}/<student>/result.json, "
          "feedback.md, feedback.html")
    return 0
