"""Hostile: a result record, well under the size cap, nested deeper than the JSON parser's
recursion limit, appended to the worker's outcome stream; then exit before the worker writes
its own."""

import os
from pathlib import Path

DEPTH = 100_000
out = Path.cwd() / "out"  # the worker's result folder (the job dir is the cwd)
with open(out / "outcomes", "ab") as stream:  # hostile: 200 kB on one line
    stream.write(b'{"key": "import", "type_name": "module", "data": {"x": '
                 + b"[" * DEPTH + b"]" * DEPTH + b"}}\n")
os._exit(0)
