"""The sandbox with real subprocesses: small `python -c` children, no TensorFlow.

Most tests run twice: inside bubblewrap (skipped where `bwrap_status()` says it does not work)
and as a plain subprocess (always), since CI may land on either.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import autograder
from autograder.grading.sandbox import (
    ENV_KEYS,
    InProcessSandbox,
    Limits,
    RunReport,
    Sandbox,
    SandboxUnavailable,
    SubprocessSandbox,
    bwrap_status,
    default_sandbox,
    subprocess_sandbox,
)
from autograder.grading.sandbox import bwrap as sandbox_bwrap

BWRAP_OK, BWRAP_WHY = bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bwrap does not work here: {BWRAP_WHY}")
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.fixture(
    params=[pytest.param("bwrap", marks=needs_bwrap), "plain"],
)
def sandbox(request: pytest.FixtureRequest) -> SubprocessSandbox:
    return SubprocessSandbox(use_bwrap=request.param == "bwrap")


@pytest.fixture
def job() -> Iterator[Path]:
    """A job folder as the grader gets one: where a sandbox user can reach it too."""
    with SubprocessSandbox(use_bwrap=False).job() as folder:
        yield folder


@pytest.fixture
def outside() -> Iterator[Path]:
    """A fresh directory outside /tmp (inside bwrap, /tmp is a private tmpfs anyway)."""
    for base in (Path("/var/tmp"), Path.home()):
        try:
            d = Path(tempfile.mkdtemp(prefix="sandbox-test-", dir=base)).resolve()
        except OSError:
            continue
        if Path("/tmp") in d.parents:
            shutil.rmtree(d)
            continue
        yield d
        shutil.rmtree(d, ignore_errors=True)
        return
    pytest.skip("no writable directory outside /tmp")


def py(box: Sandbox, code: str, job: Path, *args: str, **limits: Any) -> RunReport:
    argv = [sys.executable, "-I", "-c", textwrap.dedent(code), *args]
    return box.run(argv, job_dir=job, limits=Limits(**limits))


def live_with(token: str) -> list[int]:
    """Host pids of live (not zombie) processes with `token` on their command line."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() not in (entry / "cmdline").read_bytes():
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


# ---------------------------------------------------------------------------------------------
# a normal run


