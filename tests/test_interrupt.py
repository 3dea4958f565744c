"""Ctrl-C on `autograder batch`, with a real SIGINT to the real command: the first stops it in
seconds (the running sandboxes killed and reaped, what is graded kept, grades.csv and
summary.md marked incomplete, status 130), `--resume` grades the rest; a second exits at once."""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.grading.child.template import JOB_NAME
from autograder.instructor.batch.runner import EXIT_GRACE_S, STOP_GRACE_S
from autograder.instructor.batch.stopping import Proc, alive, process_tree
from tests.conftest import ROOT, SOLUTIONS

GOOD = ("a", "b")  # graded first (discovery order), full marks
HANGING = ("h1", "h2", "h3")  # about 8 s each on an idle machine: every function loops
HANG = '''import time


def same_padding(n, kernel_size, stride=1):
    while True:
        time.sleep(0.01)


def zero_pad(image, pads):
    while True:
        time.sleep(0.01)


def correlate2d_padded(image, kernel, padding="valid"):
    while True:
        time.sleep(0.01)
'''


def make_class(top: Path) -> Path:
    for student in GOOD:
        (top / student).mkdir(parents=True)
        shutil.copy(SOLUTIONS / "padding.py", top / student / "padding.py")
    for student in HANGING:
        (top / student).mkdir(parents=True)
        (top / student / "padding.py").write_text(HANG)
    return top


