"""The text of a solution cell: the stub's signature and docstring, then the reference body
between nbgrader's solution markers. Whatever private code the body needs is nested inside that
region, so the released notebook (markers cut out) holds no reference code at all."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from autograder.instructor.notebooks.errors import NotebookError
from autograder.instructor.notebooks.source import ModuleSource


def _names_used(nodes: Iterable[ast.AST]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return found


def _private_definitions(reference: ModuleSource, stub: ModuleSource,
                         public: set[str]) -> dict[str, ast.stmt]:
    """Top-level statements of the reference that are neither its public functions nor an
    import the stub has: private helpers, constants, imports only the reference needs."""
    given = {alias.asname or alias.name.split(".")[0]
             for node in stub.tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names}
    found: dict[str, ast.stmt] = {}
    for node in reference.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name not in public:
                found[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                if name not in given:
                    found[name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in _names_used([target]):
                    found[name] = node
    return found


def solution_source(function: str, reference: ModuleSource, stub: ModuleSource) -> str:
    """The stub's signature and docstring, then the reference body between the solution markers,
    with the private definitions it needs (transitively) nested at the top of that region."""
    public = set(reference.functions) & ({function} | set(stub.functions))
    private = _private_definitions(reference, stub, public)
    node = reference.functions.get(function)
    if node is None:
        raise NotebookError(f"{reference.path} defines no function {function}()")
    needed: list[ast.stmt] = []
    pending = _names_used(node.body)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in private:
            continue
        seen.add(name)
        definition = private[name]
        if definition not in needed:
            needed.append(definition)
            pending |= _names_used([definition])
    needed.sort(key=lambda n: n.lineno)
    body = reference.body(function)
    indent = next((line[:len(line) - len(line.lstrip())] for line in body if line.strip()), "    ")
    nested: list[str] = []
    for definition in needed:
        nested += [indent + line if line.strip() else "" for line in reference.segment(definition)]
        nested.append("")
    # the stub's own hints (comments before its `raise NotImplementedError`) stay for students
    hints = [line for line in stub.body(function) if line.strip().startswith("#")]
    while body and not body[-1].strip():
        body = body[:-1]
    lines = [*stub.header(function), *hints, f"{indent}### BEGIN SOLUTION", *nested, *body,
             f"{indent}### END SOLUTION"]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
