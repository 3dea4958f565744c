"""The public checks as a GitHub Classroom result: `python -m autograder.student.classroom`.

The starter repository's workflow (`autograder classroom`, docs in the README) runs this on every
push; it prints the student's feedback and writes `result=<base64 JSON>` to `$GITHUB_OUTPUT`,
the shape that GitHub Classroom's grading reporter reads from `<RUNNER>_RESULTS`:
`{"version": 1, "status": "pass" | "fail" | "error", "max_score": N, "tests": [{"name",
"status", "score", "message", ...}]}`, one test per public check with its points. The score is
advisory: the instructor grades the collected repositories with `autograder batch`, sandboxed
and with the hidden cases, and never reads this.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder.core.results import ExerciseResult
from autograder.registry import EXERCISES


def result(exercises: Sequence[ExerciseResult]) -> dict[str, Any]:
    """The grading reporter's document for these results."""
    tests = [{"name": f"{exercise.name}: {check.id}", "status": "pass" if check.status == "pass"
              else "fail", "score": check.points, "max_score": check.max_points,
              "message": check.message, "line_no": 0, "test_code": check.name}
             for exercise in exercises for check in exercise.checks]
    return {"version": 1, "status": "pass" if all(e.passed for e in exercises) else "fail",
            "max_score": sum(e.max_score for e in exercises), "tests": tests}


def encode(document: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def main(directory: Path = Path(".")) -> int:
    """Check every exercise in `directory`, say how it went, and hand the reporter its result.
    Exits 0 whatever the score: the reporter marks the run failed when a check fails."""
    from autograder.student.loop import check_exercise, render_exercise

    results = []
    for exercise in EXERCISES:
        try:
            done = check_exercise(exercise.name, directory / "exercises")
        except Exception as error:  # one exercise that cannot run must not hide the others
            print(f"{exercise.name}: could not be checked: {type(error).__name__}: {error}")
            continue
        print(render_exercise(done))
        results.append(done)
    document = result(results)
    if not results:
        document["status"] = "error"
    line = f"result={encode(document)}\n"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as sink:
            sink.write(line)
    else:
        sys.stdout.write(line)
    total = sum(t["score"] for t in document["tests"])
    print(f"Points {total:g}/{document['max_score']:g} (advisory: your instructor grades with "
          "hidden cases too)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
