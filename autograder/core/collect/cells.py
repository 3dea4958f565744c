"""A notebook cell as top-level statements: what each one binds, changes and reads.

A notebook has no modules, only cells in order. An exercise's module is built from the
statements its graded functions need (definitions.py), so each top-level statement of a cell is
described on its own: the names it binds at module level and the names whose objects it changes
in place (`KERNEL[0] = 2`, `CONFIG.update(...)`) are read from the tree, for every statement;
the names it reads need `symtable` (a name used inside a function counts, a local one does not)
and are worked out only for the statements that turn out to be needed. A cell that does not
parse is one statement, whose `def`s and assignments at the start of a line are its bindings.
"""

from __future__ import annotations

import ast
import re
import symtable
from dataclasses import dataclass, field

# In a cell that does not parse: the names a line starting at column 0 defines.
_LOOSE_BINDINGS = re.compile(r"^(?:(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(|class\s+([A-Za-z_]\w*)"
                             r"|([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=))", re.MULTILINE)
# symtable's names for comprehension scopes: they run with their statement, unlike a function.
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


@dataclass
class _Statement:
    """One top-level statement of a cell (or a whole cell that does not parse)."""

    cell: int  # the cell's number
    index: int  # position among all the notebook's statements, in notebook order
    node: ast.stmt | None  # None: the whole cell, which does not parse
    first: int  # first and last line in the cell, 1-based, decorators included
    last: int
    binds: frozenset[str]  # names bound at module level
    mutates: frozenset[str] = frozenset()  # names whose object it changes in place
    lines: list[str] = field(default_factory=list, repr=False)  # the cell's lines

    @property
    def is_import(self) -> bool:
        return isinstance(self.node, (ast.Import, ast.ImportFrom))

    @property
    def is_star(self) -> bool:
        return isinstance(self.node, ast.ImportFrom) and any(a.name == "*" for a in self.node.names)

    @property
    def is_future(self) -> bool:
        return isinstance(self.node, ast.ImportFrom) and self.node.module == "__future__"


@dataclass
class _Cell:
    number: int  # 1-based position in the notebook, all cell types counted
    lines: list[str]
    tree: ast.Module | None  # None: it does not parse
    statements: list[_Statement] = field(default_factory=list)


def _statements(cell: _Cell, start: int) -> list[_Statement]:
    """The cell's top-level statements, numbered from `start`."""
    if cell.tree is None:
        text = "\n".join(cell.lines)
        binds = frozenset(name for match in _LOOSE_BINDINGS.findall(text) for name in match if name)
        return [_Statement(cell.number, start, None, 1, len(cell.lines), binds, lines=cell.lines)]
    found = []
    for offset, node in enumerate(cell.tree.body):
        decorators = getattr(node, "decorator_list", None)
        first = decorators[0].lineno if decorators else node.lineno
        found.append(_Statement(cell.number, start + offset, node, first,
                                node.end_lineno or node.lineno, _binds(node), _mutates(node),
                                cell.lines))
    return found


def _binds(stmt: ast.stmt) -> frozenset[str]:
    """The names `stmt` binds at module level: its targets, through the bodies of if/try/with/
    for/while/match, not into functions, classes and lambdas. Only binding places are read (a
    walrus counts in the test of an `if` or a `while`, where it is idiomatic): a big notebook
    has many statements, and this runs for each of them."""
    names: set[str] = set()
    pending: list[ast.AST] = [stmt]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_alias_binding(node, alias) for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Name):  # reached only as a target
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            pending.extend(node.elts)
        elif isinstance(node, (ast.Starred, ast.NamedExpr)):
            pending.append(node.value if isinstance(node, ast.Starred) else node.target)
        elif isinstance(node, ast.pattern):
            names.update(_pattern_names(node))
        else:
            if isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
            if isinstance(node, ast.match_case):
                pending.append(node.pattern)
            pending.extend(_targets(node))
            for body in ("body", "orelse", "finalbody", "handlers", "cases"):
                pending.extend(getattr(node, body, ()))
    return frozenset(names)


def _targets(node: ast.AST) -> list[ast.AST]:
    """Where a statement binds names (an annotation alone binds nothing)."""
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)) or \
            (isinstance(node, ast.AnnAssign) and node.value is not None):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, (ast.If, ast.While)):
        return [n for n in ast.walk(node.test) if isinstance(n, ast.NamedExpr)]
    return []


def _pattern_names(pattern: ast.pattern) -> set[str]:
    return {name for node in ast.walk(pattern)
            for name in (getattr(node, "name", None), getattr(node, "rest", None)) if name}


def _alias_binding(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    """The name an import binds: `import a.b` binds `a`, `from a import b as c` binds `c`."""
    if alias.asname:
        return alias.asname
    return alias.name.partition(".")[0] if isinstance(node, ast.Import) else alias.name


def _mutates(stmt: ast.stmt) -> frozenset[str]:
    """The names whose object a top-level expression or assignment changes in place: the
    receiver of a method call (`CONFIG.update(...)`), the target of an item or attribute
    assignment (`KERNEL[0] = 2`, `del KERNEL[0]`). Cheap, and enough for constants set up in
    more than one statement; a change made by passing the object to a function is not seen."""
    if isinstance(stmt, ast.Expr):
        call = stmt.value
        targets = [call.func.value] if isinstance(call, ast.Call) and \
            isinstance(call.func, ast.Attribute) else []
        return frozenset(name for name in map(_root, targets) if name)
    if isinstance(stmt, (ast.Assign, ast.Delete)):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    else:
        return frozenset()
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            name = _root(target)
            if name:
                names.add(name)
    return frozenset(names)


def _root(node: ast.expr) -> str | None:
    """`KERNEL` of `KERNEL[0].real`, `CONFIG` of `CONFIG.get("a").append`."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _reads(statement: _Statement) -> tuple[frozenset[str], frozenset[str]]:
    """(global names read when the statement runs, global names read later, when a function or
    lambda it defines is called). A class body and a comprehension run with the statement."""
    if statement.node is None:
        return frozenset(), frozenset()
    text = _segment(statement)
    try:
        table = symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # `yield` at top level, ...
        return frozenset(), frozenset(node.id for node in ast.walk(statement.node)
                                      if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load))
    now: set[str] = set()
    later: set[str] = set()
    pending: list[tuple[symtable.SymbolTable, bool]] = [(table, True)]
    while pending:
        scope, runs_now = pending.pop()
        module = scope.get_type() == "module"
        names = {s.get_name() for s in scope.get_symbols()
                 if s.is_referenced() and (module or s.is_global())}
        (now if runs_now else later).update(names)
        for child in scope.get_children():
            with_it = child.get_type() == "class" or child.get_name() in _COMPREHENSIONS
            pending.append((child, runs_now and with_it))
    return frozenset(now), frozenset(later)


def _segment(statement: _Statement) -> str:
    """The statement's own source text (other statements on its lines left out)."""
    node = statement.node
    assert node is not None
    lines = statement.lines[statement.first - 1:statement.last]
    start = 0 if statement.first < node.lineno else node.col_offset  # decorators start a line
    end = node.end_col_offset if node.end_col_offset is not None else len(lines[-1].encode())
    # col offsets count UTF-8 bytes
    if len(lines) == 1:
        return lines[0].encode("utf-8")[start:end].decode("utf-8", "replace")
    head = lines[0].encode("utf-8")[start:].decode("utf-8", "replace")
    tail = lines[-1].encode("utf-8")[:end].decode("utf-8", "replace")
    return "\n".join([head, *lines[1:-1], tail])
