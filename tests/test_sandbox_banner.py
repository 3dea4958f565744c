"""The sandbox line: `autograder grade`, `batch` and `gradescope` say on stderr, in one line,
which layers protect this machine from student code, what they leave to the audit hook and
how to get bwrap; a batch's summary.md has the same line. Through the real command line, with
bwrap (where it works), with `AUTOGRADER_BWRAP=0`, and with no bwrap on PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.sandbox import bwrap_status
from autograder.instructor.doctor import BANNER_PREFIX
from tests.conftest import ROOT, SOLUTIONS

ROOTED = os.geteuid() == 0
BWRAP_WORKS = bwrap_status()[0]
MODES = [pytest.param("bwrap", marks=pytest.mark.skipif(not BWRAP_WORKS,
                                                        reason="bubblewrap does not work here")),
         "off", "missing"]


def environment(mode: str, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ}
    env.pop("AUTOGRADER_BWRAP", None)  # bwrap where it works
    if mode == "off":
        env["AUTOGRADER_BWRAP"] = "0"
    elif mode == "missing":  # a PATH without bwrap (but with what the grader itself runs)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for tool in ("true", "sh", "bash"):
            for folder in ("/usr/bin", "/bin"):
                if (Path(folder) / tool).exists():
                    (bin_dir / tool).symlink_to(Path(folder) / tool)
                    break
        env["PATH"] = f"{Path(sys.executable).parent}:{bin_dir}"
    return env


def autograder(mode: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=environment(mode, tmp_path))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def the_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(BANNER_PREFIX)]
    assert len(lines) == 1, stderr[-3000:]
    assert BANNER_PREFIX not in stderr.replace(lines[0], "")  # one line, once
    return lines[0]


def assert_says_the_mode(line: str, mode: str) -> None:
    assert "audit hook" in line and "Not protected:" in line and "left to the audit hook" in line
    if mode == "bwrap":
        assert line.startswith(f"{BANNER_PREFIX} bwrap (")
        assert ("as root, all capabilities dropped" if ROOTED else "as your user") in line
        assert "Isolation line of each result: bubblewrap:" in line
        assert "fork 300 processes" in line  # what bwrap leaves to the audit hook
        assert "apt install" not in line
        return
    assert line.startswith(f"{BANNER_PREFIX} no bwrap")
    if ROOTED:
        assert "an unprivileged sandbox user" in line and "connect to 127.0.0.1" in line
    else:
        assert "no sandbox user" in line and "as your own user" in line
    if mode == "off" and BWRAP_WORKS:
        assert "AUTOGRADER_BWRAP=0 switched it off" in line
    if mode == "missing":
        assert "`apt install bubblewrap` (Debian/Ubuntu)" in line
        assert "bwrap unavailable: bwrap not found on PATH" in line


@pytest.mark.parametrize("mode", MODES)
def test_grade_says_which_protections_hold(mode: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = autograder(mode, tmp_path, "grade", str(SOLUTIONS), "--only", "padding", "--out",
                      str(out))
    line = the_line(done.stderr)
    assert_says_the_mode(line, mode)
    assert BANNER_PREFIX not in done.stdout  # stdout stays the result
    # the isolation it names is the one each result records (the grading's own)
    isolation = line.partition("Isolation line of each result: ")[2].removesuffix(".")
    recorded = json.loads((out / "result.json").read_text())["sandbox"]
    assert isolation and recorded.startswith(isolation + ";"), (isolation, recorded)


@pytest.mark.parametrize("mode", MODES)
def test_batch_says_it_and_puts_it_in_the_summary(mode: str, tmp_path: Path) -> None:
    top = tmp_path / "class"
    (top / "ann").mkdir(parents=True)
    (top / "ann" / "padding.py").write_text((SOLUTIONS / "padding.py").read_text())
    out = tmp_path / "out"
    done = autograder(mode, tmp_path, "batch", str(top), "--out", str(out), "--only", "padding",
                      "--jobs", "1")
    line = the_line(done.stderr)
    assert_says_the_mode(line, mode)
    summary = (out / "summary.md").read_text()
    assert f"\n{line}\n" in summary
    recorded = json.loads((out / "ann" / "result.json").read_text())["sandbox"]
    assert recorded.startswith(line.partition("Isolation line of each result: ")[2][:-1] + ";")


@pytest.mark.parametrize("mode", MODES)
def test_gradescope_says_it_too(mode: str, tmp_path: Path) -> None:
    done = autograder(mode, tmp_path, "gradescope", str(tmp_path / "bundle.zip"))
    line = the_line(done.stderr)
    assert_says_the_mode(line, mode)
    assert "Gradescope grades in its own container" in line
    assert (tmp_path / "bundle.zip").is_file()
