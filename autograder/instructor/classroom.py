"""`autograder classroom OUT`: a GitHub Classroom starter repository.

OUT is the student bundle (`autograder release`) plus `.github/workflows/classroom.yml`, which on
every push installs the bundle's requirements, runs the public checks
(`python -m autograder.student.classroom`) and hands their points to GitHub Classroom's grading
reporter. Make OUT a template repository and give its URL to a Classroom assignment with no
other autograding tests set.

The instructor's side: clone the students' repositories into one folder (GitHub Classroom's
"download repositories", `gh classroom clone student-repos`, or any folder of clones) and grade
it with `autograder batch FOLDER --out OUT`. The batch grades each clone's `exercises/` as any
submission, sandboxed and with the hidden cases; the workflow's score is advisory and never
read (a student controls their repository, the workflow file included).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autograder.instructor import release

WORKFLOW = ".github/workflows/classroom.yml"
RUNNER = "cnn-checks"  # the step id; the reporter reads CNN-CHECKS_RESULTS

# The reporter attaches the points to the check run named "Autograding Tests": the job's name.
WORKFLOW_TEXT = f"""\
# Written by `autograder classroom`: the public checks on every push, their points for GitHub
# Classroom. Advisory: your instructor grades with hidden cases too.
name: Autograding Tests
on:
  - push
  - repository_dispatch
  - workflow_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    name: Autograding Tests
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the checks
        run: python -m pip install --quiet -r requirements.txt
      - name: Public checks
        id: {RUNNER}
        run: python -m autograder.student.classroom
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          {RUNNER.upper()}_RESULTS: "${{{{ steps.{RUNNER}.outputs.result }}}}"
        with:
          runners: {RUNNER}
"""


def build(out: Path) -> int:
    """The starter repository in `out` (a new or empty folder, or an earlier bundle)."""
    status = release.main(out)
    if status:
        return status
    workflow = out / WORKFLOW
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(WORKFLOW_TEXT)
    marker = out / release.MARKER
    record = json.loads(marker.read_text())
    record["files"] = sorted({*record["files"], WORKFLOW})
    marker.write_text(json.dumps(record, indent=1) + "\n")
    print(f"  {WORKFLOW} (the public checks on every push, points for GitHub Classroom)\n"
          f"Make {out} a template repository for the assignment; grade the students' clones "
          "with `autograder batch FOLDER --out OUT`.")
    return 0


def main(out: Path) -> int:
    return build(Path(out))


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
