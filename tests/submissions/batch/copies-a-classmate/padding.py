"""Hostile: runs a classmate's solution read from the batch folder at import."""

from pathlib import Path

CLASSMATE = Path("__CLASSMATE__")
exec(compile(CLASSMATE.read_text(), str(CLASSMATE), "exec"))
