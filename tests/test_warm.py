"""Warm workers (autograder.grading.warm): each job a fresh process forked from a sandboxed
template, with every protection of a cold worker, and the same results. Real sandboxes, both
modes (tests/conftest.py), real TensorFlow for the trainer."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.core.calls import Call, Outcome
from autograder.core.checks import Check
from autograder.grading import jobs, warm, wire
from autograder.grading.grade import Options, grade
from autograder.grading.sandbox import default_sandbox
from autograder.registry import Exercise

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "tests" / "submissions" / "styles"
NUMPY = ("cross_correlation", "padding", "stride", "pooling")

pytestmark = pytest.mark.usefixtures("sandbox_mode")

# Run with the audit hook off (as `autograder doctor`'s control run does), so that a job can do
# what the hook would refuse and the template alone must clean up after it.
TRACES = textwrap.dedent('''
    import json, os, subprocess, sys

    SLEEP = [sys.executable, "-c", "import time; time.sleep(300)"]

    def leave(marker):
        """Leave a process, a double-forked daemon and files where the next job could look."""
        subprocess.Popen([*SLEEP, marker], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [*SLEEP, marker + "-daemon"])
            os._exit(0)
        spool = os.path.dirname(os.getcwd())
        written = []
        for folder in ("/tmp", "/dev/shm", spool):
            try:
                with open(os.path.join(folder, marker), "w") as note:
                    note.write("left by an earlier job")
                written.append(folder)
            except OSError:
                pass
        return json.dumps({"pid": os.getpid(), "written": written})

    def look(marker):
        """What this job can find of the earlier one, and of the template."""
        spool = os.path.dirname(os.getcwd())
        running = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    running += marker.encode() in cmdline.read()
            except OSError:
                pass
        try:
            with open(f"/proc/{os.getppid()}/mem", "rb"):
                template_memory = True
        except OSError:
            template_memory = False
        return json.dumps({"running": running,
                "files": [f for f in ("/tmp", "/dev/shm", spool)
                          if os.path.exists(os.path.join(f, marker))],
                "channels": [n for n in ("commands", "replies") if os.path.exists(
                    os.path.join(spool, n))],
                "template_memory": template_memory, "pid": os.getpid(), "spool": spool})

    def nap():
        import time
        time.sleep(120)

    def plant():
        """Write a module into the template's kit and lower the template's own limits."""
        import resource
        planted = []
        kit = os.path.join(os.path.dirname(os.getcwd()), "kit")
        try:
            with open(os.path.join(kit, "plistlib.py"), "w") as module:
                module.write("PLANTED = True\\n")
            planted.append("kit")
        except OSError:
            pass
        try:
            resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (100, 100))
            planted.append("limits")
        except OSError:
            pass
        return json.dumps({"planted": planted,
                           "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)})

    def inherited():
        import plistlib, resource
        return json.dumps({"plistlib": plistlib.__file__,
                           "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)})
''')


def _runner(tmp_path: Path, launcher: warm.Launcher, *, case_timeout_s: float = 10.0,
            ) -> tuple[jobs.CaseRunner, Exercise]:
    module = tmp_path / "traces.py"
    module.write_text(TRACES)
    exercise = Exercise("traces", "warm-worker probes", (),
                        ("leave", "look", "nap", "plant", "inherited"), "")
    sandbox = default_sandbox(hide=[ROOT])
    rules = wire.AuditRules(hidden=(str(ROOT),), keep=(), enabled=False)
    runner = jobs.CaseRunner(exercise, {"traces": module}, sandbox, rules, budget_s=120.0,
                             case_timeout_s=case_timeout_s, launcher=launcher)
    return runner, exercise


def _call(runner: jobs.CaseRunner, function: str, *args: Any) -> dict[str, Any]:
    check = Check(f"{function}-1", "traces", 1, function, Call(function, args=args), None)  # type: ignore[arg-type]
    [outcome] = runner.run([check], hidden=False).values()
    assert isinstance(outcome, Outcome) and not outcome.raised, (outcome, runner.notes)
    return dict(json.loads(str(outcome.value)))


def _running(marker: str) -> int:
    """Processes anywhere on the machine whose command line carries `marker`."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            count += marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
    return count


