"""Hostile: leave the grader a named pipe where it expects the first case's array, a result
record that points at it, and exit: whoever opens the pipe for reading waits for a writer that
never comes."""

import json
import os
from pathlib import Path

out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
(out / "import.json").write_text(json.dumps({"type_name": "module"}))
os.mkfifo(out / "0.npy")  # hostile: not a file, a pipe
(out / "0.json").write_text(json.dumps({"type_name": "numpy.ndarray", "is_ndarray": True,
                                        "has_array": True}))
os._exit(0)
