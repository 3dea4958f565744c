"""Running the gradings: `grade_and_render` on a local process pool or on a Dask cluster.

`grade_and_render` is the task on both: a top-level function of this module (so that spawned
pool processes and Dask workers unpickle it by its path), plain arguments in, plain dicts out:
the result and its files, rendered where it was graded (feedback.html's pictures are the slow
part: drawn in the batch's own process, they made every worker wait on it). A runner yields
each outcome as it arrives, a failed grading included: the batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from autograder.grading.sandbox.environment import THREADS_VAR
from autograder.instructor.batch.discover import DiscoveryError, Submission
from autograder.instructor.batch.stopping import GradingStopped, Stop, kill_tree, process_tree, wait_gone

# A task's outcome as it arrives: (submission, `grade_and_render`'s dict, or the error text)
Outcome = tuple[Submission, dict[str, Any] | None, str]
# A runner: (pending, options, stop) -> outcomes; it stops soon after `stop.requested`.
Runner = Callable[..., Iterator[Outcome]]
_POLL_S = 0.1  # how often a runner looks at the stop flag while it waits for results
STOP_GRACE_S = 6.0  # after a stop, how long the gradings get to kill their sandboxes
EXIT_GRACE_S = 3.0  # ... and the stopped workers to exit, before they are killed


def grade_one(path: str, options: dict[str, Any], shown: str = "") -> dict[str, Any]:
    """Grade the submission at `path` and return `SubmissionResult.to_dict()`.

    `options`: `Options.to_dict()` (plain values, so that it pickles to any worker). `shown`
    replaces the absolute path in the result (feedback shows the submission's name, not the
    grader's disk).
    """
    from autograder.grading.grade import Options, grade

    graded = grade(Path(path), Options.from_dict(options), label=shown or None)
    return graded.to_dict()


def grade_and_render(path: str, options: dict[str, Any], shown: str = "") -> dict[str, Any]:
    """`grade_one`'s grading, as {"result": `SubmissionResult.to_dict()`, "views": the files
    `autograder.grading.steps.outputs.views` renders from it, by name}."""
    from autograder.grading.grade import Options, grade, views

    graded = grade(Path(path), Options.from_dict(options), label=shown or None)
    return {"result": graded.to_dict(), "views": views(graded)}


@contextlib.contextmanager
def open_runner(*, scheduler: str | None, jobs: int | None,
                tasks: int) -> Iterator[tuple[Runner, int]]:
    """The runner for `tasks` gradings and how many it runs at a time: on the Dask cluster at
    `scheduler` (its client closed on exit), else on a local pool of `jobs` processes (default:
    the cores, never more than the tasks). An unreachable scheduler is a DiscoveryError."""
    if not (scheduler and tasks):
        parallel = max(1, min(jobs or _cores(), tasks or 1))
        yield local_runner(parallel), parallel
        return
    from distributed import Client

    try:
        client = Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as error:
        raise DiscoveryError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    try:
        yield dask_runner(client), max(sum(client.nthreads().values()), 1)
    finally:
        client.close()


def local_runner(jobs: int) -> Runner:
    def run_all(pending: Sequence[Submission], options: dict[str, Any],
                stop: Stop | None = None) -> Iterator[Outcome]:
        stop = stop or Stop()  # (never requested: no handler behind it)
        broken: list[Submission] = []
        for submission, data, error, lost in _on_pool(jobs, pending, options, stop):
            if lost:
                broken.append(submission)
            else:
                yield submission, data, error
        # A grading process died (out of memory, killed): the pool is gone with every task in
        # it. Try each of those again alone, so that one cannot take the others down twice.
        for submission in sorted(broken, key=lambda s: s.student_id):
            if stop.requested:
                return
            for alone in _on_pool(1, [submission], options, stop):
                if alone[3]:
                    yield submission, None, "the grading process died (BrokenProcessPool): " \
                        "a worker of the pool was killed, out of memory or by a signal"
                else:
                    yield alone[:3]
    return run_all


# What _on_pool yields: an Outcome and whether the pool broke under it (then no outcome).
_Pooled = tuple[Submission, dict[str, Any] | None, str, bool]


def _on_pool(jobs: int, pending: Sequence[Submission], options: dict[str, Any],
             stop: Stop) -> Iterator[_Pooled]:
    """Grade `pending` on a fresh pool of `jobs` processes, each outcome as it arrives, until
    done or `stop` is requested (then `_halt`: what is running is killed, not waited for)."""
    # spawn: a fresh interpreter per worker, no locks inherited from this process's threads
    # (the sandbox forks from the worker with a preexec_fn)
    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                  initializer=_worker_start,
                                  initargs=(os.getpid(), max(1, _cores() // jobs)))
    futures: dict[cf.Future[dict[str, Any]], Submission] = {}
    # a second Ctrl-C: this process exits at once, so everything below it goes (the workers,
    # their sandboxes, and what came back to it as a child subreaper)
    stop.on_force(lambda: kill_tree(process_tree([os.getpid(), *(p.pid for p in _workers(pool))])))
    try:
        futures = {pool.submit(_task, str(s.path), options, s.label): s for s in pending}
        waiting = set(futures)
        while waiting and not stop.requested:
            done, waiting = cf.wait(waiting, timeout=_POLL_S, return_when=cf.FIRST_COMPLETED)
            for future in done:
                yield _outcome(futures[future], future)
        if stop.requested:
            yield from _halt(pool, futures, waiting)
            return
    except BaseException:
        # Ctrl-C where no handler could be installed, the caller closing us, our own bug:
        # nothing may keep running behind us.
        for _ in _halt(pool, futures, {f for f in futures if not f.done()}):
            pass
        raise
    pool.shutdown(wait=True)


def _outcome(submission: Submission, future: cf.Future[dict[str, Any]]) -> _Pooled:
    try:
        return submission, future.result(), "", False
    except cf.process.BrokenProcessPool:
        return submission, None, "", True
    except (Exception, GradingStopped) as error:  # GradingStopped here: a SIGTERM not ours
        return submission, None, error_text(error), False


def _halt(pool: cf.ProcessPoolExecutor, futures: dict[cf.Future[dict[str, Any]], Submission],
          waiting: set[cf.Future[dict[str, Any]]]) -> Iterator[_Pooled]:
    """Stop the pool now: cancel what has not started, ask each worker to stop its grading
    (SIGTERM: GradingStopped inside, the sandbox kills its run), wait a few seconds, then kill
    what is left below and including the workers. Yields only the gradings that finished in
    the meantime; the stopped ones are left out (not graded: --resume grades them)."""
    for future in waiting:
        future.cancel()  # not started yet: never will
    workers = _workers(pool)
    seen = process_tree(p.pid for p in workers)
    for worker in workers:
        with contextlib.suppress(OSError):
            os.kill(worker.pid, signal.SIGTERM)
    running = {f for f in waiting if not f.cancelled()}
    done, _ = cf.wait(running, timeout=STOP_GRACE_S)
    for future in done:
        if future.exception() is None:
            yield futures[future], future.result(), "", False  # finished just in time
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + EXIT_GRACE_S
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    # whatever did not go: stuck workers, a run whose cleanup was cut short, a stray below
    left = seen + process_tree(w.pid for w in workers if w.is_alive())
    kill_tree(left)
    wait_gone(left, time.monotonic() + EXIT_GRACE_S)
    for worker in workers:
        worker.join(timeout=1.0)


def _workers(pool: cf.ProcessPoolExecutor) -> list[Any]:
    """The pool's worker processes (multiprocessing.Process), as far as it has started them."""
    try:
        return list((pool._processes or {}).values())
    except (AttributeError, RuntimeError):  # changed while listed (rare): copy it at once
        return list(dict(getattr(pool, "_processes", None) or {}).values())


