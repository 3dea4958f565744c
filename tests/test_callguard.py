"""Policy at run time: a forbidden routine is caught however the student's code reaches it, in
process (the profile hook itself) and end to end in both sandbox modes (the grader's verdict)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from autograder.core.callguard import guarding
from autograder.grading.grade import Options, grade
from autograder.registry import SLIDING_PRODUCTS
from tests.conftest import SOLUTIONS

X, K = np.arange(12.0), np.array([2.0, 0.0, 2.0, 1.0])


def _in_a_thread(x: np.ndarray, k: np.ndarray) -> Any:
    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(np.correlate(x, k, "valid")))
    worker.start()
    worker.join()
    return box[0]


ROUTES: dict[str, Callable[[np.ndarray, np.ndarray], Any]] = {
    "by name": lambda x, k: np.correlate(x, k, "valid"),
    "computed attribute": lambda x, k: getattr(np, "corr" + "elate")(x, k, "valid"),
    "convolve": lambda x, k: np.convolve(x, k[::-1], "valid"),
    "polymul": lambda x, k: np.polymul(x, k[::-1])[len(k) - 1:len(x)],
    "polynomial class": lambda x, k: (np.polynomial.Polynomial(x)
                                      * np.polynomial.Polynomial(k[::-1])).coef,
    "fft": lambda x, k: np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(k[::-1], len(x)), len(x)),
    "compiled core": lambda x, k: np._core.multiarray.correlate2(x, k, 0),
    "a thread": _in_a_thread,
}


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_to_a_forbidden_routine_is_caught(route: str) -> None:
    with guarding("correlate1d", SLIDING_PRODUCTS) as used:
        ROUTES[route](X, K)
    assert used and all(u.startswith("calling numpy.") and "correlate1d()" in u for u in used)


def test_array_arithmetic_and_loops_are_not_caught() -> None:
    with guarding("correlate1d", SLIDING_PRODUCTS) as used:
        sliding_window_view(X, len(K)) @ K
        np.einsum("ij,j->i", sliding_window_view(X, len(K)), K)
        [float(np.dot(X[i:i + len(K)], K)) for i in range(len(X) - len(K) + 1)]
    assert used == []


def test_the_hook_is_off_outside_the_graded_call() -> None:
    with guarding("correlate1d", SLIDING_PRODUCTS) as used:
        pass
    np.correlate(X, K)
    assert used == []


HOSTILE = {
    "computed-name": "    return getattr(np, 'corr' + 'elate')(np.asarray(x, float), "
                     "np.asarray(kernel, float), 'valid')\n",
    "unhooks-then-correlates": "    import sys\n    try:\n        sys.setprofile(None)\n"
                               "    except Exception:\n        pass\n"
                               "    f = vars(np)['cor' 'relate']\n"
                               "    return f(np.asarray(x, float), np.asarray(kernel, float), 'valid')\n",
}


@pytest.mark.usefixtures("sandbox_mode")
@pytest.mark.parametrize("attack", HOSTILE)
def test_the_grader_gives_a_policy_result_for_a_hidden_route(attack: str, tmp_path: Path) -> None:
    source = (SOLUTIONS / "cross_correlation.py").read_text()
    source += "\n\ndef correlate1d(x, kernel):  # noqa: F811\n" + HOSTILE[attack]
    (tmp_path / "cross_correlation.py").write_text(source)
    result = grade(tmp_path, Options(only=("cross_correlation",), hidden=False))
    checks = result.exercises[0].checks
    # the reference convolve1d calls this correlate1d, so it reaches the routine too
    mine = [c for c in checks if c.id.startswith(("correlate1d", "convolve1d"))]
    assert mine and all(c.status == "policy" and c.points == 0 for c in mine), mine
    assert "numpy.correlate" in mine[0].message
    others = [c for c in checks if not c.id.startswith(("correlate1d", "convolve1d"))]
    assert all(c.status == "pass" for c in others), [c for c in others if c.status != "pass"]
