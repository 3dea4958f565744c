"""Hostile: a result record whose fields have the wrong JSON types (a number where the grader
expects a list of strings); then exit before the worker writes its own."""

import json
import os
from pathlib import Path

out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
(out / "import.json").write_text(json.dumps({"type_name": "module", "error_types": 1,
                                             "modified": 2}))  # hostile: not lists
os._exit(0)
