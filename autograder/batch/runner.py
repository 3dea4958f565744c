"""Running the gradings: `grade_one` on a local process pool or on a Dask cluster.

`grade_one` is the task on both: a top-level function of this module (so that spawned pool
processes and Dask workers unpickle it by its path), plain arguments in, a plain dict out. A
runner yields each outcome as it arrives, a failed grading included: the batch goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from autograder.batch.discover import DiscoveryError, Submission

# A task's outcome as it arrives: (submission, the result dict, or the error text)
Outcome = tuple[Submission, dict[str, Any] | None, str]
Runner = Callable[[Sequence[Submission], dict[str, Any]], Iterator[Outcome]]


def grade_one(path: str, options: dict[str, Any], shown: str = "") -> dict[str, Any]:
    """Grade the submission at `path` and return `SubmissionResult.to_dict()`.

    `options`: `{"exercises": [...], "seed": int, "profile": str, "timeout_s": float,
    "hide": [paths]}` (plain values, so that it pickles to any worker). `shown` replaces the
    absolute path in the result (feedback shows the submission's name, not the grader's disk).
    """
    from autograder.grade import Options, grade

    graded = grade(Path(path), Options(only=tuple(options["exercises"]), seed=int(options["seed"]),
                                       profile=options.get("profile") or None,
                                       timeout_s=float(options["timeout_s"]),
                                       hide=tuple(Path(p) for p in options.get("hide", ()))),
                   label=shown or None)
    return graded.to_dict()


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
    def run_all(pending: Sequence[Submission], options: dict[str, Any]) -> Iterator[Outcome]:
        broken: list[Submission] = []
        # spawn: a fresh interpreter per worker, no locks inherited from this process's threads
        # (the sandbox forks from the worker with a preexec_fn)
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(grade_one, str(s.path), options, s.label): s for s in pending}
            try:
                for future in cf.as_completed(futures):
                    submission = futures[future]
                    try:
                        yield submission, future.result(), ""
                    except cf.process.BrokenProcessPool:
                        broken.append(submission)
                    except Exception as error:
                        yield submission, None, error_text(error)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        # A grading process died (out of memory, killed): the pool is gone with every task in
        # it. Try each of those again alone, so that one cannot take the others down twice.
        for submission in sorted(broken, key=lambda s: s.student_id):
            with cf.ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
                try:
                    yield submission, alone.submit(grade_one, str(submission.path), options,
                                                   submission.label).result(), ""
                except Exception as error:
                    yield submission, None, error_text(error)
    return run_all


def dask_runner(client: Any) -> Runner:
    def run_all(pending: Sequence[Submission], options: dict[str, Any]) -> Iterator[Outcome]:
        from distributed import as_completed

        # pure=False and a random key: the same submission graded twice is two gradings
        futures = {client.submit(grade_one, str(s.path), options, s.label, pure=False,
                                 key=f"grade-{s.student_id}-{os.urandom(4).hex()}"): s
                   for s in pending}
        try:
            for future in as_completed(list(futures)):
                submission = futures[future]
                try:
                    yield submission, future.result(), ""
                except Exception as error:
                    yield submission, None, error_text(error)
        finally:
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
