"""What one grading is asked for (`Options`), with every default written once here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograder
from autograder.registry import EXERCISE_TIMEOUT_S, EXERCISES

KIT_ROOT = Path(autograder.__file__).resolve().parents[1]
DEFAULT_SEED = 20261126


def default_seed() -> int:
    """The instructor's seed: `AUTOGRADER_SEED`, else a fixed default (reruns reproduce)."""
    return int(os.environ.get("AUTOGRADER_SEED", DEFAULT_SEED))


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] = ()  # exercise names; empty: all
    profile: str | None = None  # MNIST data profile; None: the default here
    seed: int = field(default_factory=default_seed)
    timeout_s: float = EXERCISE_TIMEOUT_S  # wall clock of one exercise, all its workers together
    case_timeout_s: float | None = None  # one call; None: the exercise's own (the registry)
    train_timeout_s: float = 600.0  # the grader's MNIST training
    hidden: bool = True
    solutions: Path = KIT_ROOT / "solutions"
    hide: tuple[Path, ...] = ()  # more paths the student's code must not see (e.g. --out)
    # where a batch keeps its trainings, one per distinct model (grading/trained.py); hidden
    training_cache: Path | None = None

    @property
    def exercises(self) -> tuple[str, ...]:
        return self.only or tuple(e.name for e in EXERCISES)

    def to_dict(self) -> dict[str, Any]:
        """The options that travel to a batch worker, as plain values (they pickle anywhere)."""
        return {"exercises": list(self.exercises), "seed": self.seed, "profile": self.profile,
                "timeout_s": self.timeout_s, "hide": [str(p) for p in self.hide],
                "training_cache": str(self.training_cache) if self.training_cache else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Options:
        cache = data.get("training_cache")
        return cls(only=tuple(data["exercises"]), seed=int(data["seed"]),
                   profile=data.get("profile") or None, timeout_s=float(data["timeout_s"]),
                   hide=tuple(Path(p) for p in data.get("hide", ())),
                   training_cache=Path(cache) if cache else None)

    def resolved_profile(self) -> str:
        """The MNIST profile this grading uses ("" when the CNN exercise is not graded)."""
        if "cnn" not in self.exercises:
            return ""
        from autograder.core import data

        return self.profile or data.default_profile_name()
