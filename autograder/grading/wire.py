"""The wire format between the grader and its sandboxed worker.

Inputs go down as JSON with arrays in an `.npz`; outcomes come back as one JSON file and at
most one `.npy` per case. The parent reads them with `allow_pickle=False` and validates every
field: nothing the child writes is unpickled or executed, and a missing or malformed file is a
failed case, never a crash of the grader.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autograder.core.calls import Call, Outcome

FORMAT = 2  # 2: typed job records (CheckJob, TrainJob); a case's key is its position
MAX_ARRAY_BYTES = 256 * 2**20  # a result larger than this is not a plausible answer
MAX_TEXT = 4000
# The worker's exit status after a case swallowed its timeout: that case's outcome is written,
# the later ones are for a fresh worker (see autograder.grading.child.worker.time_limit).
ABANDONED_EXIT = 86


def encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """JSON for a call's inputs; arrays are stored aside in `arrays` under fresh names."""
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays) for v in value]
    if isinstance(value, Mapping):
        return {"__dict__": {str(k): encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return np.array(arrays[value["__array__"]])
        if "__tuple__" in value:
            return tuple(decode(v, arrays) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: decode(v, arrays) for k, v in value["__dict__"].items()}
    if isinstance(value, list):
        return [decode(v, arrays) for v in value]
    return value


def call_to_json(call: Call, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {"function": call.function, "mode": call.mode, "args": encode(call.args, arrays),
            "kwargs": encode(dict(call.kwargs), arrays)}


def call_from_json(data: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Call:
    return Call(str(data["function"]), decode(data["args"], arrays),
                decode(data["kwargs"], arrays), str(data["mode"]))


# --- the parent writes jobs -----------------------------------------------------------------

@dataclass(frozen=True)
class AuditRules:
    """What the child's audit hook enforces (autograder.grading.child.audit)."""

    hidden: tuple[str, ...] = ()  # paths the student's code may not open
    keep: tuple[str, ...] = ()  # the interpreter's own folders inside them, which it may
    enabled: bool = True  # off only for `autograder doctor`'s control run
    preload_tensorflow: bool = False  # import TensorFlow before the hook (trusted code)


@dataclass(frozen=True)
class CheckJob:
    """Run `cases` on the student's `module`, one outcome per case, keyed by its position."""

    module: str
    cases: tuple[Call, ...]
    case_timeout_s: float  # CPU seconds of one call
    import_timeout_s: float
    forbidden_imports: tuple[str, ...] = ()
    forbidden_calls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    audit: AuditRules = AuditRules()
    task: ClassVar[str] = "check"


@dataclass(frozen=True)
class TrainJob:
    """Train a fresh model from a traced spec on the arrays sent (no student code runs)."""

    spec: str
    epochs: int
    seed: int
    task: ClassVar[str] = "train"


Job = CheckJob | TrainJob
REQUEST, INPUTS = "request.json", "inputs.npz"


def write_job(directory: Path, job: Job, arrays: Mapping[str, np.ndarray] | None = None) -> None:
    """`request.json` and `inputs.npz` of a job: the only place either is written."""
    stored = dict(arrays or {})
    if isinstance(job, CheckJob):
        fields: dict[str, Any] = {
            "module": job.module, "case_timeout_s": job.case_timeout_s,
            "import_timeout_s": job.import_timeout_s,
            "forbidden_imports": list(job.forbidden_imports),
            "forbidden_calls": {f: list(names) for f, names in job.forbidden_calls.items()},
            "audit": asdict(job.audit),
            "cases": [call_to_json(call, stored) for call in job.cases]}
    else:
        fields = {"spec": job.spec, "epochs": job.epochs, "seed": job.seed}
    np.savez(directory / INPUTS, **stored)  # type: ignore[arg-type]
    (directory / REQUEST).write_text(json.dumps({"format": FORMAT, "task": job.task, **fields}))


def read_job(directory: Path) -> tuple[Job, dict[str, np.ndarray]]:
    """The job in `directory` and its arrays (the child's side)."""
    data = json.loads((directory / REQUEST).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"job format {data.get('format')!r}, this worker reads {FORMAT}")
    arrays = dict(np.load(directory / INPUTS, allow_pickle=False))
    if data["task"] == TrainJob.task:
        return TrainJob(str(data["spec"]), int(data["epochs"]), int(data["seed"])), arrays
    rules = data.get("audit") or {}
    return CheckJob(
        module=str(data["module"]), cases=tuple(call_from_json(c, arrays) for c in data["cases"]),
        case_timeout_s=float(data["case_timeout_s"]),
        import_timeout_s=float(data["import_timeout_s"]),
        forbidden_imports=tuple(data.get("forbidden_imports", ())),
        forbidden_calls={f: tuple(n) for f, n in (data.get("forbidden_calls") or {}).items()},
        audit=AuditRules(hidden=tuple(rules.get("hidden", ())), keep=tuple(rules.get("keep", ())),
                         enabled=bool(rules.get("enabled", True)),
                         preload_tensorflow=bool(rules.get("preload_tensorflow", False)))), arrays


# --- the child writes outcomes --------------------------------------------------------------

def write_outcome(directory: Path, key: str, outcome: Outcome) -> None:
    """Write one outcome; the JSON last, so a half-written result reads as missing."""
    if outcome.array is not None:
        np.save(directory / f"{key}.npy", outcome.array, allow_pickle=False)
    record = {
        "type_name": outcome.type_name, "is_ndarray": outcome.is_ndarray,
        "has_array": outcome.array is not None, "value": encode(outcome.value, {}),
        "error": outcome.error, "error_types": list(outcome.error_types),
        "modified": list(outcome.modified), "details": outcome.details,
        "data": outcome.data, "refused": list(outcome.refused),
    }
    temporary = directory / f".{key}.json"
    temporary.write_text(json.dumps(record, default=str))
    temporary.replace(directory / f"{key}.json")


# --- the parent reads them back, trusting nothing -------------------------------------------

class BadResult(Exception):
    """The child's result file is missing or malformed."""


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadResult(f"expected text, got {type(value).__name__}")
    return value[:limit]


def _plain(value: Any, depth: int = 0) -> Any:
    """Only the plain values an Outcome may hold: numbers, text, None, tuples of those."""
    if depth > 4:
        raise BadResult("value nested too deeply")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, dict) and set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_plain(v, depth + 1) for v in value["__tuple__"][:64])
    raise BadResult(f"unexpected value of type {type(value).__name__}")


def _regular_file(path: Path) -> bool:
    """A plain file, not a link, a pipe or a device the child planted to hang or fool us."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _array(path: Path) -> np.ndarray:
    if not _regular_file(path):
        raise BadResult("the array is not a regular file")
    try:
        view = np.load(path, allow_pickle=False, mmap_mode="r")
    except Exception as error:
        raise BadResult(f"unreadable array ({type(error).__name__})") from None
    if not isinstance(view, np.ndarray) or view.dtype.kind not in "biufc":
        raise BadResult("the array is not numeric")
    if view.nbytes > MAX_ARRAY_BYTES:
        raise BadResult(f"the array is too large ({view.nbytes:,} bytes)")
    return np.array(view)  # a private copy, detached from the file


def read_outcome(directory: Path, key: str) -> Outcome:
    """The outcome the child wrote for `key`; BadResult when missing or malformed."""
    path = directory / f"{key}.json"
    try:
        real_directory = stat.S_ISDIR(os.lstat(directory).st_mode)
    except OSError:
        real_directory = False
    if not real_directory:  # missing, or a link the child swapped in
        raise BadResult("no result was written")
    if not _regular_file(path):
        raise BadResult("no result was written" if not path.exists() and not path.is_symlink()
                        else "the result is not a regular file")
    if path.stat().st_size > 4 * 2**20:
        raise BadResult("the result file is too large")
    try:
        record = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadResult("the result file is not valid JSON") from None
    if not isinstance(record, dict):
        raise BadResult("the result file is not a JSON object")
    data = record.get("data")
    if data is not None and not isinstance(data, dict):
        raise BadResult("probe data is not an object")
    error_types = record.get("error_types") or []
    modified = record.get("modified") or []
    refused = record.get("refused") or []
    if not all(isinstance(x, list) for x in (error_types, modified, refused)) or not all(
            isinstance(x, str) for x in [*error_types, *modified, *refused]):
        raise BadResult("malformed error or modified list")
    array_path = directory / f"{key}.npy"
    has_array = bool(record.get("has_array"))
    return Outcome(
        type_name=_text(record.get("type_name"), 200),
        is_ndarray=bool(record.get("is_ndarray")),
        array=_array(array_path) if has_array else None,
        value=_plain(record.get("value")),
        error=_text(record.get("error")) or None,
        error_types=tuple(e[:100] for e in error_types[:20]),
        modified=tuple(m[:100] for m in modified[:20]),
        refused=tuple(r[:300] for r in refused[:20]),
        details=_text(record.get("details")),
        data=data,
    )
