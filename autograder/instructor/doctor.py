"""`autograder doctor`: what the sandbox on this machine (or image) really stops.

It grades a probe module through the real sandbox and worker, exactly as a submission is
graded, once as students get it (with the worker's audit hook) and once with the outer layers
alone (bubblewrap or the sandbox user, rlimits, reaping), and prints, per probe, blocked or
NOT blocked. Some probes are also checked from outside after the run (a file written, a
process left behind). It exits non-zero when a probe gets through that this mode promises to
block: every probe with the audit hook; with the outer layers alone, what that layer promises
(`PROMISES`).

`sandbox_banner` is the one line that `autograder grade`, `batch` and `gradescope` print on
stderr before they start (and a batch puts into summary.md): the mode, the layers active here,
what only the audit hook stops in this mode (the probes outside `PROMISES`), how to get bwrap
where it is missing, and the isolation line that each result records.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autograder.core.calls import Call, Outcome
from autograder.core.checks import Check
from autograder.core.judge import Verdict
from autograder.grading import jobs, kit, wire
from autograder.grading.sandbox import SandboxUnavailable, SubprocessSandbox, bwrap_status, default_sandbox
from autograder.registry import Exercise

KIT_ROOT = Path(__file__).resolve().parents[2]

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


def titles() -> dict[str, str]:
    """Each probe's title, in the order doctor prints them."""
    return {
        "root-only": f"read a file only {'root' if os.geteuid() == 0 else 'you'} may read",
        "solutions": "read the kit's reference solutions",
        "write-outside": "write outside the job folder (an output folder)",
        "fork": "fork 300 processes",
        "connect": "connect to 127.0.0.1",
        "signal": "signal the grader",
        "rlimit": "raise an rlimit",
        "leave-process": "leave a process behind",
        "import": "import a forbidden package by a computed name",
        "write-kit": "write into the kit's files",
        "hidden-cases": "read another job's hidden cases",
    }


def _probes(scratch: Path, hidden_job: Path, port: int, token: str) -> list[Probe]:
    private = scratch / "private" / "secret.txt"
    outside = scratch / "out" / "forged.json"
    kit_file = KIT_ROOT / "autograder" / "core" / "judge.py"
    title = titles()

    def value(function: str, *args: object) -> Call:
        return Call(function, tuple(args))

    return [
        Probe("root-only", title["root-only"], value("read_file", str(private))),
        Probe("solutions", title["solutions"],
              value("read_file", str(KIT_ROOT / "solutions" / "padding.py"))),
        Probe("write-outside", title["write-outside"],
              value("write_file", str(outside)), lambda _: outside.exists()),
        Probe("fork", title["fork"], value("fork_many", 300)),
        Probe("connect", title["connect"], value("connect", port)),
        Probe("signal", title["signal"], value("signal_process", os.getpid())),
        Probe("rlimit", title["rlimit"], value("raise_rlimit")),
        Probe("leave-process", title["leave-process"], value("leave_process", token),
              lambda _: _stray(token)),
        Probe("import", title["import"], value("import_by_name", ["sci", "py", ".signal"])),
        Probe("write-kit", title["write-kit"], value("write_file", str(kit_file))),
        Probe("hidden-cases", title["hidden-cases"],
              value("read_file", str(hidden_job / "inputs.npz"))),
    ]


def _mode(sandbox: SubprocessSandbox) -> str:
    if sandbox.uses_bwrap:
        return "bwrap"
    return "sandbox user" if sandbox.unprivileged else "subprocess"


BANNER_PREFIX = "Sandbox here:"  # how the line begins (on stderr, and in summary.md)
# What the instructor does to get bwrap where it is missing.
GET_BWRAP = "get bwrap with `apt install bubblewrap` (Debian/Ubuntu)"


def sandbox_banner(hide: Sequence[Path] = (), *, scheduler: str | None = None,
                   where: str = "") -> str:
    """The one line saying which layers protect this machine from student code, what they do
    not stop, and how to get bwrap. `hide`: the command's own instructor paths (an output
    folder, a batch folder), besides the kit's, which every grading hides; `scheduler`: a
    batch on a Dask cluster (its workers grade with their own sandboxes); `where`: a clause on
    where the grading will really run (the Gradescope bundle)."""
    from autograder.grading.sandbox.subprocess_sandbox import BWRAP_VAR

    paths = [KIT_ROOT, kit.PACKAGE_DIR, KIT_ROOT / "solutions", *(Path(p).resolve() for p in hide),
             *(Path(p).resolve() for p in os.environ.get("AUTOGRADER_HIDE", "").split(":") if p)]
    try:
        sandbox = default_sandbox(hide=[p for p in paths if p.is_absolute()])
    except (SandboxUnavailable, OSError, ValueError) as error:
        return (f"{BANNER_PREFIX} no sandbox can be set up ({error}): grading will fail; "
                f"{GET_BWRAP}, or unset {BWRAP_VAR}, then run `autograder doctor`.")
    assert isinstance(sandbox, SubprocessSandbox)
    mode = _mode(sandbox)
    root = os.geteuid() == 0
    if mode == "bwrap":
        who = "as root, all capabilities dropped" if root else "as your user"
        layers = f"bwrap ({who}), rlimits, deadlines and reaping, and the worker's audit hook"
    elif mode == "sandbox user":
        layers = ("no bwrap; an unprivileged sandbox user of its own (the grader is root), "
                  "rlimits, deadlines and reaping, and the worker's audit hook")
    else:
        who = "as root" if root else "as your own user, with your rights"
        layers = (f"no bwrap and no sandbox user: student code runs {who}, in a separate "
                  "process with rlimits, deadlines and reaping, and the worker's audit hook")
    gaps = [title for probe, title in titles().items() if probe not in PROMISES[mode]]
    gap = ("left to the audit hook alone (a second layer, inside the student's process): "
           + "; ".join(gaps)) if gaps else "nothing is left to the audit hook alone"
    ok, why = bwrap_status()
    if mode == "bwrap":
        advice = "check it with `autograder doctor`"
    elif ok:
        advice = (f"bwrap works here but {BWRAP_VAR}={os.environ.get(BWRAP_VAR, '')} switched "
                  "it off: unset it to use bwrap")
    elif "not found" in why:
        advice = f"{GET_BWRAP}, then check with `autograder doctor`"
    else:
        advice = (f"bwrap is installed but cannot run here ({why}): it needs unprivileged user "
                  "namespaces, which most containers lack; check with `autograder doctor`")
    line = f"{BANNER_PREFIX} {layers}. Not protected: {gap}. To do: {advice}."
    if scheduler:
        line += (" This is the machine of the batch; the Dask workers grade with their own "
                 "sandboxes (each result.json names its own).")
    if where:
        line += f" {where}"
    return f"{line} Isolation line of each result: {sandbox.isolation}."


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
            rules = wire.AuditRules(hidden=tuple(str(p) for p in [*hide, *scipy, hidden_job]),
                                    keep=tuple(sorted(map(str, sandbox.interpreter_paths))),
                                    enabled=audit)
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
