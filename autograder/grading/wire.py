"""The wire format between the grader and its sandboxed worker.

Inputs go down as JSON with arrays in an `.npz`. Outcomes come back in one append-only file,
`out/outcomes`: per case, one write of a JSON header line and, after it, the raw bytes of the
returned array (its dtype and shape in the header); an array over `INLINE_ARRAY_BYTES`, or not
numeric, goes to `out/<key>.npy` of its own instead, so the sandbox's per-file size limit still
applies to each. One file opened once, not two files per case: on the hidden cases' hundreds
of small outcomes that was two thirds of a job's time (issue 11).

The parent reads them with `allow_pickle=False` and validates every field: nothing the child
writes is unpickled or executed. A record cut short (the worker killed mid-write) ends the
stream: its case reads as never written, so the grader runs the rest in a fresh worker. A
malformed record, a file that is not a regular file or is too large, makes every case not read
by then a failed case, never a crash of the grader. A key written twice keeps its last record,
as the files it replaces did.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from autograder.core.calls import Call, Outcome

FORMAT = 3  # 2: typed job records (CheckJob, TrainJob); 3: outcomes in one stream
MAX_ARRAY_BYTES = 256 * 2**20  # a result larger than this is not a plausible answer
MAX_OUTCOMES_BYTES = MAX_ARRAY_BYTES  # the whole stream (the sandbox caps each file below it)
MAX_HEADER_BYTES = 4 * 2**20  # one outcome's JSON
INLINE_ARRAY_BYTES = 2**20  # larger arrays get a file of their own
MAX_DIMENSIONS = 32
MAX_TEXT = 4000
OUTCOMES = "outcomes"
_NUMERIC = "biufc"  # the dtype kinds an answer may have: no objects, text or records
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

_streams: dict[str, int] = {}  # out folder -> its outcomes file, open for appending


def write_outcome(directory: Path, key: str, outcome: Outcome) -> None:
    """Append one outcome to `directory`'s stream, in one write (an array of its own file
    first, so that a record never points at a file not yet written)."""
    header: dict[str, Any] = {
        "key": key, "type_name": outcome.type_name, "is_ndarray": outcome.is_ndarray,
        "array": None, "value": encode(outcome.value, {}),
        "error": outcome.error, "error_types": list(outcome.error_types),
        "modified": list(outcome.modified), "details": outcome.details,
        "data": outcome.data, "refused": list(outcome.refused),
    }
    payload = b""
    if outcome.array is not None:
        array = outcome.array
        if array.dtype.kind in _NUMERIC and array.nbytes <= INLINE_ARRAY_BYTES:
            header["array"] = {"dtype": array.dtype.str, "shape": list(array.shape)}
            payload = np.ascontiguousarray(array).tobytes()
        else:
            np.save(directory / f"{key}.npy", array, allow_pickle=False)
            header["array"] = "file"
    record = memoryview(json.dumps(header, default=str).encode() + b"\n" + payload)
    stream = _streams.get(str(directory))
    if stream is None:
        stream = os.open(directory / OUTCOMES, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _streams[str(directory)] = stream
    while record:
        record = record[os.write(stream, record):]


def close_outcomes() -> None:
    """Close the streams this process opened (the in-process test double runs many jobs)."""
    while _streams:
        os.close(_streams.popitem()[1])


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
    if not isinstance(view, np.ndarray) or view.dtype.kind not in _NUMERIC:
        raise BadResult("the array is not numeric")
    if view.nbytes > MAX_ARRAY_BYTES:
        raise BadResult(f"the array is too large ({view.nbytes:,} bytes)")
    return np.array(view)  # a private copy, detached from the file


@dataclass(frozen=True)
class Outcomes:
    """What a worker wrote to `directory`: each key's last complete record, and why reading
    stopped early, if it did."""

    directory: Path
    records: Mapping[str, tuple[Mapping[str, Any], np.ndarray | None]]
    problem: str | None = None

    def get(self, key: str) -> Outcome:
        """The outcome for `key`; BadResult when it is missing or malformed."""
        if key not in self.records:
            raise BadResult(self.problem or "no result was written")
        header, inline = self.records[key]
        return _outcome(header, inline, self.directory / f"{key}.npy")


def read_outcomes(directory: Path) -> Outcomes:
    """Read the stream in `directory` (a missing one: nothing was written)."""
    try:
        real_directory = stat.S_ISDIR(os.lstat(directory).st_mode)
    except OSError:
        real_directory = False
    if not real_directory:  # missing, or a link the child swapped in
        return Outcomes(directory, {})
    try:  # never follow a link, never wait on a pipe the child planted
        fd = os.open(directory / OUTCOMES, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return Outcomes(directory, {})
    except OSError:
        return Outcomes(directory, {}, "the result file is not a regular file")
    with os.fdopen(fd, "rb") as stream:
        found = os.fstat(stream.fileno())
        if not stat.S_ISREG(found.st_mode):
            return Outcomes(directory, {}, "the result file is not a regular file")
        if found.st_size > MAX_OUTCOMES_BYTES:
            return Outcomes(directory, {}, "the result file is too large")
        records: dict[str, tuple[Mapping[str, Any], np.ndarray | None]] = {}
        while True:
            try:
                record = _next_record(stream)
            except BadResult as error:
                return Outcomes(directory, records, str(error))
            if record is None:
                return Outcomes(directory, records)
            records[record[0]] = record[1:]


def _next_record(stream: Any) -> tuple[str, Mapping[str, Any], np.ndarray | None] | None:
    """The next complete record; None at the end (or a record cut short)."""
    line = stream.readline(MAX_HEADER_BYTES + 1)
    if not line.endswith(b"\n"):
        if len(line) > MAX_HEADER_BYTES:
            raise BadResult("the result file is too large")
        return None
    try:
        header = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadResult("the result file is not valid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("key"), str):
        raise BadResult("the result file is not a JSON object")
    spec = header.get("array")
    if not isinstance(spec, dict):
        return header["key"], header, None
    dtype, shape = _array_spec(spec)
    size = math.prod(shape) * dtype.itemsize
    data = stream.read(size)
    if len(data) < size:
        return None
    return header["key"], header, np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _array_spec(spec: Mapping[str, Any]) -> tuple[np.dtype[Any], tuple[int, ...]]:
    try:
        dtype = np.dtype(str(spec.get("dtype")))
    except Exception:  # NumPy parses the text: whatever it raises, it is no numeric dtype
        raise BadResult("the array is not numeric") from None
    shape = spec.get("shape")
    if dtype.kind not in _NUMERIC or dtype.fields is not None or dtype.subdtype is not None:
        raise BadResult("the array is not numeric")
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMENSIONS
            and all(type(n) is int and 0 <= n <= MAX_ARRAY_BYTES for n in shape)):
        raise BadResult("malformed array shape")
    if math.prod(shape) * dtype.itemsize > MAX_ARRAY_BYTES:  # exact: Python's integers
        raise BadResult("the array is too large")
    return dtype, tuple(shape)


def _outcome(record: Mapping[str, Any], inline: np.ndarray | None, array_file: Path) -> Outcome:
    data = record.get("data")
    if data is not None and not isinstance(data, dict):
        raise BadResult("probe data is not an object")
    error_types = record.get("error_types") or []
    modified = record.get("modified") or []
    refused = record.get("refused") or []
    if not all(isinstance(x, list) for x in (error_types, modified, refused)) or not all(
            isinstance(x, str) for x in [*error_types, *modified, *refused]):
        raise BadResult("malformed error or modified list")
    return Outcome(
        type_name=_text(record.get("type_name"), 200),
        is_ndarray=bool(record.get("is_ndarray")),
        array=_array(array_file) if record.get("array") == "file" else inline,
        value=_plain(record.get("value")),
        error=_text(record.get("error")) or None,
        error_types=tuple(e[:100] for e in error_types[:20]),
        modified=tuple(m[:100] for m in modified[:20]),
        refused=tuple(r[:300] for r in refused[:20]),
        details=_text(record.get("details")),
        data=data,
    )
