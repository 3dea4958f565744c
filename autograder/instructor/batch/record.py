"""OUT/<student>/: a finished result written with its mark (.grading.json), an error written as
error.txt, and the finished result read back for --resume."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.core.results import SubmissionResult
from autograder.instructor.batch.discover import Submission
from autograder.instructor.batch.files import write_atomic
from autograder.instructor.batch.gradebook import status_of

STATE_FILE = ".grading.json"
ERROR_FILE = "error.txt"
STATE_FORMAT = 1
OUTPUT_FILES = ("result.json", "feedback.md", "feedback.html", "results.json")


def load_finished(folder: Path, digest: str, settings: dict[str, Any]) -> SubmissionResult | None:
    """The result in `folder` if it is the finished grade of this content with these settings."""
    try:
        state = json.loads((folder / STATE_FILE).read_text())
        if (state.get("format") != STATE_FORMAT or state.get("hash") != digest
                or state.get("settings") != settings):
            return None
        data = (folder / "result.json").read_bytes()
        # a result.json edited or replaced since it was recorded is not that grade
        if _sha256(data) != state.get("result_sha256"):
            return None
        return SubmissionResult.from_dict(json.loads(data))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_result(folder: Path, submission: Submission, digest: str, settings: dict[str, Any],
                  result: SubmissionResult, views: dict[str, str] | None = None) -> None:
    """Write the student's files (`views`: rendered already, by the grading's worker);
    .grading.json last, so that it marks a finished result."""
    from autograder.grading.steps.outputs import write_outputs

    folder.mkdir(parents=True, exist_ok=True)
    # gone first: a run killed while writing leaves no mark, so --resume grades it again
    (folder / STATE_FILE).unlink(missing_ok=True)
    (folder / ERROR_FILE).unlink(missing_ok=True)
    write_outputs(result, folder, views)
    state = {"format": STATE_FORMAT, "student_id": submission.student_id,
             "submission": submission.label, "hash": digest, "settings": settings,
             "result_sha256": _sha256((folder / "result.json").read_bytes()),
             "status": status_of(result),
             "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(folder / STATE_FILE, json.dumps(state, indent=2))


def record_error(folder: Path, submission: Submission, text: str) -> None:
    """An error row leaves error.txt and no result (stale files of an earlier run go)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (STATE_FILE, *OUTPUT_FILES):
        (folder / name).unlink(missing_ok=True)
    write_atomic(folder / ERROR_FILE, f"Grading {submission.label} failed:\n\n{text}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
