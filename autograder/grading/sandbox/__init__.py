"""Run one untrusted command (the grader's worker) on a job directory, with limits.

The sandbox starts a process, limits it, waits for it, kills everything it left behind and
reports what happened. It never interprets results: the caller reads the files the worker wrote
into the job directory (see the trust boundary in DESIGN.md).

    parent (grader)                                  child
    ───────────────                                  ─────
    SubprocessSandbox.run(argv, job_dir, limits)
      ├─ scrubbed env: PATH, HOME/TMPDIR/MPLCONFIGDIR -> job_dir/.home, job_dir/.tmp, ...
      ├─ Popen(start_new_session=True, cwd=job_dir, stdin=/dev/null)
      │    preexec_fn: PR_SET_PDEATHSIG, setrlimit AS, CPU, FSIZE, CORE=0 (NPROC on request)
      │    └─ [bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all
      │              --die-with-parent --new-session --cap-drop ALL
      │              --tmpfs HIDDEN ... --ro-bind KEEP KEEP ... --bind JOB JOB --chdir JOB --]
      │              argv ...  (python -I -m autograder.grading.child.worker ...)
      ├─ one select loop: stdout/stderr kept up to output_bytes each, the rest read and dropped;
      │    the child's exit seen through a pidfd; the wall clock and the progress deadlines
      │    (a byte on the progress pipe per step) checked on every wake-up
      ├─ on timeout, and after a normal exit too: SIGKILL the process group; with bwrap, SIGKILL
      │    the pid namespace's init (the kernel then kills every process in the namespace);
      │    without bwrap, sweep /proc for strays of this run (same session or process group, or
      │    this run's marker in their environment) and wait until they are dead
      └─ RunReport(exit code or signal, timed_out, capped output, duration, isolation line)

Layers, and what each does not do (docs/sandbox.md has the table of what holds where):

* rlimits bound one process each (RLIMIT_CPU is per process, RLIMIT_AS is address space, not
  resident memory); where one cannot be set it is named in `RunReport.isolation`.
* The wall clock, and the progress deadlines (`Limits.start_s`, `Limits.idle_s`: the child
  writes a byte to the fd named by AUTOGRADER_PROGRESS_FD after each step), are enforced by
  the parent, so a child that sleeps, blocks or ignores every signal is also stopped.
* bubblewrap, where `bwrap_status()` says it works: no network (own network namespace), a
  read-only view of the whole file system except the job dir and a private, size-limited
  /tmp, an own pid namespace, all capabilities dropped, and the instructor's paths (`hide`)
  replaced by empty directories. The interpreter and its virtual environment are bound back
  read-only when a hidden path (or /tmp) covers them, so the worker still starts.
* When the grader runs as root, bwrap would leave the child root with full capabilities in its
  mount namespace (it could remount / read-write) and able to write /proc/sys; hence
  `--cap-drop ALL` and read-only binds over /proc/sys and friends.
* Without bwrap, as root: a sandbox user (`users.py`), a uid of its own per run, which puts
  root-only files, the grader, the kit's files and other runs out of reach; its processes are
  killed and its files in the world-writable folders removed after the run.
* Without bwrap and not root ("subprocess only"), the child has the grader user's rights on
  files and network: only the worker's audit hook (`autograder.grading.child.audit`) stands in the way.
* In every mode the grader is a child subreaper, so what a run double-forks or detaches comes
  back to it to be killed and reaped.

`preexec_fn` is documented as unsafe in a process with threads (a lock held at fork time can
deadlock the child before exec). The function used here only calls `prctl`,
`resource.setrlimit` and `os.write`; run sandboxes from one thread per process, or from
processes (Dask workers), to stay clear of it.

Modules, in the order a run meets them:

    base.py                the interface: Limits, RunReport, the Sandbox ABC, SandboxUnavailable
    subprocess_sandbox.py  SubprocessSandbox (starts the child) and default_sandbox
    environment.py         the scrubbed environment, ENV_KEYS, MARKER_VAR
    rlimits.py             the rlimit plan and the preexec function that applies it
    bwrap.py               the bwrap probe (bwrap_status), its fixed flags, the per-run mounts
    supervisor.py          the select loop: output, exit, wall clock, then kill what is left
    killing.py             pidfds, killing and waiting, the /proc sweep for strays
    users.py               the sandbox user: uid slots, killing by uid, cleaning /tmp, ACLs
    capture.py             capped stdout/stderr, shared with the double
    double.py              InProcessSandbox, the test double
"""

from autograder.grading.sandbox.base import Limits, RunReport, Sandbox, SandboxUnavailable
from autograder.grading.sandbox.bwrap import bwrap_status
from autograder.grading.sandbox.double import InProcessSandbox
from autograder.grading.sandbox.environment import ENV_KEYS, MARKER_VAR
from autograder.grading.sandbox.subprocess_sandbox import SubprocessSandbox, default_sandbox

__all__ = [
    "ENV_KEYS",
    "MARKER_VAR",
    "InProcessSandbox",
    "Limits",
    "RunReport",
    "Sandbox",
    "SandboxUnavailable",
    "SubprocessSandbox",
    "bwrap_status",
    "default_sandbox",
]
