"""The rules of the `build_cnn()` contract, as one pure function of the model's facts
(`autograder.core.modelspec.model_facts`).

The grader's judge (`core.judge.ModelExpect`) turns a problem into a verdict; the CNN notebook's
setup cell runs a verbatim copy of `model_problem` (`instructor.notebooks.model_setup`), so a
notebook and the grader judge a model by the same code. The copy finds the constants below as
globals of the setup cell: keep the function free of imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from autograder.registry import ALLOWED_KERAS_LAYERS, MAX_PARAMETERS

POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D")
HEAD_LAYERS = ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D")
Rule = Literal["model", "architecture", "size", "other_input"]
RULES: tuple[Rule, ...] = ("model", "architecture", "size", "other_input")
__all__ = ["ALLOWED_KERAS_LAYERS", "HEAD_LAYERS", "MAX_PARAMETERS", "POOLING_LAYERS", "RULES",
           "model_problem"]


def model_problem(rule: str, facts: Mapping[str, Any], args: Sequence[Any] = ()) -> str | None:
    """What breaks `rule` for a model with these facts, in a sentence; None when nothing does.
    `args`: the call's arguments (other_input: `(input_shape, num_classes)`)."""
    if rule == "model":
        if facts["input_shape"] != [None, 28, 28, 1] or facts["output_shape"] != [None, 10]:
            return (f"The model maps {tuple(facts['input_shape'])} to "
                    f"{tuple(facts['output_shape'])}, but the check expected (None, 28, 28, 1) "
                    "to (None, 10).")
        if facts["final_activation"] not in ("softmax", "linear"):
            return (f"The last activation is {facts['final_activation']}; a classifier ends "
                    "with softmax or with no activation (logits).")
        return None
    if rule == "architecture":
        classes = [layer["class"] for layer in facts["layers"]]
        heads = [i for i, c in enumerate(classes) if c in HEAD_LAYERS]
        problems = []
        if classes.count("Conv2D") < 2:
            problems.append(f"{classes.count('Conv2D')} Conv2D layer(s), at least 2 wanted")
        if not any(c in POOLING_LAYERS for c in classes):
            problems.append("no MaxPooling2D or AveragePooling2D layer")
        if not heads or "Dense" not in classes[heads[0]:]:
            problems.append("no Flatten or GlobalAveragePooling2D followed by Dense")
        return f"Its layers are {', '.join(classes)}: {'; '.join(problems)}." if problems else None
    if rule == "size":
        foreign = sorted({layer["class"] for layer in facts["layers"]
                          if not layer["builtin"] or layer["class"] not in ALLOWED_KERAS_LAYERS})
        if foreign:
            return (f"It uses layers outside the allowed built-in Keras layers: "
                    f"{', '.join(foreign)}. Allowed: {', '.join(ALLOWED_KERAS_LAYERS)}.")
        if facts["params"] > MAX_PARAMETERS:
            return (f"The model has {facts['params']:,} parameters; at most {MAX_PARAMETERS:,} "
                    "are allowed. Use fewer filters or pool before flattening.")
        return None
    if rule == "other_input":
        input_shape, classes_wanted = args
        want_in, want_out = [None, *input_shape], [None, classes_wanted]
        if facts["input_shape"] != want_in or facts["output_shape"] != want_out:
            return (f"The model maps {tuple(facts['input_shape'])} to "
                    f"{tuple(facts['output_shape'])}, but the check expected {tuple(want_in)} "
                    f"to {tuple(want_out)}: use the input_shape and num_classes arguments.")
        return None
    raise ValueError(f"unknown rule {rule!r}")
