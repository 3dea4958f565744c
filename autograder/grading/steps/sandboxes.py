"""Step 1: the sandboxes of one grading, one per exercise, and their warm templates."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.grading import jobs, warm, wire
from autograder.grading.sandbox import Sandbox, SubprocessSandbox, default_sandbox
from autograder.registry import Exercise
from autograder.registry import exercise as lookup


class Sandboxes:
    """One sandbox per exercise: the kit's own folder (solutions, .git, tests) is always
    hidden, and so are the packages the exercise forbids, so that no trick of the student's
    code can import them. A sandbox passed in (a test double) serves every exercise. `rules`
    gives the same paths to the worker's audit hook, the second layer."""

    def __init__(self, given: Sandbox | None, hide: Sequence[Path]) -> None:
        self._given, self._hide = given, [Path(p) for p in hide]
        strict = _strict_hide()
        probe = given or default_sandbox(hide=self._hide, strict_hide=strict)
        self.isolation = probe.isolation
        # Whether two runs at once are kept apart from each other (not the plain subprocess).
        self.separates = isinstance(probe, SubprocessSandbox) and (
            probe.uses_bwrap or probe.unprivileged)
        if given is None:
            self.isolation += ("; an audit hook in the worker (imports, processes, signals, "
                               "sockets, ctypes, files)")
            if warm.enabled():
                self.isolation += ("; warm workers: each job a fresh process forked from a "
                                   "pre-started template in this sandbox that holds no student "
                                   "code, its processes and files swept after each job")

    def __call__(self, forbidden: Sequence[str] = ()) -> Sandbox:
        # (The strict check was made above, on the instructor's paths: the forbidden packages
        # stay readable to a sandbox user, for the exercises that may use them.)
        return self._given or default_sandbox(hide=[*self._hide, *jobs.package_dirs(forbidden)])

    def launcher(self, exercise: Exercise | None = None) -> warm.Launcher:
        """Where the jobs of `exercise` run (None: the grader's training, no student code)."""
        forbidden = exercise.forbidden_imports if exercise else ()
        tensorflow = exercise is None or exercise.uses_tensorflow
        return warm.launcher(self(forbidden), "tensorflow" if tensorflow else "numpy",
                             "worker" if exercise else "trainer")

    def prestart(self, names: Sequence[str]) -> None:
        """Start the warm templates these exercises will use: their imports overlap the rest."""
        if self._given is not None:
            return
        for name in names:
            exercise = lookup(name)
            warm.prestart(self(exercise.forbidden_imports),
                          "tensorflow" if exercise.uses_tensorflow else "numpy")
            if exercise.uses_tensorflow:
                warm.prestart(self(), "tensorflow", "trainer")

    def rules(self, forbidden: Sequence[str]) -> wire.AuditRules:
        """The audit hook's paths: hidden ones, and the interpreter's folders kept inside them."""
        from autograder.grading.sandbox.bwrap import interpreter_paths

        hidden = [*self._hide, *jobs.package_dirs(forbidden)]
        return wire.AuditRules(
            hidden=tuple(str(p.resolve()) for p in hidden if p.exists()),
            keep=tuple(sorted(str(p) for p in interpreter_paths(Path(sys.executable)))))


def hidden_by_environment() -> list[Path]:
    """`AUTOGRADER_HIDE`: more folders to hide, separated by ':' (Gradescope's run_autograder
    names /autograder/source, which holds the seed, and /autograder/results)."""
    return [Path(p).resolve() for p in os.environ.get("AUTOGRADER_HIDE", "").split(":") if p]


def _strict_hide() -> bool:
    """`AUTOGRADER_STRICT_HIDE=1`: refuse to grade while the sandbox user can read a hidden
    path (an image whose setup made them root-only, such as the Gradescope bundle's)."""
    return os.environ.get("AUTOGRADER_STRICT_HIDE", "") == "1"
