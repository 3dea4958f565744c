"""`autograder doctor`: what the sandbox on this machine (or image) really stops.

It grades a probe module through the real sandbox and worker, exactly as a submission is
graded, once as students get it (with the worker's audit hook) and once with the outer layers
alone (bubblewrap or the sandbox user, rlimits, reaping), and prints, per probe, blocked or
NOT blocked. Some probes are also checked from outside after the run (a file written, a
process left behind). It exits non-zero when a probe gets through that this mode promises to
block: every probe with the audit hook; with the outer layers alone, what that layer promises
(`PROMISES`).
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autograder import jobs
from autograder.calls import Call, Outcome
from autograder.checks import Check
from autograder.judge import Verdict
from autograder.registry import Exercise
from autograder.sandbox import SubprocessSandbox, default_sandbox

KIT_ROOT = Path(__file__).resolve().parents[1]

# The probe module, graded like a student's: each function returns what it managed to do, or
# raises because something stopped it.
PROBES_SOURCE = textwrap.dedent('''
    import importlib, os, resource, socket, time

    def read_file(path):
        with open(path, "rb") as handle:
            return f"read {len(handle.read(64))} bytes"

    def write_file(path):
        with open(path, "ab") as handle:  # opened for appending, nothing written
            return "opened for writing"

    def fork_many(count):
        children = []
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            children.append(pid)
        return f"forked {len(children)}"

    def connect(port):
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "connected"

    def signal_process(pid):
        os.kill(pid, 0)
        return "signalled"

    def raise_rlimit():
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        return "raised"

    def leave_process(token):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execve("/bin/sleep", ["sleep", token], {})
            os._exit(0)
        return "started"

    def import_by_name(parts):
        importlib.import_module("".join(parts))
        return "imported"
''')

# Which probes a mode's outer layers (without the audit hook) promise to block.
PROMISES = {
    "bwrap": {"solutions", "write-outside", "connect", "signal", "rlimit", "leave-process",
              "import", "write-kit", "hidden-cases"},
    "sandbox user": {"root-only", "write-outside", "fork", "signal", "rlimit", "leave-process",
                     "write-kit", "hidden-cases"},
    "subprocess": set(),
}


@dataclass(frozen=True)
class Probe:
    id: str
    title: str
    call: Call
    escaped: Callable[[Outcome | Verdict], bool] | None = None  # checked after the run


@dataclass(frozen=True)
class Row:
    probe: Probe
    blocked: bool
    how: str


@contextmanager
def _listener() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def _stray(token: str) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), 9)  # ours to clean up: the sandbox missed it
                    return True
            except OSError:
                continue
    return False


def _probes(scratch: Path, hidden_job: Path, port: int, token: str) -> list[Probe]:
    private = scratch / "private" / "secret.txt"
    outside = scratch / "out" / "forged.json"
    kit_file = KIT_ROOT / "autograder" / "judge.py"

    def value(function: str, *args: object) -> Call:
        return Call(function, tuple(args))

    return [
        Probe("root-only", f"read a file only {'root' if os.geteuid() == 0 else 'you'} may read",
              value("read_file", str(private))),
        Probe("solutions", "read the kit's reference solutions",
              value("read_file", str(KIT_ROOT / "solutions" / "padding.py"))),
        Probe("write-outside", "write outside the job folder (an output folder)",
              value("write_file", str(outside)), lambda _: outside.exists()),
        Probe("fork", "fork 300 processes", value("fork_many", 300)),
        Probe("connect", "connect to 127.0.0.1", value("connect", port)),
        Probe("signal", "signal the grader", value("signal_process", os.getpid())),
        Probe("rlimit", "raise an rlimit", value("raise_rlimit")),
        Probe("leave-process", "leave a process behind", value("leave_process", token),
              lambda _: _stray(token)),
        Probe("import", "import a forbidden package by a computed name",
              value("import_by_name", ["sci", "py", ".signal"])),
        Probe("write-kit", "write into the kit's files", value("write_file", str(kit_file))),
        Probe("hidden-cases", "read another job's hidden cases",
              value("read_file", str(hidden_job / "inputs.npz"))),
    ]


def _mode(sandbox: SubprocessSandbox) -> str:
    if sandbox.uses_bwrap:
        return "bwrap"
    return "sandbox user" if sandbox.unprivileged else "subprocess"


def run_probes(*, audit: bool) -> tuple[str, str, list[Row]]:
    """Grade the probes once; (mode, isolation line, one row per probe)."""
    token = f"98{secrets.randbelow(10**6):06d}.{secrets.randbelow(10**4):04d}"
    with tempfile.TemporaryDirectory(prefix="autograder-doctor-") as tmp, _listener() as port:
        scratch = Path(tmp)
        (scratch / "private").mkdir(mode=0o700)
        (scratch / "private" / "secret.txt").write_text("secret\n")
        (scratch / "private" / "secret.txt").chmod(0o600)
        (scratch / "out").mkdir()
        (scratch / "submission").mkdir()
        module = scratch / "submission" / "doctor_probes.py"
        module.write_text(PROBES_SOURCE)
        hide = [KIT_ROOT, scratch / "out", scratch / "private"]
        scipy = jobs.package_dirs(["scipy"])
        sandbox = default_sandbox(hide=[*hide, *scipy])
        assert isinstance(sandbox, SubprocessSandbox)
        with sandbox.job() as hidden_job:
            (hidden_job / "inputs.npz").write_bytes(b"hidden inputs")
            probes = _probes(scratch, hidden_job, port, token)
            exercise = Exercise("doctor_probes", "sandbox probes", (), tuple(p.call.function
                                for p in probes), "", forbidden_imports=("scipy",))
            rules = {"hidden": [str(p) for p in [*hide, *scipy, hidden_job]],
                     "keep": sorted(map(str, sandbox.interpreter_paths)), "enabled": audit}
            runner = jobs.CaseRunner(exercise, {"doctor_probes": module}, sandbox, rules,
                                     budget_s=60.0, case_timeout_s=5.0)
            checks = [Check(p.id, exercise.name, 0, p.title, p.call, None)  # type: ignore[arg-type]
                      for p in probes]
            outcomes = runner.run(checks, hidden=False)
        time.sleep(0.2)  # a process left behind would have started by now
        rows = [_row(probe, outcomes[probe.id]) for probe in probes]
        return _mode(sandbox), sandbox.isolation, rows


def _row(probe: Probe, outcome: Outcome | Verdict) -> Row:
    if probe.escaped is not None:  # what counts is what reached the machine
        if probe.escaped(outcome):
            return Row(probe, False, "seen from outside after the run")
        if isinstance(outcome, Outcome) and not outcome.raised:
            return Row(probe, True, "contained: nothing of it reached the machine")
    if isinstance(outcome, Verdict):
        return Row(probe, True, outcome.message.splitlines()[0][:70])
    if outcome.refused:
        return Row(probe, True, "audit hook")
    if outcome.raised:
        return Row(probe, True, (outcome.error or "")[:70])
    return Row(probe, False, str(outcome.value)[:70])


def main() -> int:
    print("autograder doctor: what the sandbox on this machine stops", flush=True)
    mode, isolation, hooked = run_probes(audit=True)
    _, _, outer = run_probes(audit=False)
    print(f"mode: {mode}\n{isolation}\n")
    print(f"{'probe':<50} {'as graded (audit hook on)':<27} outer layers alone")
    failed = []
    promised = PROMISES[mode]
    for with_hook, alone in zip(hooked, outer, strict=True):
        first = "blocked" if with_hook.blocked else "NOT blocked"
        second = "blocked" if alone.blocked else "NOT blocked"
        if alone.probe.id in promised:
            second += " (promised)"
        print(f"{with_hook.probe.title:<50} {first:<27} {second}")
        if not with_hook.blocked:
            failed.append(f"{with_hook.probe.title} ({with_hook.how})")
        if not alone.blocked and alone.probe.id in promised:
            failed.append(f"{alone.probe.title}, outer layers ({alone.how})")
    if failed:
        print("\nGOT THROUGH, although this mode promises to block it:\n  " + "\n  ".join(failed))
        return 1
    print("\nEvery probe this mode promises to block was blocked.")
    if mode == "subprocess":
        print("Only the audit hook guards this mode: grade as root (a sandbox user) or with "
              "bubblewrap for isolation that holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
