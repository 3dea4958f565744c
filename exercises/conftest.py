"""Ends a `pytest exercises` run with the kit's progress line and the one next thing to do.

They are written when pytest is done with everything else (`pytest_unconfigure`, after the
failures, the short summary and the "N failed" line), so they are the last lines on screen.
"""

from __future__ import annotations

from typing import Any

import pytest

from autograder.core.results import CheckResult, ExerciseResult
from autograder.registry import EXERCISES
from autograder.student import summary

_results: dict[str, list[CheckResult]] = {}
_files: dict[str, str] = {}
_notes: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = dict(report.user_properties)
    if report.when == "call" and "result" in properties:
        _results.setdefault(properties["exercise"], []).append(properties["result"])
        _files[properties["exercise"]] = properties.get("file", "")
        _notes.extend(properties.get("notes", ()))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    results = [ExerciseResult(e.name, tuple(_results[e.name]))
               for e in EXERCISES if e.name in _results]
    if reporter is None or not results:
        return
    reporter.write_sep("=", "CNN exercise kit")
    for note in dict.fromkeys(_notes):
        reporter.write_line(f"Note: {note}")
    reporter.write_line(summary(results, rerun=lambda name: f"pytest exercises/test_{name}.py",
                                files=_files))
