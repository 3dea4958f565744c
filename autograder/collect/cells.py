"""What each notebook cell binds and reads, and so which exercises it belongs to.

A notebook has no modules, only cells in order. An exercise's module is the cells that define
its functions, the cells that use what those bind (demo cells), the shared cells (imports,
helpers, constants) and, pulled in on demand, another exercise's cells it depends on. Names are
read with `symtable`, so a name used inside a function counts and a local one does not.
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from autograder.collect.common import _show
from autograder.registry import EXERCISES, Exercise


@dataclass
class _Cell:
    number: int  # 1-based position in the notebook, all cell types counted
    lines: list[str]
    tree: ast.Module | None
    defines: frozenset[str]  # exercise functions defined at top level
    binds: frozenset[str]  # names bound at module level
    uses: frozenset[str]  # global names it reads (in functions too)
    owners: frozenset[str] = frozenset()  # exercises it belongs to; empty: shared


def _module_level(stmts: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at module level: through if/try/with/for/while, not into defs/classes."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_level(getattr(stmt, field, ()))
        for handler in getattr(stmt, "handlers", ()):
            yield from _module_level(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from _module_level(case.body)


def _top_defs(tree: ast.Module) -> frozenset[str]:
    return frozenset(stmt.name for stmt in _module_level(tree.body)
                     if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _names(text: str, tree: ast.Module) -> tuple[frozenset[str], frozenset[str]]:
    """(names the cell binds at module level, global names it reads anywhere)."""
    try:
        table = symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        loads = frozenset(node.id for node in ast.walk(tree)
                          if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load))
        return _top_defs(tree), loads
    binds = frozenset(s.get_name() for s in table.get_symbols()
                      if s.is_assigned() or s.is_imported() or s.is_namespace())
    uses: set[str] = set()
    pending: list[symtable.SymbolTable] = [table]
    while pending:
        scope = pending.pop()
        module = scope.get_type() == "module"
        uses.update(s.get_name() for s in scope.get_symbols()
                    if s.is_referenced() and (module or s.is_global()))
        pending.extend(scope.get_children())
    return binds, frozenset(uses)


def _assign(cells: Sequence[_Cell]) -> None:
    """Who owns each cell, in notebook order: a cell that defines a function of exercise X
    belongs to X; a cell that defines none but reads a name an owned cell bound (a demo cell
    calling `correlate1d`, or `model.fit` after `model = build_cnn()`) belongs to the same
    exercises, and so does one that reads a name only a later cell of an exercise binds (a
    notebook run out of order); every other cell is shared (imports, helpers, constants)."""
    owners_of_function: dict[str, set[str]] = {}
    for ex in EXERCISES:
        for fn in ex.functions:
            owners_of_function.setdefault(fn, set()).add(ex.name)
    for cell in cells:
        cell.owners = frozenset(e for fn in cell.defines for e in owners_of_function[fn])
    bound_by_exercises: dict[str, frozenset[str]] = {}
    for cell in cells:
        for name in cell.binds if cell.owners else ():
            bound_by_exercises[name] = bound_by_exercises.get(name, frozenset()) | cell.owners
    owned_names: dict[str, frozenset[str]] = {}
    bound_so_far: set[str] = set()
    for cell in cells:
        if not cell.defines and cell.tree is not None:
            owners: set[str] = set()
            for name in cell.uses:
                if name in owned_names:
                    owners |= owned_names[name]
                elif name not in bound_so_far and name not in cell.binds:
                    owners |= bound_by_exercises.get(name, frozenset())
            cell.owners = frozenset(owners)
        for name in cell.binds:
            if cell.owners:
                owned_names[name] = cell.owners
            else:
                owned_names.pop(name, None)
        bound_so_far |= cell.binds


def _members(ex: Exercise, cells: Sequence[_Cell], notes: list[str]) -> list[_Cell]:
    """The shared cells, the exercise's own, and, transitively, any cell of another exercise
    that binds a name they read (`correlate2d_padded` calling `correlate2d` from the
    cross-correlation cells)."""
    members = {id(c): c for c in cells if not c.owners or ex.name in c.owners}
    while True:
        bound = {name for c in members.values() for name in c.binds}
        free = {name for c in members.values() for name in c.uses} - bound
        extra = [c for c in cells if id(c) not in members and c.binds & free]
        if not extra:
            break
        for cell in extra:
            members[id(cell)] = cell
            names = ", ".join(sorted(cell.binds & free))
            notes.append(f"{ex.name}: also took notebook cell {cell.number} "
                         f"({', '.join(sorted(cell.owners))}) for {_show(names, 60)}")
    return [c for c in cells if id(c) in members]
