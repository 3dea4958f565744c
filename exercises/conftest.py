"""Ends a `pytest exercises` run with the kit's progress line and the one next thing to do."""

from __future__ import annotations

from typing import Any

from autograder.registry import EXERCISES
from autograder.results import CheckResult, ExerciseResult
from autograder.student import summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    by_exercise: dict[str, list[CheckResult]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", ()))
            if getattr(report, "when", "") == "call" and "result" in properties:
                by_exercise.setdefault(properties["exercise"], []).append(properties["result"])
    results = [ExerciseResult(e.name, tuple(by_exercise[e.name]))
               for e in EXERCISES if e.name in by_exercise]
    if results:
        terminalreporter.write_sep("=", "CNN exercise kit")
        terminalreporter.write_line(summary(results, rerun=lambda name: f"pytest exercises/test_{name}.py"))
