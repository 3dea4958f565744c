"""`autograder classroom`: the starter repository's workflow, run step by step on this machine,
reports the public checks' points in the shape GitHub Classroom's reporter reads; the
instructor grades the clones with `autograder batch`, never trusting that score."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, SOLUTIONS

BIN = Path(sys.executable).parent


def _autograder(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN / "autograder"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _run_workflow(repo: Path, tmp: Path) -> dict[str, Any]:
    """Every `run:` step of the workflow in `repo`, as the runner would (bash, in the checkout,
    $GITHUB_OUTPUT a file, this interpreter as `python`); then the reporter's input, decoded as
    the reporter decodes it (the `<RUNNER>_RESULTS` variable of each runner it names)."""
    workflow = yaml.safe_load((repo / ".github/workflows/classroom.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    (job,) = workflow["jobs"].values()
    assert job["name"] == "Autograding Tests"  # the check run the reporter writes its points to
    output = tmp / "github-output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "PATH": f"{BIN}:{os.environ['PATH']}"}
    outputs: dict[str, dict[str, str]] = {}
    reporter = None
    for step in job["steps"]:
        if "run" in step:
            command = step["run"]
            if "pip install" in command:  # resolved, not installed: this venv has them already
                command += " --dry-run"
            before = output.read_text()
            done = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{step['name']}: {done.stdout}{done.stderr}"
            new = output.read_text()[len(before):]
            if "id" in step:
                outputs[step["id"]] = dict(line.split("=", 1) for line in new.splitlines())
        elif "autograding-grading-reporter" in step.get("uses", ""):
            reporter = step
    assert reporter is not None
    results = {}
    for runner in reporter["with"]["runners"].split(","):
        value = reporter["env"][f"{runner.strip().upper()}_RESULTS"]
        step_id, key = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.(\w+) \}\}", value).groups()
        results[runner] = json.loads(base64.b64decode(outputs[step_id][key]))
    (only,) = results.values()
    return only


def _total(results: dict[str, Any]) -> float:
    return sum(test["score"] for test in results["tests"])


@pytest.mark.slow
def test_the_starter_workflow_reports_the_public_checks_and_the_batch_grades_the_clones(
        tmp_path: Path) -> None:
    starter = tmp_path / "starter"
    done = _autograder("classroom", str(starter))
    assert ".github/workflows/classroom.yml" in done.stdout
    assert (starter / "exercises" / "padding.py").is_file()
    assert not (starter / "solutions").exists()

    # As handed out: every check runs, none passes; the reporter gets all 100 points to earn.
    handed_out = _run_workflow(starter, tmp_path)
    assert handed_out["version"] == 1 and handed_out["status"] == "fail"
    assert handed_out["max_score"] == 100 and _total(handed_out) == 0
    assert all({"name", "status", "score", "message"} <= set(t) for t in handed_out["tests"])

    # A student's clone with the reference in it: full points, as the grader gives.
    clones = tmp_path / "clones"
    alice = clones / "alice"
    shutil.copytree(starter, alice)
    for module in SOLUTIONS.glob("*.py"):
        if module.name not in ("__init__.py",):
            shutil.copy2(module, alice / "exercises" / module.name)
    solved = _run_workflow(alice, tmp_path)
    assert solved["status"] == "pass" and _total(solved) == solved["max_score"] == 100

    # A clone whose workflow was rewritten to claim full points: the batch ignores it.
    mallory = clones / "mallory"
    shutil.copytree(starter, mallory)
    (mallory / ".github/workflows/classroom.yml").write_text("# 100/100, trust me\n")
    _autograder("batch", str(clones), "--out", str(tmp_path / "grades"), "--only", "padding")
    with (tmp_path / "grades" / "grades.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file)}
    assert float(rows["alice"]["padding"]) == 15 and float(rows["mallory"]["padding"]) == 0