def test_a_job_leaves_nothing_for_the_next_one_on_the_same_template(tmp_path: Path) -> None:
    with warm.session():
        sandbox = default_sandbox(hide=[ROOT])
        launcher = warm.launcher(sandbox, "numpy")
        runner, _ = _runner(tmp_path, launcher)
        marker = f"warm-trace-{os.getpid()}-{tmp_path.name}"
        left = _call(runner, "leave", marker)
        assert "/tmp" in left["written"] and len(left["written"]) >= 2
        assert _running(marker) == 0  # swept before the reply, both the child and the daemon
        seen = _call(runner, "look", marker)
        assert seen["running"] == 0
        assert seen["files"] == []  # /tmp and /dev/shm (private, or this uid's) and the spool
        assert seen["channels"] == []  # the template's FIFOs were unlinked before any job
        assert seen["template_memory"] is False  # non-dumpable: no same-uid reads of it
        assert seen["pid"] != left["pid"]  # a fresh process per job
        assert Path(seen["spool"]).is_dir()
    assert not Path(seen["spool"]).exists()  # the session's end removes the template's spool


def test_a_job_cannot_plant_code_or_limits_in_the_template(tmp_path: Path) -> None:
    """A job of the template's uid may write to the spool's kit (under bwrap it owns it) and
    lower the template's rlimits (prlimit needs no ptrace): neither reaches the next job."""
    with warm.session():
        launcher = warm.launcher(default_sandbox(hide=[ROOT]), "numpy")
        runner, _ = _runner(tmp_path, launcher)
        first = _call(runner, "plant")
        assert "limits" in first["planted"]  # (the kit only where the sandbox lets it)
        later = _call(runner, "inherited")
        assert "/kit/" not in later["plistlib"]
        assert later["nofile"] == first["nofile"]


def test_a_job_past_its_deadline_takes_the_template_down_and_the_next_job_runs(
        tmp_path: Path) -> None:
    with warm.session():
        sandbox = default_sandbox(hide=[ROOT])
        launcher = warm.launcher(sandbox, "numpy")
        runner, _ = _runner(tmp_path, launcher, case_timeout_s=1.0)
        check = Check("nap-1", "traces", 1, "nap", Call("nap"), None)  # type: ignore[arg-type]
        [verdict] = runner.run([check], hidden=False).values()
        assert not isinstance(verdict, Outcome) and verdict.status == "timeout", verdict
        fresh, _ = _runner(tmp_path, launcher)
        assert _call(fresh, "look", "nothing-to-find")["channels"] == []


def test_warm_and_cold_grade_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The NumPy exercises of several styles and bugs: the same status and points per check."""
    options = Options(only=NUMPY)
    names = ["numpy-loops", "numpy-sliding-window", "bug-odd-pixel-first-even-kernel",
             "bug-pool-first-stride-both-axes", "attack-polymul-correlate1d"]

    def table(folder: Path) -> list[tuple[str, str, float]]:
        result = grade(folder, options)
        return [(c.id, c.status, c.points) for e in result.exercises for c in e.checks]

    warm_tables = [table(STYLES / name) for name in names]
    monkeypatch.setenv(warm.WARM_VAR, "0")
    cold_tables = [table(STYLES / name) for name in names]
    assert warm_tables == cold_tables


def test_the_warm_trainer_trains_a_fresh_model_per_job_as_a_cold_one_does(
        solution: dict[str, Any]) -> None:
    from autograder.core.probes import describe_model

    spec = describe_model(solution["cnn"].build_cnn())["spec"]
    rng = np.random.default_rng(7)
    data: dict[str, np.ndarray] = {"x_train": rng.integers(0, 256, (256, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 256).astype(np.int64),
            "x_test": rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)}
    sandbox = default_sandbox(hide=[ROOT])

    def train(launcher: warm.Launcher) -> np.ndarray:
        outcome = jobs.train(spec, **data, epochs=1, seed=11, launcher=launcher, timeout_s=300)
        assert isinstance(outcome, Outcome) and outcome.array is not None, outcome
        return outcome.array

    with warm.session():
        trainer = warm.launcher(sandbox, "tensorflow", "trainer")
        first, second = train(trainer), train(trainer)  # the second on the same template
    cold = train(warm.Cold(sandbox))
    assert np.array_equal(first, second)
    assert np.array_equal(first, cold)
