"""Step 6: the files of a result: result.json, feedback.md, feedback.html, results.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from autograder.core.results import SubmissionResult


def views(result: SubmissionResult) -> dict[str, str]:
    """Each file `write_outputs` writes, by name: result.json, feedback.md, feedback.html (its
    pictures drawn here, the slow part) and Gradescope's results.json."""
    from autograder.grading import render

    return {
        "result.json": result.to_json(),
        "feedback.md": render.markdown(result),
        "feedback.html": render.html(result),
        "results.json": json.dumps(render.gradescope(result), indent=2),
    }


def write_outputs(result: SubmissionResult, out: Path,
                  rendered: Mapping[str, str] | None = None) -> list[Path]:
    """The result's `views` in `out`; `rendered`: those views, drawn already (a batch draws
    them in its workers, in parallel, and writes them where it records the result)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in (rendered or views(result)).items():
        temporary = out / f".{filename}.tmp"
        temporary.write_text(text)
        temporary.replace(out / filename)  # atomic: a reader never sees half a file
        written.append(out / filename)
    return written
