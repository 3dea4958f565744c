"""Hostile: a result record, well under the size cap, nested deeper than the JSON parser's
recursion limit; then exit before the worker writes its own."""

import os
from pathlib import Path

DEPTH = 100_000
out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
(out / "import.json").write_text('{"type_name": "module", "data": {"x": '
                                 + "[" * DEPTH + "]" * DEPTH + "}}")  # hostile: 200 kB
os._exit(0)