# -- inside a pool worker ------------------------------------------------------------------

_stopping = False  # this worker was asked to stop: it starts no grading any more
_busy = False  # a grading runs in this worker now
_parent = 0  # the batch's pid: another parent means the batch is gone
_PR_SET_PDEATHSIG = 1


def _worker_start(parent: int, threads: int = 0) -> None:
    """Each pool worker, as it starts. Ctrl-C on a terminal reaches every process of the
    foreground group, the pool workers too: the batch decides what a worker does, so SIGINT is
    a no-op here (a handler, not SIG_IGN, which the sandboxed children would inherit), and the
    batch's SIGTERM stops the grading. A batch killed outright (SIGKILL) sends SIGTERM too,
    through the parent-death signal: an orphaned worker stops its grading and exits, instead
    of waiting forever on a queue that nobody feeds."""
    global _parent
    _parent = parent
    from autograder.core import pictures
    from autograder.grading import warm

    warm.keep_warm()  # this worker's templates serve every submission it grades
    pictures.preload_in_background()  # while it waits on its first sandbox
    if threads:  # TensorFlow's threads in this worker's sandboxes: its share of the cores
        os.environ[THREADS_VAR] = str(threads)
    signal.signal(signal.SIGINT, _ignore)
    signal.signal(signal.SIGTERM, _stop_here)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # the batch died before the line above
        os._exit(0)


def _ignore(signum: int, frame: FrameType | None) -> None:
    pass


def _orphaned() -> bool:
    return bool(_parent) and os.getppid() != _parent


def _stop_here(signum: int, frame: FrameType | None) -> None:
    global _stopping
    if _orphaned() and not _busy:
        os._exit(0)  # nobody to report to; no grading to clean up
    if _stopping:
        return  # once: never inside the sandbox's own cleanup of the first one
    _stopping = True
    if _busy:
        raise GradingStopped("the batch was stopped")


def _task(path: str, options: dict[str, Any], shown: str = "") -> dict[str, Any]:
    """`grade_and_render` as a pool task, which a stopping batch interrupts (`_stop_here`)."""
    global _busy
    if _stopping:
        raise GradingStopped("the batch was stopped")
    _busy = True
    try:
        return grade_and_render(path, options, shown)
    finally:
        _busy = False
        if _orphaned():  # the sandbox has cleaned up on the way out; the batch is gone
            os._exit(0)


def dask_runner(client: Any) -> Runner:
    def run_all(pending: Sequence[Submission], options: dict[str, Any],
                stop: Stop | None = None) -> Iterator[Outcome]:
        from distributed import as_completed

        stop = stop or Stop()
        # pure=False and a random key: the same submission graded twice is two gradings
        futures = {client.submit(grade_and_render, str(s.path), options, s.label, pure=False,
                                 key=f"grade-{s.student_id}-{os.urandom(4).hex()}"): s
                   for s in pending}
        try:
            arriving = as_completed(list(futures))
            while not stop.requested and not arriving.is_empty():
                ready = arriving.next_batch(block=False)
                if not ready:
                    time.sleep(_POLL_S)
                for future in ready:
                    submission = futures[future]
                    try:
                        yield submission, future.result(), ""
                    except Exception as error:
                        yield submission, None, error_text(error)
        finally:
            # Dask cannot interrupt a task that runs: a stopped batch cancels what has not
            # started, and a running grading finishes on its worker, its result dropped.
            client.cancel([f for f in futures if not f.done()])
    return run_all


def error_text(error: BaseException) -> str:
    """The traceback of a failed grading, as error.txt keeps it."""
    return "".join(traceback.format_exception(error)).rstrip()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
