"""The kit's Python files (stubs, reference solutions) read with `ast`, never imported: the
notebooks are built from their text, and importing a solution would run it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.instructor.notebooks.errors import NotebookError


@dataclass
class ModuleSource:
    """A Python module's source, read with `ast`, never imported."""

    path: Path

    def __post_init__(self) -> None:
        self.text = self.path.read_text()
        self.lines = self.text.split("\n")
        self.tree = ast.parse(self.text)
        self.functions = {node.name: node for node in self.tree.body
                          if isinstance(node, ast.FunctionDef)}

    def docstring(self) -> str:
        return ast.get_docstring(self.tree) or ""

    def segment(self, node: ast.stmt) -> list[str]:
        """The full lines of a top-level statement, decorators included."""
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        return self.lines[first - 1:node.end_lineno]

    def source_of(self, name: str) -> str:
        return "\n".join(self.segment(self.functions[name]))

    def import_lines(self) -> list[str]:
        """The module's top-level imports, `from __future__` first."""
        return ["\n".join(self.segment(node)) for node in self.tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom))]

    def _function(self, name: str) -> ast.FunctionDef:
        if name not in self.functions:
            raise NotebookError(f"{self.path} defines no function {name}()")
        return self.functions[name]

    def header(self, name: str) -> list[str]:
        """The signature and docstring of a function, as written."""
        node = self._function(name)
        body = node.body
        if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            raise NotebookError(f"{self.path}: {name}() has no docstring")
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return self.lines[first - 1:body[0].end_lineno]

    def body(self, name: str) -> list[str]:
        """The lines of a function after its docstring (comments kept)."""
        node = self._function(name)
        return self.lines[node.body[0].end_lineno:node.end_lineno]

    def signature(self, name: str) -> str:
        node = self._function(name)
        args = node.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        parts = [a.arg if d is None else f"{a.arg}={ast.unparse(d)}"
                 for a, d in zip(positional, defaults, strict=True)]
        return f"{name}({', '.join(parts)})"

    def summary(self, name: str) -> str:
        doc = ast.get_docstring(self._function(name)) or ""
        return doc.split("\n\n", 1)[0].replace("\n", " ")
