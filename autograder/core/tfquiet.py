"""Import TensorFlow without its start-up chatter.

TensorFlow writes C++ log lines to file descriptor 2 while it loads (oneDNN notices, absl
warnings), before `TF_CPP_MIN_LOG_LEVEL` can silence them; in a student's terminal or a
grader's log they bury the feedback. The import happens with fd 2 pointed at /dev/null.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType


def tensorflow() -> ModuleType:
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            import keras  # noqa: F401  (loads TensorFlow as its backend)
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    tf.get_logger().setLevel("ERROR")  # retracing warnings are ours, not the student's concern
    return tf