def _default_sigint() -> None:
    # A test run started where SIGINT is ignored (a background job) would pass that on.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(top: Path, out: Path, jobs: int, log: Path, *more: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "autograder.cli", "batch", str(top), "--out", str(out),
               "--only", "padding", "--jobs", str(jobs), "--timeout", "600", *more]
    with log.open("wb") as handle:
        return subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_default_sigint)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def sandboxes(tree: list[Proc]) -> list[Proc]:
    """The sandboxed workers (the student's code) among the batch's processes: cold ones, and
    jobs forked from a warm template (named so; their command line is the template's)."""
    return [p for p in tree if "autograder.grading.child.worker import boot" in _cmdline(p.pid)
            or _comm(p.pid) == JOB_NAME]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def wait_for_a_hanging_sandbox(process: subprocess.Popen[bytes], out: Path, log: Path) -> list[Proc]:
    """Once both good students are graded and a sandbox runs (a hanging student's: nobody
    else is left), the batch's process tree."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        graded = [p.parent.name for p in out.glob("*/.grading.json")]
        tree = process_tree([process.pid])
        if sorted(graded) == sorted(GOOD) and sandboxes(tree):
            time.sleep(0.5)  # well inside the hanging case
            return process_tree([process.pid])
        time.sleep(0.05)
    raise AssertionError("no hanging sandbox in time:\n" + log.read_text()[-3000:])


def leftovers(batch: int, tree: list[Proc], jobs: list[str]) -> list[str]:
    """What is still alive of the batch: a process seen in its tree, one in its session (the
    pool workers), or one whose command line names a job folder of it."""
    found = [f"{p.pid}: {_cmdline(p.pid)[:120]}" for p in tree if alive(p)]
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
            fields = stat[stat.rindex(b")") + 2 :].split()
        except (OSError, ValueError):
            continue
        if fields[0] in (b"Z", b"X"):
            continue
        line = _cmdline(pid)
        if batch in (int(fields[1]), int(fields[2]), int(fields[3])) or any(j in line for j in jobs):
            found.append(f"{pid}: {line[:120]}")
    return found


def job_dirs(tree: list[Proc]) -> list[str]:
    return [_cmdline(p.pid).split()[-1] for p in sandboxes(tree)]


def no_leftovers(batch: int, tree: list[Proc], jobs: list[str], within_s: float) -> list[str]:
    deadline = time.monotonic() + within_s
    while (left := leftovers(batch, tree, jobs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.parametrize("jobs", [1, 3])
def test_ctrl_c_stops_the_batch_in_seconds_and_resume_finishes(
        tmp_path: Path, jobs: int, sandbox_mode: str) -> None:
    top, out, log = make_class(tmp_path / "class"), tmp_path / "out", tmp_path / "batch.log"
    process = start(top, out, jobs, log)
    try:
        tree = wait_for_a_hanging_sandbox(process, out, log)
        jobs_seen = job_dirs(tree)
        assert jobs_seen and all("autograder-job-" in j for j in jobs_seen)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        rc = process.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    printed = log.read_text()
    assert rc == 130, printed[-3000:]
    # seconds: at most the graces for the sandboxes and the workers, never a grading's length
    assert took < STOP_GRACE_S + EXIT_GRACE_S + 5, f"took {took:.1f} s to stop\n{printed[-3000:]}"
    assert not no_leftovers(process.pid, tree, jobs_seen, within_s=3.0), printed[-2000:]
    assert all(not Path(j).exists() for j in jobs_seen)  # the job folders were cleaned up

    with (out / "grades.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted([*GOOD, *HANGING])
    for student in GOOD:
        assert (rows[student]["status"], rows[student]["score"]) == ("graded", "15")
    assert all(rows[s]["status"] in ("pending", "timeout") for s in HANGING), rows
    not_graded = [s for s in HANGING if rows[s]["status"] == "pending"]
    assert not_graded, rows  # the hanging one that ran was stopped, not waited for
    for student in not_graded:
        assert rows[student]["score"] == "" and rows[student]["max_score"] == "15"
        assert not (out / student / ".grading.json").exists()
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Batch summary\n\n**INCOMPLETE**: the batch was stopped"), summary
    assert f"{len(not_graded)} not graded yet" in summary and "--resume" in summary
    assert "Stopped:" in printed and "--resume" in printed
    assert "autograder batch" in printed.split("To grade the rest:")[-1]

    # The rest fix their code (so that this finishes soon); --resume keeps what was graded and
    # grades the others, with the command the batch printed.
    for student in HANGING:
        shutil.copy(SOLUTIONS / "padding.py", top / student / "padding.py")
    again = printed.split("To grade the rest:")[-1].split()
    assert again[:2] == ["autograder", "batch"] and "--resume" in again
    done = subprocess.run([sys.executable, "-m", "autograder.cli", *again[1:]], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with (out / "grades.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert {s: (r["status"], r["score"]) for s, r in rows.items()} == {
        s: ("graded", "15") for s in [*GOOD, *HANGING]}
    assert "INCOMPLETE" not in (out / "summary.md").read_text()
    for student in GOOD:  # what the stopped run graded was kept
        assert re.search(rf"\n  {student} +15/15  graded \(unchanged\)", done.stdout), done.stdout
    assert set(re.findall(r"^\[\d/\d\] (\w+):", done.stderr, re.M)) == set(HANGING)


def test_a_second_ctrl_c_exits_at_once(tmp_path: Path) -> None:
    top, out, log = make_class(tmp_path / "class"), tmp_path / "out", tmp_path / "batch.log"
    process = start(top, out, 2, log)
    try:
        tree = wait_for_a_hanging_sandbox(process, out, log)
        jobs_seen = job_dirs(tree)
        process.send_signal(signal.SIGINT)
        # the second while the first is being handled (its line is out, the batch still runs)
        deadline = time.monotonic() + 10
        while "Stopping:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.002)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        rc = process.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    printed = log.read_text()
    assert rc == 130, printed[-3000:]
    assert took < 5, f"took {took:.1f} s\n{printed[-3000:]}"  # at once: no grace waited
    assert "Stopped at once" in printed
    # best effort, but here it holds: the sandboxes were killed before the exit
    assert not no_leftovers(process.pid, tree, jobs_seen, within_s=5.0), printed[-2000:]


def test_a_batch_killed_outright_leaves_no_worker_behind(tmp_path: Path) -> None:
    """SIGKILL to the command alone (no handler runs): its pool workers get the parent-death
    signal, stop their gradings (the sandboxes clean up) and exit, instead of waiting forever."""
    top, out, log = make_class(tmp_path / "class"), tmp_path / "out", tmp_path / "batch.log"
    process = start(top, out, 2, log)
    try:
        tree = wait_for_a_hanging_sandbox(process, out, log)
        jobs_seen = job_dirs(tree)
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not no_leftovers(process.pid, tree, jobs_seen, within_s=10.0), log.read_text()[-2000:]
