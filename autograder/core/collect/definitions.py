"""Which statements of a notebook an exercise's module needs: the definitions of its graded
functions and, followed transitively, what those use.

A notebook is run top to bottom, so a name means its last binding: the last one in the whole
notebook for a name read inside a function (read when the function is called, after every cell
ran), the last one before the statement for a name read at module level (`KERNEL = np.ones(3)`
reads `np` as it runs; a function called at module level is still followed as if called at the
end, which differs only for a helper redefined after that call). A statement that binds a
needed name is taken whole (a `def` inside an `if` or a `try` is the whole `if` or `try`), and
so are the later top-level statements that change that object in place before it is used
(`KERNEL[0] = 2`, `CONFIG.update(...)`; calls on an imported module, such as
`np.random.seed(0)` or `plt.plot(...)`, do not count). A name no statement binds is a builtin,
or comes from a star import (`from numpy import *`): then the star imports are taken.
Everything else (demo prints, plots, scratch, stray cells that raise) is left out.
"""

from __future__ import annotations

import builtins
from bisect import bisect_left
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograder.core.collect.cells import _reads, _Statement
from autograder.registry import Exercise

# Names a notebook may read without binding them: Python's builtins, IPython's, module dunders.
_GIVEN = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "__file__",
                                     "__builtins__", "__annotations__"}


@dataclass
class _Needed:
    """The statements an exercise's module is built from."""

    names: dict[int, set[str]] = field(default_factory=dict)  # statement -> names it is kept for
    reasons: dict[int, tuple[str, str]] = field(default_factory=dict)  # -> (graded function, name)


class _Index:
    """Where each name is bound and changed, by statement index."""

    def __init__(self, statements: Sequence[_Statement]) -> None:
        self.statements = statements
        self.bindings: dict[str, list[int]] = {}
        self.mutations: dict[str, list[int]] = {}
        self.stars = [s.index for s in statements if s.is_star]
        for statement in statements:
            if statement.is_future:
                continue  # a compiler directive, moved to the top of every module
            for name in statement.binds:
                self.bindings.setdefault(name, []).append(statement.index)
            for name in statement.mutates:
                self.mutations.setdefault(name, []).append(statement.index)

    @property
    def end(self) -> int:
        """A position after every statement: where the graded functions are called."""
        return len(self.statements)

    def bound(self, name: str) -> bool:
        return name in self.bindings

    def binding(self, name: str, before: int) -> int | None:
        """The last statement before `before` that binds `name`."""
        found = self.bindings.get(name, [])
        position = bisect_left(found, before)
        return found[position - 1] if position else None

    def changes(self, name: str, bound_at: int, read_at: int) -> list[int]:
        """The statements that change the object bound at `bound_at` before `read_at`: after
        the binding, before the next one."""
        found = self.bindings.get(name, [])
        after = bisect_left(found, bound_at + 1)
        until = min(read_at, found[after]) if after < len(found) else read_at
        return [i for i in self.mutations.get(name, []) if bound_at < i < until]


def _needed(index: _Index, ex: Exercise) -> _Needed:
    """The statements the functions of `ex` need, breadth first from the functions in registry
    order (so a reason names the first graded function that needs a statement)."""
    needed = _Needed()
    work: deque[tuple[str, int, str]] = deque((fn, index.end, fn) for fn in ex.functions)
    seen: set[tuple[str, int]] = set()
    while work:
        name, read_at, root = work.popleft()
        if (name, read_at) in seen:
            continue
        seen.add((name, read_at))
        bound_at = index.binding(name, read_at)
        if bound_at is None:
            if name not in _GIVEN:  # maybe from a star import
                found = [i for i in index.stars if i < read_at]
                for i in found:
                    _keep(index, needed, work, i, name, root)
            continue
        _keep(index, needed, work, bound_at, name, root)
        if not index.statements[bound_at].is_import:
            for i in index.changes(name, bound_at, read_at):
                _keep(index, needed, work, i, name, root)
    return needed


def _keep(index: _Index, needed: _Needed, work: deque[tuple[str, int, str]], i: int, name: str,
          root: str) -> None:
    """Keep statement `i` for `name`; the first time, queue what it reads."""
    if i in needed.names:
        needed.names[i].add(name)
        return
    needed.names[i] = {name}
    needed.reasons[i] = (root, name)
    now, later = _reads(index.statements[i])
    work.extend((used, i, root) for used in sorted(now))
    work.extend((used, index.end, root) for used in sorted(later))
