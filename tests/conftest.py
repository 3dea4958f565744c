"""Shared helpers of the kit's own tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from autograder.student import load_module

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"


@pytest.fixture(scope="session")
def solution() -> dict[str, ModuleType]:
    """Reference modules by exercise name, loaded once (the CNN one imports Keras)."""
    cache: dict[str, ModuleType] = {}

    class Loader(dict):  # type: ignore[type-arg]
        def __missing__(self, name: str) -> ModuleType:
            cache[name] = load_module(SOLUTIONS / f"{name}.py")
            return cache[name]

    return Loader()
