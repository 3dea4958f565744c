"""The per-exercise policy: forbidden imports and calls, checked statically and at import time.

`scan` reads a student module's source (never runs it) and lists what the exercise forbids:
an import of a forbidden package anywhere in the module costs every function of the exercise;
a forbidden call (say `numpy.correlate` in a 1D correlation) costs the functions the registry lists
for it, when it appears inside one of them or outside every exercise function (module level, a
helper, a class), since a helper can be called from them. A mention in a string, a docstring or a
comment is not a use.

`import_blocker` is the run-time half, for the sandbox child: a finder that refuses forbidden
packages before any other finder sees them. Put it first on `sys.meta_path` before the student
module is imported; a package that is already in `sys.modules` is not looked up again, so install
it before anything imports a forbidden package.
"""

from __future__ import annotations

import ast
import importlib.abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from types import ModuleType

from autograder.registry import NUMPY_ONLY, Exercise

_SNIPPET_CHARS = 60
_IMPORT_FUNCTIONS = ("importlib.import_module", "importlib.__import__", "builtins.__import__")


@dataclass(frozen=True)
class Violation:
    line: int
    what: str  # "import tensorflow", "numpy.correlate(...)", "numpy.correlate" (used, not called)
    functions: tuple[str, ...]  # the exercise functions it costs; () means all of them
    message: str  # one line for the student


