"""Shared helpers of the kit's own tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from autograder.grading.sandbox import bwrap_status
from autograder.student.loop import load_module

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


_BWRAP, _BWRAP_WHY = bwrap_status()


@pytest.fixture(params=[pytest.param("bwrap", marks=pytest.mark.skipif(
    not _BWRAP, reason=f"bubblewrap cannot run here: {_BWRAP_WHY}")), "no-bwrap"])
def sandbox_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with bubblewrap required and with it switched off (`AUTOGRADER_BWRAP`: the
    default sandbox follows it, and graders started in a subprocess inherit it)."""
    monkeypatch.setenv("AUTOGRADER_BWRAP", "1" if request.param == "bwrap" else "0")
    return str(request.param)
