"""Where exercise modules sit in a tree of entries (a folder or a zip), whatever its source.

The layout rules, in order of preference: the top level, `exercises/`, and, when everything is
under one top folder (as zips of a folder often are), that folder and its `exercises/`. A
module found in one place is taken from there; one found in several is taken from the copy with
the most complete work (choose.py), and a note names the copy taken and the others. A tree with
no module in any place is read as its one notebook (two are an error). The modules beside them
that they import are taken too (helpers.py). Every file not taken is named in a note, for the
instructor.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograder.core.collect.choose import best, measure
from autograder.core.collect.common import (
    MAX_MODULE_BYTES,
    MAX_NOTEBOOK_RAW_BYTES,
    SubmissionError,
    _Entry,
    _Found,
    _listing,
    _show,
    _Source,
    _Unreadable,
)
from autograder.core.collect.helpers import _helpers
from autograder.registry import Exercise

# Skipped whole, like hidden folders: what macOS Finder and Python leave behind.
_JUNK = frozenset({"__MACOSX", "__pycache__"})


def _hidden(part: str) -> bool:
    return part.startswith(".") or part in _JUNK


def _roots(entries: dict[str, _Entry]) -> list[str]:
    """Where exercise modules may live, in order of preference."""
    roots = ["", "exercises/"]
    tops = {rel.split("/")[0] for rel in entries if not _hidden(rel.split("/")[0])}
    if len(tops) == 1:
        (top,) = tops
        if any(rel.startswith(top + "/") for rel in entries):  # a folder, not a lone file
            roots += [f"{top}/", f"{top}/exercises/"]
    return list(dict.fromkeys(roots))


def _where(root: str) -> str:
    return f"in {root.rstrip('/')}/" if root else "at the top level"


def _from_tree(source: _Source, wanted: Sequence[Exercise], *, notebooks: bool = True) -> _Found:
    """The exercise modules of the tree; `notebooks=False`: never read a notebook (the student
    loop checks modules only)."""
    entries = source.entries
    notes = list(source.notes)
    roots = _roots(entries)
    root = next((r for r in roots if any(f"{r}{ex.module}" in entries for ex in wanted)), None)
    used: set[str] = set()

    if root is None and notebooks:
        candidates = [rel for r in roots for rel in entries
                     if rel.lower().endswith(".ipynb") and rel.startswith(r)
                     and "/" not in rel[len(r):] and not _hidden(rel[len(r):])]
        if len(candidates) > 1:
            raise SubmissionError(
                f"{source.label} holds no exercise modules and {len(candidates)} notebooks "
                f"({_listing([_show(n) for n in candidates])}): submit one notebook")
        if candidates:
            (rel,) = candidates
            if entries[rel].kind == "symlink":
                raise SubmissionError(f"{_show(rel)} is a symbolic link: submit the notebook itself")
            if entries[rel].kind != "file":
                raise SubmissionError(f"{_show(rel)} is not a regular file")
            from autograder.core.collect.notebook import _from_notebook  # its parsers: only here

            found = _from_notebook(lambda: _read_notebook_file(source, rel), _show(rel), wanted)
            used.add(rel)
            folder = rel.rpartition("/")[0]
            found.siblings, read = _helpers(source, f"{folder}/" if folder else "", found.modules,
                                            wanted, found.notes)
            used |= read
            found.notes[:0] = notes
            _note_ignored(found.notes, entries, used)
            return found
    if root is None:
        none = {ex.name: f"no {ex.module} in the submission" for ex in wanted}
        notes.append(f"found none of {', '.join(ex.module for ex in wanted)} (looked at the "
                     "top level, in exercises/ and in a single top folder)")
        _note_ignored(notes, entries, used)
        return _Found({}, none, notes)

    modules: dict[str, bytes] = {}
    missing: dict[str, str] = {}
    taken_from: dict[str, str] = {}  # exercise name -> the root its module was taken from
    paths: dict[str, str] = {}  # exercise name -> the file taken
    for ex in wanted:
        places = [(order, r) for order, r in enumerate(roots) if f"{r}{ex.module}" in entries]
        if not places:
            missing[ex.name] = f"no {ex.module} in the submission ({_where(root)})"
            continue
        copies, why = [], {}
        for order, place in places:
            rel = f"{place}{ex.module}"
            used.add(rel)
            try:
                data: bytes | None = _read_module(source, rel)
            except _Unreadable as exc:
                data, why[rel] = None, str(exc)
            copies.append(measure(rel, order, data, ex))
        chosen = best(copies)
        if len(copies) > 1:
            others = "; ".join(f"{_show(c.rel)} ({c.describe(ex)})" for c in copies
                               if c is not chosen)
            notes.append(f"{ex.module}: took {_show(chosen.rel)} ({chosen.describe(ex)}), the "
                         f"most complete of its {len(copies)} copies, not {others}")
        if chosen.data is None:
            missing[ex.name] = why[chosen.rel]
            continue
        modules[ex.name] = chosen.data
        taken_from[ex.name] = roots[chosen.order]
        paths[ex.name] = chosen.rel
    siblings: dict[str, bytes] = {}
    for place in sorted(set(taken_from.values()), key=roots.index):
        if place:
            notes.append(f"took the modules {_where(place)}")
        here = {name: data for name, data in modules.items() if taken_from[name] == place}
        imported, read = _helpers(source, place, here, wanted, notes)
        siblings = {**imported, **siblings}  # a helper of a preferred place wins
        used |= read
    _note_ignored(notes, entries, used)
    return _Found(modules, missing, notes, siblings, paths)


def _read_module(source: _Source, rel: str) -> bytes:
    entry = source.entries[rel]
    if entry.kind == "symlink":
        raise _Unreadable(f"{_show(rel)} is a symbolic link, which is not accepted: "
                          "submit the file itself")
    if entry.kind != "file":
        raise _Unreadable(f"{_show(rel)} is not a regular file")
    return source.read(rel, MAX_MODULE_BYTES)


def _read_notebook_file(source: _Source, rel: str) -> bytes:
    try:
        return source.read(rel, MAX_NOTEBOOK_RAW_BYTES)
    except _Unreadable as exc:
        raise SubmissionError(str(exc)) from None


def _note_ignored(notes: list[str], entries: dict[str, _Entry], used: set[str]) -> None:
    ignored = sorted(_show(rel, 80) for rel in entries if rel not in used)
    if ignored:
        notes.append(f"ignored {len(ignored)} file(s) of the submission: {_listing(ignored)}")
