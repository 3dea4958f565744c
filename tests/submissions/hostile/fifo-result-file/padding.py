"""Hostile: leave the grader a named pipe where it expects the first case's array (an array
too large for the outcome stream gets a file of its own), a result record that points at it,
and exit: whoever opens the pipe for reading waits for a writer that never comes."""

import json
import os
from pathlib import Path

out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
os.mkfifo(out / "0.npy")  # hostile: not a file, a pipe
with open(out / "outcomes", "a") as stream:
    stream.write(json.dumps({"key": "import", "type_name": "module"}) + "\n")
    stream.write(json.dumps({"key": "0", "type_name": "numpy.ndarray", "is_ndarray": True,
                             "array": "file"}) + "\n")
os._exit(0)
