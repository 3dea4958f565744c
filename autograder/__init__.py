"""The CNN exercise kit: exercises, reference checks and a sandboxed grader.

Kept light on purpose: importing the package must not import TensorFlow (the student loop of
the NumPy exercises runs without it).
"""

import os

# TensorFlow's C++ start-up logging would bury the feedback; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
