"""Step 3b: the grader's side of the MNIST check: the student's preprocessing checked, then a
fresh model of the described layers trained in a worker that runs no student code (with a
batch's cache, once per distinct model: autograder.grading.trained)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from autograder.core.calls import Outcome
from autograder.core.checks import Check
from autograder.core.judge import Verdict
from autograder.grading import jobs, warm
from autograder.grading.options import Options


def now(function: Callable[..., Outcome | Verdict], *args: Any) -> Future[Outcome | Verdict]:
    future: Future[Outcome | Verdict] = Future()
    future.set_result(function(*args))
    return future


def background(function: Callable[..., Outcome | Verdict],
                *args: Any) -> Future[Outcome | Verdict]:
    """`function(*args)` in a thread of its own (it waits on a sandboxed process)."""
    future: Future[Outcome | Verdict] = Future()

    def work() -> None:
        try:
            future.set_result(function(*args))
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=work, daemon=True, name="grader-training").start()
    return future


def train(check: Check, submitted: Outcome, options: Options,
           launcher: warm.Launcher) -> Outcome | Verdict:
    """The grader's side of the MNIST check, in a worker that runs no student code."""
    from autograder.core.probes import preprocess_problem

    facts = dict(submitted.data or {})
    if submitted.raised or not facts.get("is_model") or "trace_error" in facts:
        return submitted
    kwargs = dict(check.call.kwargs)
    images = np.concatenate([kwargs["x_train"], kwargs["x_test"]])
    problem = preprocess_problem(submitted.array, images)
    if problem or not isinstance(facts.get("spec"), str):
        return Outcome(type_name=submitted.type_name,
                       data={**facts, "preprocess_problem": problem or "no model description"})
    return jobs.train(facts["spec"], x_train=kwargs["x_train"], y_train=kwargs["y_train"],
                      x_test=kwargs["x_test"], epochs=int(kwargs["epochs"]),
                      seed=int(kwargs["seed"]), launcher=launcher,
                      timeout_s=options.train_timeout_s, cache=options.training_cache)
