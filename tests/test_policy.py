"""The static policy scan and the run-time import blocker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.core.policy import Violation, import_blocker, scan
from autograder.registry import BY_NAME, NUMPY_ONLY, Exercise

ROOT = Path(__file__).resolve().parents[1]
XCORR = BY_NAME["cross_correlation"]
PADDING = BY_NAME["padding"]
LISTED = tuple(XCORR.forbidden_calls)  # the functions that may not call numpy.correlate


def violations(source: str, exercise: Exercise = XCORR) -> list[Violation]:
    return scan(textwrap.dedent(source), exercise)


def test_the_registry_lists_what_these_tests_assume() -> None:
    assert LISTED == ("correlate1d", "convolve1d")
    assert "correlate2d" in XCORR.functions and "correlate2d" not in XCORR.forbidden_calls
    assert XCORR.forbidden_calls["correlate1d"][:2] == ("numpy.correlate", "numpy.convolve")
    assert XCORR.forbidden_imports == NUMPY_ONLY


@pytest.mark.parametrize("use", ["np.polymul(x, k)", "np.polynomial.polynomial.polymul(x, k)",
                                 "np.fft.rfft(x)", "fft.irfft(x)"])
def test_routines_computing_a_sliding_product_under_another_name_are_found(use: str) -> None:
    found = violations(f"""
        import numpy as np
        from numpy import fft

        def correlate1d(x, k):
            return {use}
        """)
    assert [v.functions for v in found] == [("correlate1d",)], found


@pytest.mark.parametrize(
    ("statement", "package"),
    [
        ("import tensorflow", "tensorflow"),
        ("import tensorflow as tf", "tensorflow"),
        ("import tensorflow.keras as k", "tensorflow"),
        ("from scipy import signal", "scipy"),
        ("from keras.layers import Conv2D", "keras"),
        ("import numpy, torch", "torch"),
        ('__import__("torch")', "torch"),
        ('importlib.import_module("jax")', "jax"),
        ('importlib.import_module("jax.numpy")', "jax"),
        ('import_module("scipy.signal")', "scipy"),
        ('il.import_module(name="keras")', "keras"),
    ],
)
def test_every_import_form_is_found_on_its_line(statement: str, package: str) -> None:
    source = (
        "import importlib\n"
        "import importlib as il\n"
        "from importlib import import_module\n"
        "import numpy as np\n"
        f"{statement}\n"
    )
    found = scan(source, XCORR)
    assert [(v.line, v.what, v.functions) for v in found] == [(5, f"import {package}", ())]
    assert found[0].message.startswith(f"line 5: `{statement}`: ")
    assert found[0].message.endswith(f"the NumPy exercises may not use {package}")


def test_imports_inside_functions_count_for_the_whole_exercise() -> None:
    found = violations("""\
        import numpy as np

        def correlate2d(x, k):
            import tensorflow as tf
            return tf.nn.conv2d(x, k)

        def _helper():
            from scipy.signal import correlate2d as c
            return c
    """)
    assert [(v.line, v.what, v.functions) for v in found] == [
        (4, "import tensorflow", ()), (8, "import scipy", ())]


def test_allowed_imports_and_relative_imports_pass() -> None:
    assert violations("""\
        import numpy as np
        import numpy.linalg
        from numpy.lib.stride_tricks import sliding_window_view
        from . import tensorflow
        import math, itertools
        __import__("numpy")
        __import__(name)
    """) == []


def test_the_cnn_exercise_may_import_tensorflow() -> None:
    assert scan("import tensorflow as tf\nimport keras\n", BY_NAME["cnn"]) == []


@pytest.mark.parametrize(
    ("imports", "expression"),
    [
        ("import numpy as np", "np.correlate(x, k)"),
        ("import numpy as np", "np.convolve(x, k[::-1])"),
        ("import numpy", "numpy.correlate(x, k)"),
        ("from numpy import correlate as c", "c(x, k)"),
        ("from numpy import correlate", "correlate(x, k)"),
        ("from numpy import *", "correlate(x, k)"),
        ("import numpy as np", 'getattr(np, "correlate")(x, k)'),
        ("import numpy as np", "np.core.numeric.correlate(x, k)"),
    ],
)
def test_a_forbidden_call_in_a_listed_function_costs_that_function(
    imports: str, expression: str
) -> None:
    source = f"{imports}\n\n\ndef correlate1d(x, k):\n    return {expression}\n"
    found = scan(source, XCORR)
    assert [(v.line, v.functions) for v in found] == [(5, ("correlate1d",))]
    assert found[0].what in ("numpy.correlate(...)", "numpy.convolve(...)")
    assert found[0].message.startswith("line 5: `")
    assert "correlate1d may not use numpy." in found[0].message


def test_a_reference_without_a_call_counts() -> None:
    found = violations("""\
        import numpy as np

        def convolve1d(x, k):
            f = np.convolve
            return f(x, k)
    """)
    assert [(v.line, v.what, v.functions) for v in found] == [
        (4, "numpy.convolve", ("convolve1d",)),
        (5, "numpy.convolve(...)", ("convolve1d",)),  # the alias is followed too
    ]


def test_an_alias_of_the_module_is_followed() -> None:
    found = violations("""\
        import numpy
        n = numpy

        def correlate1d(x, k):
            return n.correlate(x, k)
    """)
    assert [(v.line, v.functions) for v in found] == [(5, ("correlate1d",))]


def test_the_same_call_in_an_unlisted_exercise_function_is_allowed() -> None:
    assert violations("""\
        import numpy as np

        def correlate2d(x, k):
            return np.correlate(x.ravel(), k.ravel())

        def correlate3d(x, k):
            return np.convolve(x.ravel(), k.ravel())
    """) == []


def test_helpers_and_module_level_uses_cost_every_listed_function() -> None:
    found = violations("""\
        import numpy as np

        def _slide(x, k):
            return np.correlate(x, k)

        SHORTCUT = np.convolve

        class Tools:
            def run(self, x, k):
                return np.correlate(x, k)

        def correlate1d(x, k):
            return _slide(x, k)
    """)
    assert [(v.line, v.what, v.functions) for v in found] == [
        (4, "numpy.correlate(...)", LISTED),
        (6, "numpy.convolve", LISTED),
        (10, "numpy.correlate(...)", LISTED),
    ]
    assert "code outside them counts" in found[0].message


def test_strings_docstrings_and_comments_are_not_uses() -> None:
    assert violations('''\
        """Do not use np.correlate or import tensorflow here."""
        import numpy as np

        def correlate1d(x, k):
            """Like np.correlate(x, k, mode="valid"), written by hand."""
            # np.correlate(x, k) would do it, but that is not allowed
            name = "numpy.correlate"
            return np.array([np.dot(x[i:i + len(k)], k) for i in range(len(x) - len(k) + 1)])
    ''') == []


def test_the_reference_solutions_are_clean() -> None:
    for name in ("cross_correlation", "padding", "stride", "pooling", "cnn"):
        source = (ROOT / "solutions" / f"{name}.py").read_text()
        assert scan(source, BY_NAME[name]) == [], name


def test_an_exercise_without_forbidden_calls_reports_only_imports() -> None:
    found = scan("import numpy as np\nimport torch\ny = np.correlate([1], [1])\n", PADDING)
    assert [v.what for v in found] == ["import torch"]
    assert "padding" not in found[0].message or "NumPy exercises" in found[0].message


def test_a_syntax_error_gives_no_violations() -> None:
    assert scan("import tensorflow\ndef correlate1d(x, k:\n    return np.correlate(x, k)\n", XCORR) == []
    assert scan("x = 1\x00", XCORR) == []


def test_the_import_blocker_refuses_only_forbidden_top_level_names() -> None:
    blocker = import_blocker(NUMPY_ONLY)
    assert blocker.find_spec("numpy", None, None) is None
    assert blocker.find_spec("numpy.linalg", None, None) is None
    assert blocker.find_spec("scipyx", None, None) is None
    for name in ("scipy", "scipy.signal", "tensorflow.keras", "jax"):
        with pytest.raises(ImportError, match=r"is not allowed in this exercise"):
            blocker.find_spec(name, None, None)


def test_the_import_blocker_in_a_child_process() -> None:
    script = textwrap.dedent("""\
        import importlib, sys
        from autograder.core.policy import import_blocker
        for name in list(sys.modules):
            if name.partition(".")[0] in ("tensorflow", "keras", "torch", "jax", "scipy"):
                del sys.modules[name]
        sys.meta_path.insert(0, import_blocker(("tensorflow", "keras", "torch", "jax", "scipy")))
        import numpy
        import numpy.linalg
        print(numpy.linalg.det(numpy.eye(2)))
        for name in ("scipy", "tensorflow", "keras.layers"):
            try:
                importlib.import_module(name)
            except ImportError as error:
                print(type(error).__name__, error)
            else:
                print("imported", name)
        try:
            __import__("torch")
        except ImportError as error:
            print(error)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1.0",
        "ModuleNotFoundError scipy is not allowed in this exercise",
        "ModuleNotFoundError tensorflow is not allowed in this exercise",
        "ModuleNotFoundError keras is not allowed in this exercise",
        "torch is not allowed in this exercise",
    ]


def test_a_very_deep_expression_is_scanned_without_recursion_errors() -> None:
    source = ("import numpy as np\n\n\ndef helper():\n    return "
              + " + ".join(["1"] * 2500) + " + np.correlate([1], [1])\n")
    found = scan(source, XCORR)
    assert [(v.line, v.what, v.functions) for v in found] == [(5, "numpy.correlate(...)", LISTED)]
