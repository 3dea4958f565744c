"""`autograder doctor`, run for real through the sandbox in each mode this machine has."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograder.grading.sandbox import bwrap_status
from tests.conftest import ROOT


@pytest.mark.parametrize("bwrap", [pytest.param("1", marks=pytest.mark.skipif(
    not bwrap_status()[0], reason="bubblewrap does not work here")), "0"])
def test_doctor_finds_every_promised_probe_blocked(bwrap: str) -> None:
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "doctor"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "AUTOGRADER_BWRAP": bwrap})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.endswith(("blocked", "(promised)"))]
    assert len(rows) == 11, done.stdout
    # As graded, with the audit hook (the second column), every probe is blocked in every mode.
    assert all(line[51:78].strip() == "blocked" for line in rows), done.stdout
    mode = "bwrap" if bwrap == "1" else ("sandbox user" if os.geteuid() == 0 else "subprocess")
    assert f"mode: {mode}" in done.stdout
    assert "promises to block was blocked" in done.stdout
