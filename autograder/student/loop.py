"""The student loop: run the public checks in-process on the student's modules.

Used by `autograder check` and, through `make_test`, by the thin pytest files in `exercises/`.
The four NumPy exercises need no TensorFlow here; only the CNN exercise imports it.

A public check passes here exactly when it passes in the grader (`autograder grade`), because
the loop applies the grader's rules, with the grader's code where it can:

- the module checked is the one the grader takes: `autograder.core.collect.locate` resolves the
  folder (the one holding `exercises/`) by the collector's layout rules, and of several copies
  of a module takes the most complete; a note names the file used;
- the static policy (`autograder.core.policy.blocked`) blocks the functions the grader blocks, with
  its messages;
- each call runs under the forbidden-call guard (`autograder.core.callguard.guarding`, with the
  exercise's forbidden routines from the registry) and refuses the exercise's forbidden packages,
  as the grader's worker does;
- each call has the grader's time limit (the registry's `case_timeout_s`; importing the module,
  `IMPORT_TIMEOUT_S`; the MNIST training, `TRAIN_TIMEOUT_S`): a call past it "did not finish in
  N s" and the other checks still run.

What the loop does not do is contain hostile code: that is the sandbox's job, in the grader.
The MNIST check's training result is cached (`MnistCache`) and reused while the model, the
preprocessing and the data are unchanged.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, TypeVar

import numpy as np

from autograder.core import callguard, policy
from autograder.core.calls import Call, Outcome, error_outcome
from autograder.core.checks import Check, public_checks
from autograder.core.collect import SubmissionError, locate
from autograder.core.execute import run_call
from autograder.core.judge import Reason, Status, Verdict
from autograder.core.results import CheckResult, ExerciseResult
from autograder.registry import EXERCISES, WALL_FACTOR, Exercise
from autograder.registry import exercise as lookup

# The grader's limits (autograder.grading.jobs.IMPORT_TIMEOUT_S and
# autograder.grading.options.Options.train_timeout_s; tests/test_local_equals_graded.py keeps
# them equal). One call's limit is the registry's.
IMPORT_TIMEOUT_S = 10.0
TRAIN_TIMEOUT_S = 600.0
# The grader's default seed (autograder.grading.options.DEFAULT_SEED): the MNIST check splits
# and trains on the same data here as there (an instructor's own $AUTOGRADER_SEED stays theirs).
GRADER_SEED = 20261126
CACHE_VARIABLE = "AUTOGRADER_CACHE"  # a folder for the MNIST cache, or "off"
CACHE_FOLDER = ".autograder-cache"  # beside exercises/; hidden, so the grader never takes it

T = TypeVar("T")


class LoadError(Exception):
    """The module under test could not be imported; the message says why, for a student."""

    def __init__(self, message: str, status: Status = "error") -> None:
        super().__init__(message)
        self.status = status


class CallTimeout(BaseException):
    """Raised inside a call past its limit: a BaseException, so that a student's `except
    Exception` does not swallow it (the grader's worker does the same)."""

    def __init__(self, seconds: float, clock: str = "of CPU time") -> None:
        super().__init__(f"did not finish in {seconds:g} s {clock}")
        self.seconds = seconds


# --- time limits ------------------------------------------------------------------------------

def _signals_work() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def within(seconds: float, run: Callable[[], T]) -> T:
    """`run()`, or CallTimeout once it has used `seconds` of CPU time (the grader's limit, which
    load does not change) or `WALL_FACTOR` times that on the wall clock (a call that waits; the
    grader's backstop). In the main thread (Linux, macOS) timer signals raise it inside the
    call, as in the grader's worker; elsewhere (another thread, no timers) the call runs in a
    helper thread that is left behind if it does not finish on the wall clock."""
    if not _signals_work():
        return _in_a_thread(seconds * WALL_FACTOR, run)

    def expire(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGPROF:
            raise CallTimeout(seconds)
        raise CallTimeout(seconds * WALL_FACTOR, "on the wall clock")

    previous = {number: signal.signal(number, expire)
                for number in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    started = time.monotonic()
    try:
        return run()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)
        if outer:  # someone else's alarm (pytest-timeout, say) keeps its deadline
            left = max(outer - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, interval)


def _in_a_thread(seconds: float, run: Callable[[], T]) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = run()
        except BaseException as error:  # handed to the caller below
            box["error"] = error

    helper = threading.Thread(target=target, name="autograder-check", daemon=True)
    helper.start()
    helper.join(seconds)
    if helper.is_alive():
        raise CallTimeout(seconds, "on the wall clock")
    if "error" in box:
        raise box["error"]
    return box["value"]


# --- forbidden packages -----------------------------------------------------------------------

class _Refuser(importlib.abc.MetaPathFinder):
    def __init__(self, tops: frozenset[str], refused: list[str]) -> None:
        self.tops, self.refused = tops, refused

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        top = fullname.partition(".")[0]
        if top in self.tops:
            _record(self.refused, f"importing {top}")
            raise ModuleNotFoundError(f"sandbox: importing {top} is not allowed while grading",
                                      name=fullname)


def _record(refused: list[str], what: str) -> None:
    if what not in refused:
        refused.append(what)


@contextmanager
def refusing(forbidden: Sequence[str]) -> Iterator[list[str]]:
    """While the body runs, the exercise's forbidden packages cannot be imported, by any route
    (as in the grader's worker, where they are never loaded): they are taken out of
    `sys.modules` meanwhile, a finder refuses them, and one imported anyway (the finder taken
    off `sys.meta_path`) is recorded too. Yields the refusals, as the worker's audit hook words
    them ("importing scipy")."""
    refused: list[str] = []
    tops = frozenset(name.partition(".")[0] for name in forbidden)
    if not tops:
        yield refused
        return
    loaded = {name: sys.modules.pop(name) for name in list(sys.modules)
              if name.partition(".")[0] in tops}
    finder = _Refuser(tops, refused)
    sys.meta_path.insert(0, finder)
    try:
        yield refused
    finally:
        with suppress(ValueError):
            sys.meta_path.remove(finder)
        for name in [n for n in list(sys.modules) if n.partition(".")[0] in tops]:
            _record(refused, f"importing {name.partition('.')[0]}")
            del sys.modules[name]
        sys.modules.update(loaded)


def refusal_verdict(refused: Sequence[str]) -> Verdict:
    """The grader's verdict of a call during which something was refused (the words of
    `autograder.grading.jobs.refusal_verdict`)."""
    used = [r for r in refused if r.startswith(callguard.PREFIX)]
    if used:
        return Verdict("policy", f"Not graded: while this call ran, the code was {_listed(used)}"
                       ". This exercise is about computing it yourself: use loops or array "
                       "arithmetic (slicing, sums, products).", reason=Reason.POLICY)
    return Verdict("policy", f"Not graded: during this call the code tried {_listed(refused)}, "
                   "which the sandbox refused while grading.", reason=Reason.POLICY)


def _listed(refused: Sequence[str]) -> str:
    shown = "; ".join(refused[:3])
    return shown + (f" (and {len(refused) - 3} more)" if len(refused) > 3 else "")


# --- loading ----------------------------------------------------------------------------------

def load_module(path: Path, exercise: Exercise | None = None) -> ModuleType:
    """Import a module from its file, under a private name so that several can coexist; with
    `exercise`, under the grader's import time limit and its forbidden packages."""
    if not path.is_file():
        raise LoadError(f"{path} not found")
    name = f"_under_test_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    if exercise is not None and exercise.uses_tensorflow:
        from autograder.core.tfquiet import tensorflow

        tensorflow()  # as the grader's worker does, before the import's clock starts
    sys.path.insert(0, str(path.parent))  # lets the module import its sibling exercises
    refused: list[str] = []
    try:
        if exercise is None:
            loader.exec_module(module)
        else:
            with refusing(exercise.forbidden_imports) as refused:
                within(IMPORT_TIMEOUT_S, lambda: loader.exec_module(module))
    except CallTimeout:
        raise LoadError(f"importing {path.name} did not finish in {IMPORT_TIMEOUT_S:g} s",
                        "timeout") from None
    except SyntaxError as error:
        raise LoadError(f"{path.name} has a syntax error at line {error.lineno}: {error.msg}") from None
    except (Exception, SystemExit) as error:
        if refused:
            raise LoadError(_import_refused(path.name, refused), "policy") from None
        raise LoadError(f"importing {path.name} raised {type(error).__name__}: {error}") from None
    finally:
        with suppress(ValueError):
            sys.path.remove(str(path.parent))
    if refused:
        raise LoadError(_import_refused(path.name, refused), "policy")
    return module


def _import_refused(filename: str, refused: Sequence[str]) -> str:
    return f"Not graded: importing {filename} tried {_listed(refused)}, which the sandbox refused."


# --- where the modules are --------------------------------------------------------------------

def submission_root(directory: Path) -> Path:
    """The folder a student submits: the one holding `exercises/` when `directory` is it."""
    directory = Path(directory).resolve()
    return directory.parent if directory.name == "exercises" else directory


@dataclass(frozen=True)
class Found:
    """An exercise's module as the grader would take it from the student's folder."""

    path: Path | None  # None: missing
    shown: str  # how to name it to the student ("exercises/padding.py")
    missing: str = ""
    notes: tuple[str, ...] = ()


def find_modules(directory: Path, names: Sequence[str]) -> dict[str, Found]:
    """Where each exercise's module is, resolved as the grader's collector resolves it."""
    root = submission_root(directory)
    try:
        located = locate(root, exercises=list(names))
    except SubmissionError as error:
        return {n: Found(None, lookup(n).module, str(error)) for n in names}
    found = {}
    for name in names:
        module = lookup(name).module
        notes = tuple(n for n in located.notes if n.startswith(module))
        path = located.modules.get(name)
        if path is None:
            found[name] = Found(None, module, located.missing.get(name, f"{module} not found"),
                                notes)
        else:
            found[name] = Found(path, path.relative_to(root).as_posix(), "", notes)
    return found


# --- the MNIST check's cache ------------------------------------------------------------------

@dataclass(frozen=True)
class MnistCache:
    """The grader's training result of a model, kept in `folder` under a hash of the traced
    model description, the preprocessed images, the data and the training recipe."""

    folder: Path

    @staticmethod
    def beside(root: Path) -> MnistCache | None:
        """`$AUTOGRADER_CACHE` ("off": none), else `.autograder-cache/` in the student's
        folder, else `$XDG_CACHE_HOME/autograder` (or ~/.cache/autograder)."""
        chosen = os.environ.get(CACHE_VARIABLE, "")
        if chosen.lower() == "off":
            return None
        if chosen:
            return MnistCache(Path(chosen))
        if os.access(root, os.W_OK):
            return MnistCache(root / CACHE_FOLDER)
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return MnistCache(Path(xdg) / "autograder")

    @staticmethod
    def key(spec: str, preprocessed: np.ndarray, call: Call) -> str:
        import hashlib

        import autograder

        digest = hashlib.sha256()
        recipe = {"kit": autograder.__version__, "keras": _version("keras"),
                  "tensorflow": _version("tensorflow") or _version("tensorflow-cpu"),
                  "epochs": int(call.kwargs["epochs"]), "seed": int(call.kwargs["seed"])}
        digest.update(json.dumps(recipe, sort_keys=True).encode())
        digest.update(spec.encode())
        for array in (preprocessed, *(np.asarray(call.kwargs[k])
                                      for k in ("x_train", "y_train", "x_test"))):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:32]

    def load(self, key: str) -> Outcome | None:
        try:
            facts = json.loads((self.folder / f"{key}.json").read_text())
            predictions = np.load(self.folder / f"{key}.npy", allow_pickle=False)
        except (OSError, ValueError, TypeError):
            return None
        if not isinstance(facts, dict) or not isinstance(facts.get("data"), dict) \
                or predictions.dtype.kind not in "iu" or predictions.ndim != 2:
            return None
        return Outcome(type_name=str(facts.get("type_name", "")), is_ndarray=True,
                       array=predictions.astype(np.int64), data=facts["data"])

    def store(self, key: str, outcome: Outcome) -> None:
        """Keep a training result (never a failed one); a folder that cannot be written to
        only means no cache."""
        if outcome.raised or outcome.array is None:
            return
        with suppress(OSError, TypeError, ValueError):
            self.folder.mkdir(parents=True, exist_ok=True)
            array, facts = self.folder / f".{key}.npy.tmp", self.folder / f".{key}.json.tmp"
            with open(array, "wb") as handle:
                np.save(handle, np.asarray(outcome.array, dtype=np.int64))
            facts.write_text(json.dumps({"type_name": outcome.type_name,
                                         "data": dict(outcome.data or {})}))
            array.replace(self.folder / f"{key}.npy")  # the facts last: they mark it complete
            facts.replace(self.folder / f"{key}.json")


# --- running one exercise's checks ------------------------------------------------------------

@dataclass
class ExerciseRun:
    """One exercise's public checks against the student's module, as the grader runs them."""

    exercise: Exercise
    found: Found
    cache: MnistCache | None = None
    notes: list[str] = field(default_factory=list)  # for the student: which file, cache reuse
    _blocked: dict[str, str] | None = None
    _module: ModuleType | LoadError | None = None
    _timed_out: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.notes.extend(self.found.notes)

    @property
    def problem(self) -> str:
        """Why no check could run (a missing module, a failed import), or ""."""
        if self.found.path is None:
            return self.found.missing
        return str(self._module) if isinstance(self._module, LoadError) else ""

    def blocked(self) -> dict[str, str]:
        if self._blocked is None:
            assert self.found.path is not None
            source = self.found.path.read_bytes().decode(errors="replace")
            self._blocked = policy.blocked(source, self.exercise)
        return self._blocked

    def module(self) -> ModuleType | LoadError:
        if self._module is None:
            assert self.found.path is not None
            try:
                self._module = load_module(self.found.path, self.exercise)
            except LoadError as error:
                self._module = error
        return self._module

    def check(self, check: Check) -> CheckResult:
        return CheckResult.of(check, self.verdict(check))

    def verdict(self, check: Check) -> Verdict:
        if self.found.path is None:
            return Verdict("error", self.found.missing, reason=Reason.LOAD_ERROR)
        function = check.call.function
        if function in self.blocked():
            return Verdict("policy", policy.not_run(self.blocked()[function]), reason=Reason.POLICY)
        module = self.module()
        if isinstance(module, LoadError):
            return Verdict(module.status, str(module), reason=Reason.LOAD_ERROR)
        if function in self._timed_out:
            return Verdict("timeout", f"Not run: {function} timed out on an earlier case.",
                           reason=Reason.TIMEOUT)
        outcome = self._run(module, check)
        if outcome.refused:
            return refusal_verdict(outcome.refused)
        return check.judge(outcome)

    def _run(self, module: ModuleType, check: Check) -> Outcome:
        call = check.call
        if call.mode == "mnist" and callable(getattr(module, call.function, None)):
            return self._mnist(module, check)
        return self._guarded(lambda: run_call(module, call), call)

    def _guarded(self, run: Callable[[], Outcome], call: Call) -> Outcome:
        """`run()` as the worker runs a case: time limit, forbidden calls and packages."""
        exercise = self.exercise
        used: list[str] = []
        refused: list[str] = []
        try:
            with refusing(exercise.forbidden_imports) as refused, callguard.guarding(
                    call.function, exercise.forbidden_calls.get(call.function, ())) as used:
                outcome = within(exercise.case_timeout_s, run)
        except CallTimeout as error:
            outcome = _timed_out(error)
        except BaseException as error:  # KeyboardInterrupt is the student's own, not a result
            if isinstance(error, KeyboardInterrupt):
                raise
            outcome = error_outcome(error)
        if "Timeout" in outcome.error_types:
            self._timed_out.add(call.function)
        found = (*outcome.refused, *used, *refused)
        return replace(outcome, refused=found) if found else outcome

    def _mnist(self, module: ModuleType, check: Check) -> Outcome:
        """Both sides of the grader's MNIST check (autograder.grading.steps.training.train): the
        student's code describes its model and preprocesses the images; a fresh model is
        trained from that description, or its cached result reused."""
        from autograder.core.probes import preprocess_problem, submit_mnist, train_from_spec
        from autograder.core.tfquiet import tensorflow

        tensorflow()
        call = check.call
        submitted = self._guarded(lambda: _probe(submit_mnist, module, call), call)
        facts = dict(submitted.data or {})
        if submitted.refused or submitted.raised or not facts.get("is_model") \
                or "trace_error" in facts:
            return submitted
        kwargs = dict(call.kwargs)
        images = np.concatenate([kwargs["x_train"], kwargs["x_test"]])
        problem = preprocess_problem(submitted.array, images)
        if problem or not isinstance(facts.get("spec"), str) or submitted.array is None:
            return Outcome(type_name=submitted.type_name,
                           data={**facts, "preprocess_problem": problem or "no model description"})
        key = MnistCache.key(facts["spec"], submitted.array, call) if self.cache else ""
        cached = self.cache.load(key) if self.cache else None
        if cached is not None:
            self.notes.append(f"{check.id}: reused the result of an earlier training run (the "
                              "model, the preprocessing and the data are unchanged); delete "
                              f"{_shown_folder(self.cache)} to train again")
            return cached
        try:
            trained = within(TRAIN_TIMEOUT_S, lambda: _probe(
                train_from_spec, facts["spec"], x_train=kwargs["x_train"],
                y_train=kwargs["y_train"], x_test=kwargs["x_test"],
                epochs=int(kwargs["epochs"]), seed=int(kwargs["seed"])))
        except CallTimeout as error:
            return _timed_out(error)
        if self.cache is not None:
            self.cache.store(key, trained)
        return trained


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def _probe(function: Callable[..., Outcome], *args: Any, **kwargs: Any) -> Outcome:
    try:
        return function(*args, **kwargs)
    except (Exception, SystemExit) as error:
        return error_outcome(error)


def _timed_out(error: CallTimeout) -> Outcome:
    return Outcome(error=f"Timeout: the call {error}", error_types=("Timeout",))


def _shown_folder(cache: MnistCache | None) -> str:
    return f"{cache.folder}/" if cache else ""


def start(name: str, directory: Path, found: Found | None = None) -> ExerciseRun:
    exercise = lookup(name)
    found = found or find_modules(directory, [name])[name]
    cache = MnistCache.beside(submission_root(directory)) if exercise.uses_tensorflow else None
    return ExerciseRun(exercise, found, cache)


def run_exercise(name: str, directory: Path, *, profile: str | None = None,
                 found: Found | None = None) -> tuple[ExerciseResult, list[str]]:
    """Every public check of one exercise; and the notes for the student."""
    checks = public_checks(name, profile=profile, seed=GRADER_SEED)
    run = start(name, directory, found)
    results = tuple(run.check(check) for check in checks)
    return ExerciseResult(name, results, run.problem), run.notes


def check_exercise(name: str, directory: Path, *, profile: str | None = None) -> ExerciseResult:
    """Every public check of one exercise against its module in `directory` (resolved as the
    grader resolves a submission folder)."""
    return run_exercise(name, directory, profile=profile)[0]


def run_checks(module: ModuleType, checks: Iterable[Check]) -> list[CheckResult]:
    """The checks against an already imported module (no policy, no limits)."""
    return [CheckResult.of(check, check.judge(run_call(module, check.call))) for check in checks]


# --- rendering ------------------------------------------------------------------------------

def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def format_failure(result: CheckResult) -> str:
    """The message, the expected and returned maps as a text grid when they are small, the
    hint."""
    from autograder.core.grids import grid

    shown = grid(result.arrays) if result.status != "pass" else None
    lines = result.message + (f"\n{shown}" if shown else "")
    return lines + (f"\nHint: {result.hint}" if result.hint else "")


def render_exercise(result: ExerciseResult, *, verbose: bool = False,
                    notes: Sequence[str] = ()) -> str:
    exercise = lookup(result.name)
    number = EXERCISES.index(exercise) + 1
    lines = [f"Exercise {number}: {exercise.title} ({result.name}.py): "
             f"{result.score:g}/{result.max_score:g} points"]
    if result.note:
        lines.append(_indent(result.note, "  "))
    lines += [_indent(f"Note: {note}", "  ") for note in notes]
    for check in result.checks:
        mark = "ok  " if check.status == "pass" else "FAIL"
        lines.append(f"  {mark} {check.id} ({check.max_points:g} pt): {check.name}")
        if (check.status != "pass" and not result.note) or (verbose and check.message):
            lines.append(_indent(format_failure(check)))
    stubbed = all(c.reason == Reason.NOT_IMPLEMENTED for c in result.checks if c.status != "pass")
    if not result.passed and not result.note and not stubbed:
        lines.append(_indent(f"About this exercise: {exercise.hint}", "  "))
    return "\n".join(lines)


def progress_line(results: Sequence[ExerciseResult], width: int = 20) -> str:
    """`Progress: [####>----] 2/5 exercises, 37/100 points`."""
    done = sum(r.passed for r in results)
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    filled = round(width * score / total) if total else 0
    bar = "#" * filled + (">" if filled < width else "") + "-" * max(width - filled - 1, 0)
    return (f"Progress: [{bar}] {done}/{len(results)} exercises, "
            f"{score:g}/{total:g} points")


def _check_command(name: str) -> str:
    return f"autograder check {name}"


def next_action(results: Sequence[ExerciseResult],
                rerun: Callable[[str], str] = _check_command,
                files: Mapping[str, str] | None = None) -> str:
    """The one next thing to do; `rerun(name)` is the command that checks one exercise and
    `files` names each exercise's module as the student sees it (default exercises/NAME.py)."""
    for result in results:
        if result.passed:
            continue
        failing = [c for c in result.checks if c.status != "pass"]
        where = (files or {}).get(result.name, f"exercises/{result.name}.py")
        if all(c.reason == Reason.NOT_IMPLEMENTED for c in failing):
            return (f"Next: implement exercise {result.name} in {where} (start with "
                    f"{failing[0].id.split('-')[0]}), then run `{rerun(result.name)}`.")
        return (f"Next: fix {failing[0].id} in {where} ({failing[0].name}), then run "
                f"`{rerun(result.name)}`.")
    return "All done: every public check passes. Well done!"


def summary(results: Sequence[ExerciseResult],
            rerun: Callable[[str], str] = _check_command,
            files: Mapping[str, str] | None = None) -> str:
    return f"{progress_line(results)}\n{next_action(results, rerun, files)}"


def main(names: Sequence[str], directory: Path, *, profile: str | None = None,
         verbose: bool = False, quiet: bool = False, out: Callable[[str], Any] = print) -> int:
    """`autograder check`: 0 when every selected exercise passes, 1 otherwise."""
    selected = list(names) or [e.name for e in EXERCISES]
    for name in selected:
        lookup(name)  # fail early on a typo
    found = find_modules(directory, selected)
    results = []
    for name in selected:
        result, notes = run_exercise(name, directory, profile=profile, found=found[name])
        results.append(result)
        text = render_exercise(result, verbose=verbose, notes=notes)
        out(text.splitlines()[0] if quiet else text + "\n")
    out(summary(results, files={n: f.shown for n, f in found.items()}))
    return 0 if all(r.passed for r in results) else 1


def make_test(name: str, test_file: str) -> Callable[..., None]:
    """A pytest test function, parametrized over the public checks of exercise `name`, that runs
    them against the exercise's module (resolved from the folder of `test_file`)."""
    import pytest

    directory = Path(test_file).resolve().parent
    checks = public_checks(name, seed=GRADER_SEED)
    runs: dict[str, ExerciseRun] = {}
    reported = [0]  # the run's notes already handed to the progress summary

    @pytest.mark.parametrize("check", checks, ids=[c.id for c in checks])
    def test(check: Check, record_property: Callable[[str, Any], None]) -> None:
        if name not in runs:
            runs[name] = start(name, directory)
        run = runs[name]
        result = run.check(check)
        record_property("exercise", name)
        record_property("points", check.points)
        record_property("result", result)
        record_property("file", run.found.shown)
        record_property("notes", tuple(run.notes[reported[0]:]))
        reported[0] = len(run.notes)
        if result.status != "pass":
            pytest.fail(format_failure(result), pytrace=False)

    test.__name__ = f"test_{name}"
    return test
