"""Hostile: a result record whose fields have the wrong JSON types (a number where the grader
expects a list of strings), appended to the worker's outcome stream; then exit before the
worker writes its own."""

import json
import os
from pathlib import Path

out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
with open(out / "outcomes", "a") as stream:  # hostile: not lists
    stream.write(json.dumps({"key": "import", "type_name": "module", "error_types": 1,
                             "modified": 2}) + "\n")
os._exit(0)