def test_normal_run(sandbox: SubprocessSandbox, job: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "hunter2")
    r = py(
        sandbox,
        """
        import json, os, pathlib
        home = pathlib.Path(os.environ["HOME"])
        (home / "cache.txt").write_text("ok")
        pathlib.Path(os.environ["TMPDIR"], "t").write_text("ok")
        pathlib.Path("result.json").write_text("{}")
        print(json.dumps({"cwd": os.getcwd(), "env": dict(os.environ)}))
        """,
        job,
    )
    assert (r.exit_code, r.signal, r.timed_out, r.truncated) == (0, None, False, False), r
    assert r.stderr == ""
    seen = json.loads(r.stdout)
    assert seen["cwd"] == str(job.resolve())
    env = seen["env"]
    assert "AUTOGRADER_TEST_SECRET" not in env
    assert "hunter2" not in json.dumps(env)
    assert set(env) - {"LC_CTYPE"} <= ENV_KEYS  # LC_CTYPE: Python's own locale coercion
    leaked = {k for k in os.environ if k not in ENV_KEYS and k in env}
    assert not leaked
    assert Path(env["HOME"]).parent == job.resolve()
    assert Path(env["TMPDIR"]).parent == job.resolve()
    assert env["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert (job / ".home" / "cache.txt").read_text() == "ok"
    assert (job / "result.json").exists()  # the caller reads what the worker wrote
    assert "rlimits: AS 4 GiB, CPU 120 s, FSIZE 64 MiB" in r.isolation
    assert 0 < r.duration_s < 10


@pytest.mark.parametrize(
    ("code", "exit_code", "sig"),
    [
        ("import os; os._exit(3)", 3, None),
        ("import sys; sys.exit(0)", 0, None),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", None, signal.SIGTERM),
        ("raise ValueError('boom')", 1, None),
    ],
)
def test_exit_codes(
    sandbox: SubprocessSandbox, job: Path, code: str, exit_code: int | None, sig: int | None
) -> None:
    r = py(sandbox, code, job)
    assert (r.exit_code, r.signal, r.timed_out) == (exit_code, sig, False), r
    if exit_code == 1:
        assert "ValueError: boom" in r.stderr


def test_a_program_that_cannot_start_is_reported(sandbox: SubprocessSandbox, job: Path) -> None:
    r = sandbox.run(["/nonexistent/python"], job_dir=job, limits=Limits())
    assert r.exit_code == 127
    assert "cannot start" in r.stderr


def test_caller_errors_raise(job: Path) -> None:
    box = SubprocessSandbox(use_bwrap=False)
    with pytest.raises(ValueError):
        box.run([], job_dir=job, limits=Limits())
    with pytest.raises(NotADirectoryError):
        box.run([sys.executable, "-c", "pass"], job_dir=job / "missing", limits=Limits())
    with pytest.raises(ValueError):
        Limits(wall_s=0)
    with pytest.raises(ValueError):
        SubprocessSandbox(hide=[Path("relative")], use_bwrap=False)


# ---------------------------------------------------------------------------------------------
# the wall clock, and processes left behind

SPAWNER = """
    import os, subprocess, sys, time
    token, then = sys.argv[1], sys.argv[2]
    sleeper = "import sys, time; open(sys.argv[1], 'w').close(); time.sleep(1000)"
    started = []
    # One grandchild leaves the session (setsid) and keeps our stdout: it escapes killpg and
    # holds the pipe. The other stays in the process group with its output on /dev/null.
    for name, new_session, out in (("a", True, None), ("b", False, subprocess.DEVNULL)):
        path = os.path.join(os.getcwd(), f"started-{name}-{token}")
        subprocess.Popen([sys.executable, "-c", sleeper, path, token],
                         start_new_session=new_session, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=out)
        started.append(path)
    while not all(os.path.exists(p) for p in started):
        time.sleep(0.01)
    print("ready", flush=True)
    if then == "spin":
        while True:
            pass
"""


@needs_proc
def test_timeout_kills_the_whole_tree(sandbox: SubprocessSandbox, job: Path) -> None:
    token = secrets.token_hex(8)
    r = py(sandbox, SPAWNER, job, token, "spin", wall_s=1.5)
    assert r.timed_out
    assert (r.exit_code, r.signal) == (None, signal.SIGKILL)
    assert "ready" in r.stdout, r
    assert len(list(job.glob(f"started-*-{token}"))) == 2
    assert 1.5 <= r.duration_s < 5
    assert live_with(token) == []  # gone by the time run() returns: no polling here


@needs_proc
def test_processes_left_after_a_normal_exit_are_killed(
    sandbox: SubprocessSandbox, job: Path
) -> None:
    token = secrets.token_hex(8)
    r = py(sandbox, SPAWNER, job, token, "exit", wall_s=20)
    assert (r.exit_code, r.timed_out) == (0, False), r
    assert r.stdout == "ready\n"
    assert len(list(job.glob(f"started-*-{token}"))) == 2
    assert r.duration_s < 5  # the stray holding stdout did not keep us waiting
    assert live_with(token) == []


def test_sleeping_child_is_stopped_by_the_wall_clock(job: Path) -> None:
    box = SubprocessSandbox(use_bwrap=False)
    r = py(box, "import time; time.sleep(100)", job, wall_s=0.5)
    assert r.timed_out and r.duration_s < 3


def test_cpu_limit_ends_with_sigxcpu(job: Path) -> None:
    box = default_sandbox()
    r = box.run(
        [sys.executable, "-I", "-c", "while True: pass"],
        job_dir=job,
        limits=Limits(wall_s=20, cpu_s=1),
    )
    assert not r.timed_out
    assert r.signal in (signal.SIGXCPU, signal.SIGKILL), r
    assert r.duration_s < 10


# ---------------------------------------------------------------------------------------------
# output, memory, files


def test_output_is_capped(sandbox: SubprocessSandbox, job: Path) -> None:
    cap = 64 * 1024
    r = py(
        sandbox,
        """
        import sys
        chunk = "x" * 1_000_000
        for _ in range(10):
            sys.stdout.write(chunk)
        sys.stderr.write("e" * 1_000_000)
        """,
        job,
        output_bytes=cap,
    )
    assert r.exit_code == 0, r
    assert r.truncated
    assert r.stdout.startswith("x" * cap)
    assert cap < len(r.stdout) <= cap + 200
    assert "dropped" in r.stdout[cap:]
    assert cap < len(r.stderr) <= cap + 200
    assert r.duration_s < 10


def test_memory_limit(sandbox: SubprocessSandbox, job: Path) -> None:
    r = py(sandbox, "buf = bytearray(8 * 2**30)", job)
    assert r.exit_code == 1, r
    assert "MemoryError" in r.stderr
    ok = py(sandbox, "print('still fine')", job)
    assert ok.stdout == "still fine\n"


def test_file_size_limit(sandbox: SubprocessSandbox, job: Path) -> None:
    r = py(
        sandbox,
        """
        chunk = b"\\0" * 2**20
        with open("big.bin", "wb") as f:
            for _ in range(100):
                f.write(chunk)
        """,
        job,
    )
    assert r.exit_code == 1, r
    assert "File too large" in r.stderr
    assert (job / "big.bin").stat().st_size <= Limits().file_bytes


def test_nproc_applies_unless_the_child_is_root_and_says_so(job: Path) -> None:
    """A sandbox user (the default for a root grader without bwrap) is bound by RLIMIT_NPROC;
    a child left as root is exempt, and the isolation line says so."""
    r = SubprocessSandbox(use_bwrap=False).run(
        [sys.executable, "-I", "-c", "pass"], job_dir=job, limits=Limits(processes=64)
    )
    assert r.exit_code == 0
    assert "NPROC 64" in r.isolation
    if os.geteuid() == 0:
        as_root = SubprocessSandbox(use_bwrap=False, unprivileged=False).run(
            [sys.executable, "-I", "-c", "pass"], job_dir=job, limits=Limits(processes=64))
        assert as_root.exit_code == 0 and "NPROC not set" in as_root.isolation


# ---------------------------------------------------------------------------------------------
# bubblewrap: what the child cannot see or touch


@needs_bwrap
def test_hidden_paths_are_invisible(job: Path, outside: Path) -> None:
    secret_dir = outside / "solutions"
    secret_dir.mkdir()
    (secret_dir / "answer.py").write_text("SECRET = 42\n")
    secret_file = outside / "seed.txt"
    secret_file.write_text("1234")
    probe = """
        import os, sys
        d, f = sys.argv[1], sys.argv[2]
        print(sorted(os.listdir(d)) if os.path.isdir(d) else "no dir")
        print(repr(open(f).read()) if os.path.exists(f) else "no file")
    """
    seen = py(SubprocessSandbox(use_bwrap=True), probe, job, str(secret_dir), str(secret_file))
    assert seen.stdout == "['answer.py']\n'1234'\n", seen  # the control: visible when not hidden
    box = SubprocessSandbox(use_bwrap=True, hide=[secret_dir, secret_file])
    r = py(box, probe, job, str(secret_dir), str(secret_file))
    assert r.stdout == "[]\n''\n", r
    assert "2 instructor path(s) hidden" in r.isolation


@needs_bwrap
def test_writes_outside_job_dir_fail(job: Path, outside: Path) -> None:
    token = secrets.token_hex(8)
    r = py(
        SubprocessSandbox(use_bwrap=True),
        """
        import sys
        target, token = sys.argv[1], sys.argv[2]
        open("in-job.txt", "w").write("ok")
        open("/tmp/" + token, "w").write("private")
        try:
            open(target + "/escaped.txt", "w").write("x")
        except OSError as exc:
            print("refused:", exc.strerror)
        """,
        job,
        str(outside),
        token,
    )
    assert r.exit_code == 0, r
    assert r.stdout.startswith("refused: Read-only file system"), r
    assert not (outside / "escaped.txt").exists()
    assert (job / "in-job.txt").read_text() == "ok"
    assert not Path("/tmp", token).exists()  # the child's /tmp is its own


@needs_bwrap
def test_no_network(job: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    connect = """
        import socket, sys
        try:
            socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
            print("connected")
        except OSError as exc:
            print("failed:", type(exc).__name__)
    """
    try:
        inside = py(SubprocessSandbox(use_bwrap=True), connect, job, str(port))
        control = py(SubprocessSandbox(use_bwrap=False), connect, job, str(port))
    finally:
        server.close()
    assert inside.stdout.startswith("failed:"), inside
    assert control.stdout == "connected\n", control  # the test would see a leak


@needs_bwrap
def test_the_interpreter_stays_visible_under_hidden_parents_and_the_kit_does_not(
        job: Path) -> None:
    """The worker runs its own copy of the child's modules: the kit's package is hidden with
    the kit's folder, only the interpreter and its libraries come back."""
    repo = Path(autograder.__file__).resolve().parent.parent
    hide = [repo]
    venv_parent = Path(sys.prefix).resolve().parent
    if len(venv_parent.parts) > 2:  # never hide / or /usr
        hide.append(venv_parent)
    box = SubprocessSandbox(use_bwrap=True, hide=hide)
    sibling = repo / "pyproject.toml"
    r = py(
        box,
        """
        import importlib.util, os, sys
        import numpy
        print(numpy.zeros(3).sum(), os.path.exists(sys.argv[1]),
              importlib.util.find_spec("autograder") is None)
        """,
        job,
        str(sibling),
    )
    assert r.exit_code == 0, r
    assert r.stdout == "0.0 False True\n"


@needs_bwrap
def test_root_in_bwrap_has_no_capabilities_and_cannot_write_proc_sys(job: Path) -> None:
    r = py(
        SubprocessSandbox(use_bwrap=True),
        """
        caps = dict(l.split(":\\t") for l in open("/proc/self/status").read().splitlines()
                    if l.startswith("Cap"))
        print(caps["CapEff"].strip())
        try:
            open("/proc/sys/kernel/core_pattern", "w").close()
            print("writable")
        except OSError:
            print("read-only")
        """,
        job,
    )
    assert r.stdout == "0000000000000000\nread-only\n", r


# ---------------------------------------------------------------------------------------------
# degraded mode and the probe


def test_without_bwrap_runs_and_says_so(job: Path) -> None:
    box = SubprocessSandbox(use_bwrap=False)
    assert not box.uses_bwrap
    r = py(box, "import os; print('hi', os.getuid())", job)
    if os.geteuid() == 0:  # a root grader gives the child a sandbox user of its own
        assert box.unprivileged
        assert r.stdout.startswith("hi ") and r.stdout != "hi 0\n", r
        assert r.isolation.startswith("subprocess as an unprivileged sandbox user (bwrap not used")
    else:
        assert r.stdout == f"hi {os.getuid()}\n"
        assert r.isolation.startswith("subprocess only (bwrap not used")


def test_unavailable_bwrap_degrades_or_fails_loudly(
    job: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess_sandbox, "bwrap_status", lambda: (False, "no user namespaces"))
    with pytest.raises(SandboxUnavailable, match="no user namespaces"):
        SubprocessSandbox(use_bwrap=True)
    monkeypatch.delenv("AUTOGRADER_BWRAP", raising=False)
    box = default_sandbox(hide=[job])
    if os.geteuid() == 0:  # the job folder is root's own (mode 0700): out of the user's reach
        assert "sandbox user (bwrap unavailable: no user namespaces)" in box.isolation
        assert "1 instructor path(s) unreadable to that user" in box.isolation
    else:
        assert "subprocess only (bwrap unavailable: no user namespaces)" in box.isolation
        assert "NOT hidden" in box.isolation
    assert py(box, "print('hi')", job).stdout == "hi\n"


def test_probe_says_why(tmp_path: Path) -> None:
    missing = sandbox_bwrap._probe_bwrap(None)
    assert not missing.ok and "not found" in missing.reason
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    broken = sandbox_bwrap._probe_bwrap(str(fake))
    assert not broken.ok and "No permissions to create new namespace" in broken.reason


def test_default_sandbox_uses_bwrap_when_it_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOGRADER_BWRAP", raising=False)
    box = default_sandbox()
    assert isinstance(box, SubprocessSandbox)
    assert box.uses_bwrap == BWRAP_OK
    plain = "subprocess as an unprivileged" if os.geteuid() == 0 else "subprocess only"
    assert box.isolation.startswith("bubblewrap" if BWRAP_OK else plain)


@pytest.mark.parametrize(("value", "uses"), [("0", False), ("1", True), ("auto", None)])
def test_autograder_bwrap_switches_bwrap(monkeypatch: pytest.MonkeyPatch, value: str,
                                         uses: bool | None) -> None:
    monkeypatch.setenv("AUTOGRADER_BWRAP", value)
    if uses and not BWRAP_OK:
        with pytest.raises(SandboxUnavailable):
            default_sandbox()
        return
    box = default_sandbox()
    assert isinstance(box, SubprocessSandbox)
    assert box.uses_bwrap == (BWRAP_OK if uses is None else uses)


# ---------------------------------------------------------------------------------------------
# the in-process test double


def test_in_process_double(tmp_path: Path) -> None:
    def target(argv: Sequence[str], job_dir: Path) -> int:
        print("out", *argv)
        print("err", file=sys.stderr)
        (job_dir / "result.json").write_text("{}")
        if argv[0] == "exit":
            raise SystemExit(2)
        if argv[0] == "raise":
            raise ValueError("boom")
        return 0

    box = InProcessSandbox(target)
    ok = box.run(["fine"], job_dir=tmp_path, limits=Limits())
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "out fine\n", "err\n")
    assert (tmp_path / "result.json").exists()
    assert ok.isolation == "in-process test double (no isolation)"
    assert box.run(["exit"], job_dir=tmp_path, limits=Limits()).exit_code == 2
    crashed = box.run(["raise"], job_dir=tmp_path, limits=Limits())
    assert crashed.exit_code == 1
    assert "Traceback" in crashed.stderr and "ValueError: boom" in crashed.stderr
    capped = box.run(["x" * 500], job_dir=tmp_path, limits=Limits(output_bytes=100))
    assert capped.truncated and capped.stdout.startswith("out " + "x" * 96)


def _zombie_children() -> set[int]:
    """This process's children that exited and were never reaped."""
    found = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.add(int(stat_file.parent.name))
    return found


def test_run_leaves_no_zombie_child(job: Path) -> None:
    # Other tests' helpers (process pools, clusters) may be children of this process too:
    # compare before and after rather than expect no child at all.
    before = _zombie_children()
    py(SubprocessSandbox(use_bwrap=False), "pass", job)
    assert _zombie_children() <= before


def _with_argument(marker: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("use_bwrap", [False, pytest.param(True, marks=needs_bwrap)],
                         ids=["plain", "bwrap"])
def test_killing_the_grader_takes_its_sandboxed_child_along(tmp_path: Path, use_bwrap: bool) -> None:
    marker = f"time.sleep({97000 + os.getpid() % 1000})"
    code = ("import sys; from pathlib import Path\n"
            "from autograder.grading.sandbox import Limits, SubprocessSandbox\n"
            f"SubprocessSandbox(use_bwrap={use_bwrap}).run([sys.executable, '-c', "
            f"'import time; {marker}'], job_dir=Path({str(tmp_path)!r}), limits=Limits(wall_s=60))")
    grader = subprocess.Popen([sys.executable, "-c", code])
    def sleeper_running() -> bool:  # the sandboxed command itself, not bwrap starting it
        for pid in _with_argument(marker):
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if argv[1:3] == [b"-c", f"import time; {marker}".encode()]:
                    return True
        return False

    deadline = time.monotonic() + 15
    while not sleeper_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleeper_running(), "the sandboxed child never started"
    grader.kill()  # SIGKILL: the grader gets no chance to clean up
    grader.wait()
    deadline = time.monotonic() + 5
    while _with_argument(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _with_argument(marker) == []
