"""Which copy of an exercise module is graded when a submission holds more than one.

A submission may hold a module in several of the places the layout rules look (a stray stub
`padding.py` at the top level beside a finished `exercises/` folder, a copy left in a single top
folder). Each exercise module is taken, on its own, from the copy with the student's most
complete work, read statically (nothing is run):

1. the most functions of the exercise that are implemented: defined (or bound) at the top level
   of the module, with a body that does more than `raise NotImplementedError` (or `pass`);
2. then a copy that does not parse (work in progress: its syntax error is what the student
   must see) over one that parses;
3. then the place the layout rules prefer: the top level, `exercises/`, a single top folder,
   its `exercises/`.

A copy that cannot be read (a link, not a regular file, too big) is taken only when it is the
only one, and then reports why it is missing. The grader (`collect`) and the student loop
(`autograder check`, `pytest exercises`) both resolve a layout with this rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.registry import Exercise


@dataclass(frozen=True)
class Copy:
    """One copy of an exercise module: where it is and how complete it is."""

    rel: str  # its path inside the submission
    order: int  # the place's rank in the layout rules (0: preferred)
    data: bytes | None  # None: it could not be read
    implemented: int = 0  # the exercise's functions it implements
    parses: bool = True

    def key(self) -> tuple[int, int, int, int]:
        """Sort key, best first."""
        return (self.data is None, -self.implemented, self.parses, self.order)

    def describe(self, exercise: Exercise) -> str:
        if self.data is None:
            return "unreadable"
        if not self.parses:
            return "does not parse"
        return f"{self.implemented} of {len(exercise.functions)} functions implemented"


def measure(rel: str, order: int, data: bytes | None, exercise: Exercise) -> Copy:
    if data is None:
        return Copy(rel, order, None)
    count = implemented(data, exercise)
    return Copy(rel, order, data, count or 0, count is not None)


def best(copies: list[Copy]) -> Copy:
    return min(copies, key=Copy.key)


def implemented(data: bytes, exercise: Exercise) -> int | None:
    """How many of the exercise's functions the module implements; None if it does not parse."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    done: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _is_stub(node.body):
                done.discard(node.name)  # a later stub replaces an earlier definition
            else:
                done.add(node.name)
        else:
            done |= _bound(node)
    return len(done & set(exercise.functions))


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level import or assignment binds (`f = my_f`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).partition(".")[0] for alias in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else (
        [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
    return {target.id for target in targets if isinstance(target, ast.Name)}


def _is_stub(body: list[ast.stmt]) -> bool:
    """A body that only says it is not done: `pass`, `...`, a docstring, or one that ends by
    raising NotImplementedError (the stubs' TODO comments are not statements)."""
    statements = [s for s in body if not (isinstance(s, ast.Expr)
                                          and isinstance(s.value, ast.Constant))]
    if not statements or all(isinstance(s, ast.Pass) for s in statements):
        return True
    last = statements[-1]
    if isinstance(last, ast.Raise) and last.exc is not None:
        raised = last.exc.func if isinstance(last.exc, ast.Call) else last.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False
