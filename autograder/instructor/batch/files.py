"""Atomic writes: a batch killed at any moment leaves each of OUT's files whole, old or new."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it, then rename it over `path`."""
    # The rename is atomic within one folder: a reader (or --resume after a kill) sees the old
    # file or the new one, never a part. The pid keeps two writers' temporaries apart.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