def scan(source: str, exercise: Exercise) -> list[Violation]:
    """The policy violations in `source`, a module of `exercise`, in line order.

    A module that does not parse gives []: importing it reports the syntax error itself.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: null bytes
        return []
    try:
        aliases, star_modules = _bindings(tree)
        scanner = _Scanner(source, exercise, aliases, star_modules)
        scanner.run(tree)
    except RecursionError:  # an attribute chain thousands deep: not a module to run
        return [Violation(1, "unscannable", (), "line 1: the module is nested too deeply to be "
                          "checked for forbidden imports and calls")]
    unique: dict[tuple[int, str, tuple[str, ...]], Violation] = {}
    for _, _, violation in sorted(scanner.found, key=lambda found: found[:2]):
        # one per line and kind: the first occurrence on the line speaks for it
        unique.setdefault((violation.line, violation.what, violation.functions), violation)
    return sorted(unique.values(), key=lambda v: (v.line, v.what))


def blocked(source: str, exercise: Exercise) -> dict[str, str]:
    """Exercise function -> the message of the first violation that costs it (what `scan`
    finds, as the grader applies it: a violation that names no function costs them all)."""
    costs: dict[str, str] = {}
    for violation in scan(source, exercise):
        for function in violation.functions or exercise.functions:
            costs.setdefault(function, violation.message)
    return costs


def not_run(message: str) -> str:
    """The verdict message of a check whose function the static scan blocked."""
    return f"Not run: {message}"


class _ImportBlocker(importlib.abc.MetaPathFinder):
    """Refuses every module whose top-level package is forbidden; defers on everything else."""

    def __init__(self, forbidden: Sequence[str]) -> None:
        self.forbidden = frozenset(name.partition(".")[0] for name in forbidden)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.forbidden:
            # ModuleNotFoundError is an ImportError, and code that probes for an optional
            # package with `except ModuleNotFoundError` treats it as absent, as it should.
            raise ModuleNotFoundError(f"{top} is not allowed in this exercise", name=fullname)
        return None

    def __repr__(self) -> str:
        return f"import_blocker({sorted(self.forbidden)!r})"


def import_blocker(forbidden: Sequence[str]) -> importlib.abc.MetaPathFinder:
    """A finder to insert at `sys.meta_path[0]` in the sandbox child: any import whose top-level
    name is in `forbidden` raises ImportError("<name> is not allowed in this exercise")."""
    return _ImportBlocker(forbidden)


# --- the static scan -------------------------------------------------------------------------


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _bindings(tree: ast.Module) -> tuple[dict[str, str], list[str]]:
    """Names bound to modules or module attributes anywhere in the module (flow-insensitive:
    a student module is small, and an alias made in one function and used in another is rare
    enough that treating them alike errs only towards reporting), and the star-imported modules."""
    aliases: dict[str, str] = {}
    stars: list[str] = []
    assignments: list[tuple[str, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name == "*":
                    stars.append(node.module)
                else:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assignments.append((target.id, node.value))
        elif (isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None
              and isinstance(node.target, ast.Name)):
            assignments.append((node.target.id, node.value))
    # `n = np` then `n.correlate`, `f = getattr(np, "correlate")`: follow plain re-bindings.
    for _ in range(5):
        changed = False
        for name, value in assignments:
            resolved = _resolve(value, aliases, ())
            if resolved is not None and aliases.get(name) != resolved:
                aliases[name] = resolved
                changed = True
        if not changed:
            break
    return aliases, stars


def _resolve(node: ast.expr, aliases: Mapping[str, str], stars: Sequence[tuple[str, str]]) -> str | None:
    """The qualified name an expression stands for, when it is a module attribute chain."""
    if isinstance(node, ast.Name):
        if node.id in aliases:
            return aliases[node.id]
        for module, qualified in stars:  # `from numpy import *` then `correlate(...)`
            if qualified == f"{module}.{node.id}":
                return qualified
        return None
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, aliases, stars)
        return None if base is None else f"{base}.{node.attr}"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and node.func.id not in aliases
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        base = _resolve(node.args[0], aliases, stars)
        return None if base is None else f"{base}.{node.args[1].value}"
    return None


def _matches(qualified: str, forbidden: str) -> bool:
    """`numpy.correlate` also forbids the same function reached through a submodule
    (`numpy.core.numeric.correlate`, `numpy.ma.correlate`); `numpy.fft.*` forbids everything
    in `numpy.fft`."""
    if qualified == forbidden:
        return True
    if forbidden.endswith(".*"):
        return qualified.startswith(forbidden[:-1])
    if "." not in forbidden:
        return False
    root, leaf = forbidden.partition(".")[0], forbidden.rpartition(".")[2]
    return qualified.startswith(root + ".") and qualified.rpartition(".")[2] == leaf


def _snippet(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 3] + "..."


_HELPER = ""  # owner of code inside a class or a function that is not an exercise function


class _Scanner:
    """Walks the tree with an explicit stack (a long `a + b + ...` chain is a deep tree) and
    knows, for each node, the module-level function or class it sits in."""

    def __init__(
        self, source: str, exercise: Exercise, aliases: dict[str, str], star_modules: list[str]
    ) -> None:
        self.source = source
        self.exercise = exercise
        self.aliases = aliases
        self.forbidden_imports = frozenset(exercise.forbidden_imports)
        self.forbidden_calls = {fn: tuple(names) for fn, names in exercise.forbidden_calls.items()}
        qualified = {name for names in self.forbidden_calls.values() for name in names}
        self.stars = [(module, q) for module in star_modules for q in sorted(qualified)]
        self.found: list[tuple[int, int, Violation]] = []

    def run(self, tree: ast.Module) -> None:
        stack: list[tuple[ast.AST, str | None]] = [(tree, None)]  # owner None: module level
        while stack:
            node, owner = stack.pop()
            children = self._visit(node, owner)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and owner is None:
                owner = node.name if not isinstance(node, ast.ClassDef) else _HELPER
            stack.extend((child, owner) for child in reversed(children))

    def _visit(self, node: ast.AST, owner: str | None) -> list[ast.AST]:
        """Record what `node` itself violates; return the children still to look at."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._import(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                self._import(node, node.module)
        elif isinstance(node, ast.Call):
            name = self._forbidden(node)  # getattr(np, "correlate")
            if name is not None:
                self._use(node, name, owner, called=False)
                return []
            name = self._forbidden(node.func)
            if name is not None:
                self._use(node, name, owner, called=True)
                return [*node.args, *node.keywords]
            self._import_call(node)
        elif isinstance(node, ast.Attribute):
            name = self._forbidden(node)
            if name is not None:
                self._use(node, name, owner, called=False)
                return []
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = self._forbidden(node)
            if name is not None:
                self._use(node, name, owner, called=False)
        return list(ast.iter_child_nodes(node))

    def _add(self, node: ast.AST, violation: Violation) -> None:
        self.found.append((violation.line, getattr(node, "col_offset", 0), violation))

    # --- imports ---

    def _import(self, node: ast.stmt | ast.expr, module: str) -> None:
        top = module.partition(".")[0]
        if top not in self.forbidden_imports:
            return
        if self.exercise.forbidden_imports == NUMPY_ONLY:
            reason = f"the NumPy exercises may not use {top}"
        else:
            reason = f"the {self.exercise.name} exercise may not use {top}"
        line = node.lineno
        self._add(node, Violation(line, f"import {top}", (),
                                  f"line {line}: `{_snippet(self.source, node)}`: {reason}"))

    def _import_call(self, node: ast.Call) -> None:
        """`__import__("torch")`, `importlib.import_module("jax")` with a constant name."""
        func = node.func
        if isinstance(func, ast.Name) and func.id == "__import__" and func.id not in self.aliases:
            qualified: str | None = "builtins.__import__"
        else:
            qualified = _resolve(func, self.aliases, ())
        if qualified not in _IMPORT_FUNCTIONS:
            return
        argument = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "name"), None)
        if (
            isinstance(argument, ast.Constant)
            and isinstance(argument.value, str)
            and not argument.value.startswith(".")
        ):
            self._import(node, argument.value)

    # --- calls and attribute uses ---

    def _forbidden(self, node: ast.expr) -> str | None:
        qualified = _resolve(node, self.aliases, self.stars)
        if qualified is None:
            return None
        for names in self.forbidden_calls.values():
            for name in names:
                if _matches(qualified, name):
                    return name
        return None

    def _use(self, node: ast.expr, name: str, owner: str | None, *, called: bool) -> None:
        listed = tuple(fn for fn, names in self.forbidden_calls.items() if name in names)
        if owner in listed:
            functions: tuple[str, ...] = (owner,)
            reason = f"{owner} may not use {name}"
        elif owner is None or owner not in self.exercise.functions:
            functions = listed
            reason = (f"{' and '.join(listed)} may not use {name}, and code outside them counts "
                      "because they can call it")
        else:  # inside an exercise function that may use it
            return
        line = node.lineno
        what = f"{name}(...)" if called else name
        self._add(node, Violation(line, what, functions,
                                  f"line {line}: `{_snippet(self.source, node)}`: {reason}"))
