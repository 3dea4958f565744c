"""The results model: one record of a grading, read by every renderer.

`SubmissionResult { schema_version, submission, kit_version, profile, sandbox, started,
duration_s, exercises: [ExerciseResult { name, score, max_score, checks: [CheckResult]}], score,
max_score }`. Scores are derived from the checks, never stored twice in memory; JSON carries
them for readers outside Python.

Schema 2 added each check's `reason` (an `autograder.core.judge.Reason` value: why it got its
status, for views to act on). Schema 1 documents still load: their passed checks get "passed",
the others "" (not recorded).

Schema 3 added a check's optional `arrays`: for a failing public check whose output is a small
2-D or 3-D map, `{"expected", "returned", "wrong"?, "input"?, "kernel"?}` as nested lists (see
`autograder.core.judge.ArrayExpect.maps`), which the grids and pictures are drawn from. JSON
omits it when absent; a hidden check never carries it. The MNIST check's arrays (`"kind": "cnn"`,
passing or not) are the trained model's confusion matrix, first-layer kernels and one digit's
feature maps (`AccuracyExpect.seen`). Schema 1 and 2 documents have none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from autograder.core.judge import Status, Verdict

SCHEMA_VERSION = 3
READABLE_SCHEMAS = (1, 2, 3)  # what from_dict accepts; it always gives a current result
Visibility = Literal["public", "hidden"]


@dataclass(frozen=True)
class CheckResult:
    id: str
    name: str
    points: float  # points earned
    max_points: float
    status: Status
    visibility: Visibility = "public"
    message: str = ""
    hint: str | None = None
    reason: str = ""  # a `Reason` value; "" where not recorded (a schema 1 document)
    # A failing public check's small maps (schema 3); never on a hidden check.
    arrays: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        # Hidden checks never show their values; a passing check keeps only a trained model's
        # pictures (kind "cnn"), its maps being the expected ones.
        shown = self.visibility == "public" and (
            self.status != "pass" or (self.arrays or {}).get("kind") == "cnn")
        if self.arrays is not None and not shown:
            object.__setattr__(self, "arrays", None)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        if data["arrays"] is None:
            del data["arrays"]
        return data

    @classmethod
    def of(cls, check: Any, verdict: Verdict) -> CheckResult:
        """The result of a `autograder.core.checks.Check` given its verdict."""
        return cls(id=check.id, name=check.title, max_points=check.points,
                   points=check.points if verdict.passed else 0, status=verdict.status,
                   visibility=check.visibility, message=verdict.message, hint=verdict.hint,
                   reason=verdict.reason.value,
                   arrays=dict(verdict.arrays) if verdict.arrays is not None else None)


@dataclass(frozen=True)
class ExerciseResult:
    name: str
    checks: tuple[CheckResult, ...]
    note: str = ""  # e.g. a policy violation or a crash that affected every check

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    @property
    def passed(self) -> bool:
        return all(c.status == "pass" for c in self.checks)


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    exercises: tuple[ExerciseResult, ...]
    kit_version: str = ""
    profile: str = ""
    sandbox: str = ""
    started: str = ""
    duration_s: float = 0.0
    schema_version: int = SCHEMA_VERSION
    errors: tuple[str, ...] = field(default_factory=tuple)  # why the submission was unusable
    notes: tuple[str, ...] = field(default_factory=tuple)  # about it: files ignored, cells dropped

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version, "submission": self.submission,
            "kit_version": self.kit_version, "profile": self.profile, "sandbox": self.sandbox,
            "started": self.started, "duration_s": round(self.duration_s, 3),
            "errors": list(self.errors), "notes": list(self.notes),
            "exercises": [
                {"name": e.name, "score": e.score, "max_score": e.max_score, "note": e.note,
                 "checks": [c.to_dict() for c in e.checks]}
                for e in self.exercises
            ],
            "score": self.score, "max_score": self.max_score,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        version = data.get("schema_version")
        if version not in READABLE_SCHEMAS:
            raise ValueError(f"unsupported result schema {version!r}")
        exercises = tuple(
            ExerciseResult(e["name"], tuple(_check(c, version) for c in e["checks"]),
                           e.get("note", ""))
            for e in data["exercises"]
        )
        return cls(submission=data["submission"], exercises=exercises,
                   kit_version=data.get("kit_version", ""), profile=data.get("profile", ""),
                   sandbox=data.get("sandbox", ""), started=data.get("started", ""),
                   duration_s=data.get("duration_s", 0.0), errors=tuple(data.get("errors", ())),
                   notes=tuple(data.get("notes", ())))


def _check(data: dict[str, Any], version: int) -> CheckResult:
    if version == 1 and "reason" not in data:
        data = {**data, "reason": "passed" if data.get("status") == "pass" else ""}
    return CheckResult(**data)
