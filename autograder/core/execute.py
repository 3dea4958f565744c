"""Run one call on the module under test, whatever its mode: a plain call (`invoke`) or a probe
of a Keras-model builder (`autograder.core.probes`, which imports TensorFlow when it runs).

Kept apart from `calls` so that the call model never imports the probes, which build on it.
"""

from __future__ import annotations

from types import ModuleType

from autograder.core.calls import Call, Outcome, invoke


def run_call(module: ModuleType, call: Call, *, train: bool = True) -> Outcome:
    """Run one call against the module under test, whatever its mode (`train`: see
    `autograder.core.probes.run`)."""
    function = getattr(module, call.function, None)
    if not callable(function):
        return Outcome(error=f"AttributeError: the module defines no function {call.function}()",
                       error_types=("AttributeError", "MissingFunction"))
    if call.mode == "value":
        return invoke(function, call)
    from autograder.core import probes  # TensorFlow: only the CNN's model checks get here

    return probes.run(module, call, train=train)
