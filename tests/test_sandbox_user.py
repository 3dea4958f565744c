"""The layers that hold without bubblewrap: the sandbox user (a root grader), deadlines enforced
from outside through the progress pipe, and reaping what a run leaves behind. Real processes,
small `python -c` children."""

from __future__ import annotations

import os
import secrets
import struct
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.grading.sandbox import Limits, RunReport, SandboxUnavailable, SubprocessSandbox, users

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user needs a root grader")
PROGRESS = "import os; os.write(int(os.environ['AUTOGRADER_PROGRESS_FD']), b'.')"


@pytest.fixture
def box() -> SubprocessSandbox:
    return SubprocessSandbox(use_bwrap=False)


@pytest.fixture
def job(box: SubprocessSandbox) -> Iterator[Path]:
    with box.job() as folder:
        yield folder


def py(box: SubprocessSandbox, code: str, job: Path, *args: str, **limits: Any) -> RunReport:
    return box.run([sys.executable, "-I", "-c", textwrap.dedent(code), *args], job_dir=job,
                   limits=Limits(**limits))


def _alive(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


# --- deadlines from outside --------------------------------------------------------------------

SWALLOWS_EVERYTHING = """
    import signal, sys
    for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
        signal.signal(s, signal.SIG_IGN)
    {progress}
    while True:
        try:
            sum(range(10**6))
        except BaseException:
            pass
"""


def test_a_child_that_stops_reporting_is_killed_after_idle_s(
        box: SubprocessSandbox, job: Path) -> None:
    started = time.monotonic()
    r = py(box, SWALLOWS_EVERYTHING.format(progress=PROGRESS), job, wall_s=60, idle_s=1.0)
    assert r.timed_out and r.stalled, r
    assert time.monotonic() - started < 10


def test_a_child_that_never_reports_is_killed_after_start_s(
        box: SubprocessSandbox, job: Path) -> None:
    r = py(box, SWALLOWS_EVERYTHING.format(progress="pass"), job, wall_s=60, start_s=1.0,
           idle_s=30.0)
    assert r.timed_out and r.stalled and r.duration_s < 10, r


def test_progress_keeps_a_child_alive_until_the_wall_clock(
        box: SubprocessSandbox, job: Path) -> None:
    code = f"""
        import time
        while True:
            {PROGRESS}
            time.sleep(0.2)
    """
    r = py(box, code, job, wall_s=2.0, idle_s=1.0)
    assert r.timed_out and not r.stalled, r


# --- the sandbox user ---------------------------------------------------------------------------

@as_root
def test_the_child_runs_as_a_sandbox_user_without_groups(
        box: SubprocessSandbox, job: Path) -> None:
    r = py(box, "import os; print(os.getuid(), os.getgid(), os.getgroups())", job)
    uid, gid, groups = r.stdout.split(maxsplit=2)
    assert int(uid) in users.uid_range() and int(gid) == users.SANDBOX_GID, r
    assert groups.strip() == "[]"


@as_root
def test_the_sandbox_user_cannot_read_root_files_signal_the_grader_or_raise_limits(
        box: SubprocessSandbox, job: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("root only")
    secret.chmod(0o600)
    code = """
        import os, resource, sys
        def attempt(what, action):
            try:
                action()
                print(what, "allowed")
            except (OSError, ValueError) as error:  # setrlimit above the hard limit
                print(what, "refused", type(error).__name__)
        attempt("read", lambda: open(sys.argv[1]).read())
        attempt("signal", lambda: os.kill(int(sys.argv[2]), 0))
        attempt("rlimit", lambda: resource.setrlimit(resource.RLIMIT_CPU, (-1, -1)))
        attempt("write", lambda: open(sys.argv[3], "w").write("x"))
    """
    kit_file = Path(__file__).resolve()
    r = py(box, code, job, str(secret), str(os.getpid()), str(kit_file))
    assert r.stdout.splitlines() == [
        "read refused PermissionError", "signal refused PermissionError",
        "rlimit refused ValueError",
        "write refused PermissionError"], r


@as_root
def test_what_the_user_left_running_or_in_tmp_is_gone_after_the_run(
        box: SubprocessSandbox, job: Path) -> None:
    token = f"97531.{secrets.randbelow(10**6):06d}"
    dropped = [Path("/tmp") / f"left-{token}", Path("/var/tmp") / f"left-{token}"]
    code = """
        import os, sys
        for path in sys.argv[2:]:
            open(path, "w").write("left behind")
        if os.fork() == 0:          # a daemon: new session, no environment, not our child
            os.setsid()
            if os.fork() == 0:
                os.execve("/bin/sleep", ["sleep", sys.argv[1]], {})
            os._exit(0)
        os.wait()
    """
    try:
        r = py(box, code, job, token, *map(str, dropped))
        assert r.exit_code == 0, r
        assert _alive(token) == []
        assert [p for p in dropped if p.exists()] == []
    finally:
        for pid in _alive(token):
            os.kill(pid, 9)
        for path in dropped:
            path.unlink(missing_ok=True)


@as_root
def test_a_fork_bomb_meets_rlimit_nproc_and_is_gone_after(
        box: SubprocessSandbox, job: Path) -> None:
    token = f"97532.{secrets.randbelow(10**6):06d}"
    code = """
        import os, sys
        made = 0
        try:
            for _ in range(400):
                if os.fork() == 0:
                    os.execv("/bin/sleep", ["sleep", sys.argv[1]])
                made += 1
        except OSError as error:
            print("stopped after", made, type(error).__name__)
    """
    try:
        r = py(box, code, job, token, processes=32)
        assert r.stdout.startswith("stopped after"), r
        assert _alive(token) == []
    finally:
        for pid in _alive(token):
            os.kill(pid, 9)


@as_root
def test_granting_traversal_only_ever_adds_to_what_the_sandbox_user_had(
        box: SubprocessSandbox, job: Path, tmp_path: Path) -> None:
    """A named group entry replaces "other" for the group's members: a bare --x on a folder
    others may write would take that write away (it once did so to /tmp)."""
    drop_box = tmp_path / "drop-box"
    drop_box.mkdir()
    drop_box.chmod(0o1776)  # others may write, not pass through
    (drop_box / "inside").mkdir()
    assert not users.can_read(drop_box / "inside", traverse_only=True)
    assert drop_box in users.grant_traversal(drop_box / "inside")
    r = py(box, "import sys, os; os.stat(sys.argv[1]); open(sys.argv[2], 'w').write('x')",
           job, str(drop_box / "inside"), str(drop_box / "dropped"))
    assert r.exit_code == 0, r
    assert users.grant_traversal(drop_box / "inside") == []  # nothing left to add


@as_root
def test_a_narrowing_entry_left_by_an_older_kit_is_widened(
        box: SubprocessSandbox, job: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    undefined = 0xFFFFFFFF  # user_obj, group_obj rwx; group:SANDBOX_GID:--x; mask, other rwx
    entries = [(0x01, 7, undefined), (0x04, 7, undefined), (0x08, 1, users.SANDBOX_GID),
               (0x10, 7, undefined), (0x20, 7, undefined)]
    os.setxattr(shared, "system.posix_acl_access", struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", *entry) for entry in entries))
    users.grant_traversal(shared)
    write = "import sys; open(sys.argv[1], 'w').write('x')"
    assert "PermissionError" in py(box, write, job, str(shared / "a")).stderr
    assert users.heal_narrowed((shared,)) == [shared]
    assert py(box, write, job, str(shared / "b")).exit_code == 0
    assert users.heal_narrowed((shared,)) == []


@as_root
def test_what_the_sandbox_user_may_read_is_asked_out_of_every_run_s_reach(
        box: SubprocessSandbox, job: Path, tmp_path: Path) -> None:
    """A run may kill every process of its own uid; the kit's question "can the sandbox user
    read this?" must not be one of them (a killed helper once read as "no", everywhere)."""
    private = tmp_path / "private"
    private.write_text("root only")
    private.chmod(0o600)
    killer = """
        import os, signal, time
        end = time.monotonic() + float(__import__("sys").argv[1])
        while time.monotonic() < end:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
    """
    import threading
    runs = threading.Thread(target=py, args=(box, killer, job, "3"))
    runs.start()
    try:
        time.sleep(0.5)
        answers = {users.access_error(private) for _ in range(40)}
    finally:
        runs.join()
    assert answers == {13}  # EACCES, each time
    assert users.probe_uid() not in users.uid_range()


@as_root
def test_strict_hide_refuses_paths_the_sandbox_user_can_still_read(tmp_path: Path) -> None:
    readable = Path(__file__).resolve().parent  # the kit's tests: world-readable here
    if not os.stat(readable).st_mode & 0o005:
        pytest.skip("the kit's folder is not world-readable here")
    with pytest.raises(SandboxUnavailable, match="can still read"):
        SubprocessSandbox(use_bwrap=False, hide=[readable], strict_hide=True)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    SubprocessSandbox(use_bwrap=False, hide=[private], strict_hide=True)  # no error


@as_root
def test_job_folders_are_closed_to_the_next_run_of_the_same_uid(
        box: SubprocessSandbox, job: Path) -> None:
    assert py(box, "open('answer.txt', 'w').write('mine')", job).exit_code == 0
    with box.job() as other:
        r = py(box, "import sys; print(open(sys.argv[1]).read())", other, str(job / "answer.txt"))
    assert "PermissionError" in r.stderr, r


def test_the_worker_and_the_sandbox_agree_on_the_progress_variable() -> None:
    """The worker cannot import the sandbox (it runs on the child's copy of the kit), so it
    names the variable itself."""
    from autograder.grading.child import worker
    from autograder.grading.sandbox import environment

    assert worker.PROGRESS_FD_VAR == environment.PROGRESS_FD_VAR
