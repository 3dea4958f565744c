"""The submission's own modules that its exercise modules import: one exercise module importing a
function of another (`from padding import ...` in `cnn.py`), or a helper `utils.py` beside them.

They are found statically (the `import` statements, read with `ast`; nothing is run), followed
transitively, and taken from the same folder as the exercise modules, so that an exercise graded
alone (`--only cnn`) still imports. Only single-file modules are taken: not packages, not
`conftest.py` or `sitecustomize.py`, and not a module named like one of Python's own (it would
shadow it in the grader's worker too). A helper that imports a package the exercise forbids
still fails at import time (the worker's import blocker); a note says so before grading.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Mapping, Sequence

from autograder.core.collect.common import (
    MAX_HELPER_MODULES,
    MAX_MODULE_BYTES,
    _listing,
    _show,
    _Source,
    _Unreadable,
)
from autograder.registry import Exercise

_NEVER = frozenset({"conftest", "sitecustomize", "usercustomize", "__init__", "__main__"})


def _helpers(source: _Source, root: str, taken: Mapping[str, bytes], wanted: Sequence[Exercise],
             notes: list[str]) -> tuple[dict[str, bytes], set[str]]:
    """(helper module name -> bytes, the paths read) for the modules in `root` that the taken
    modules import, transitively."""
    candidates = _candidates(source, root, set(taken) | {ex.name for ex in wanted})
    imports = {name: _imported(data) for name, data in taken.items()}
    helpers: dict[str, bytes] = {}
    used: set[str] = set()
    queue = deque(sorted(set().union(*imports.values())))
    while queue:
        name = queue.popleft()
        if name in helpers or name not in candidates:
            continue
        if len(helpers) >= MAX_HELPER_MODULES:
            notes.append(f"took only the first {MAX_HELPER_MODULES} modules that the exercise "
                         "modules import")
            break
        rel = candidates[name]
        used.add(rel)
        try:
            helpers[name] = _read(source, rel)
        except _Unreadable as exc:
            notes.append(f"an exercise module imports {name}, which was not taken: {exc}")
            continue
        imports[name] = _imported(helpers[name])
        queue.extend(sorted(imports[name]))
    if helpers:
        notes.append(f"took {len(helpers)} module(s) that the exercise modules import: "
                     + _listing([_show(f"{name}.py") for name in sorted(helpers)]))
    notes.extend(_skipped(source, root, set().union(*imports.values()) - set(helpers) - set(taken)))
    notes.extend(_forbidden(taken, imports, helpers, wanted))
    return helpers, used


def _candidates(source: _Source, root: str, exclude: set[str]) -> dict[str, str]:
    """Module name -> path, for the `.py` files directly in `root` that may be helpers."""
    found = {}
    for rel in source.entries:
        name = rel[len(root):]
        if rel.startswith(root) and name.endswith(".py") and "/" not in name:
            stem = name[:-3]
            if stem.isidentifier() and stem not in _NEVER and stem not in exclude \
                    and stem not in sys.stdlib_module_names:
                found[stem] = rel
    return found


def _read(source: _Source, rel: str) -> bytes:
    entry = source.entries[rel]
    if entry.kind == "symlink":
        raise _Unreadable(f"{_show(rel)} is a symbolic link")
    if entry.kind != "file":
        raise _Unreadable(f"{_show(rel)} is not a regular file")
    return source.read(rel, MAX_MODULE_BYTES)


def _imported(data: bytes) -> set[str]:
    """The top-level names a module imports, anywhere in it; none when it does not parse (its
    import then reports the syntax error)."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _skipped(source: _Source, root: str, imported: set[str]) -> list[str]:
    """Notes for imported names the submission has but that were not taken."""
    notes = []
    for name in sorted(imported):
        if f"{root}{name}/__init__.py" in source.entries:
            notes.append(f"{_show(name)}/ is a package, which is not taken: put the code the "
                         "exercises import in a single module beside them")
        elif f"{root}{name}.py" in source.entries and name in sys.stdlib_module_names:
            notes.append(f"{_show(name)}.py is not taken: it is named like a module of Python's "
                         "standard library, which it would hide")
    return notes


def _forbidden(taken: Mapping[str, bytes], imports: Mapping[str, set[str]],
               helpers: Mapping[str, bytes], wanted: Sequence[Exercise]) -> list[str]:
    """Notes for helpers that import a package an exercise that reaches them forbids."""
    notes = []
    for ex in wanted:
        if ex.name not in taken or not ex.forbidden_imports:
            continue
        reached, queue = set(), deque(imports[ex.name] & set(helpers))
        while queue:
            name = queue.popleft()
            if name not in reached:
                reached.add(name)
                queue.extend(imports.get(name, set()) & set(helpers))
        for name in sorted(reached):
            bad = sorted(imports.get(name, set()) & set(ex.forbidden_imports))
            if bad:
                notes.append(f"{ex.module} imports {name}.py, which imports {', '.join(bad)}: the "
                             f"{ex.name} exercise does not allow it, so importing {ex.module} fails")
    return notes
