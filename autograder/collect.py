"""Turn a submission into a clean work dir that holds only the exercise modules.

A submission is a folder (modules flat, under `exercises/`, or under one top folder as zips of a
folder often have), a `.zip` of such a folder, a Jupyter notebook, or a folder (or zip) holding
one notebook and no modules. Only `<exercise>.py` files of the registry are taken; everything
else (a `conftest.py`, a `sitecustomize.py`, `.pth` files, data, a `solutions/` folder) stays
behind and is listed in the notes. Nothing is executed: zips are read member by member, never
extracted, with caps that make a zip bomb fail fast, and notebooks are read with nbformat and
split into one module per exercise with `ast`.

This runs in the grader's parent process, so it treats every byte of the submission as hostile:
symbolic links are refused, files are opened without following links, sizes are capped before
and while reading, and the messages name paths inside the submission only.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import stat
import symtable
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import nbformat

from autograder.registry import EXERCISES, Exercise
from autograder.registry import exercise as lookup

MiB = 1 << 20
MAX_MODULE_BYTES = 1 * MiB
MAX_NOTEBOOK_BYTES = 20 * MiB
MAX_ZIP_READ_BYTES = 20 * MiB  # everything read from one zip, together
MAX_ENTRIES = 20_000  # files looked at in a submission folder or zip
LISTED = 10  # ignored files named in a note before "and N more"

# Cell magics whose body is Python run by the kernel: the first line goes, the body stays.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_JUNK = frozenset({"__MACOSX", "__pycache__"})


@dataclass(frozen=True)
class Collected:
    modules: dict[str, Path]  # exercise name -> the module file written into workdir
    missing: dict[str, str]  # exercise name -> why there is no module (one line for the student)
    notes: tuple[str, ...]  # for the instructor: ignored files, notebook magics dropped, ...


class SubmissionError(Exception):
    """The submission as a whole is unusable; the message is for the student."""


def collect(path: Path, workdir: Path, *, exercises: Sequence[str] | None = None) -> Collected:
    """Copy the exercise modules of the submission at `path` into `workdir`, nothing else.

    `workdir` is created; it must be empty if it exists. `exercises` limits the modules taken
    (default: every exercise of the registry; an unknown name is a KeyError).
    Raises SubmissionError when the submission cannot be read at all.
    """
    wanted = _wanted(exercises)
    path = Path(path)
    workdir = Path(workdir)
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link: submit the file or folder itself")
    if not path.exists():
        raise SubmissionError(f"{path.name} was not found")
    _prepare(workdir)

    if path.is_dir():
        found = _from_tree(_FolderSource(path), wanted)
    elif path.suffix.lower() == ".zip" and path.is_file():
        with _ZipSource.open(path) as source:
            found = _from_tree(source, wanted)
    elif path.suffix.lower() == ".ipynb" and path.is_file():
        data = _read_regular_file(path, MAX_NOTEBOOK_BYTES, path.name, SubmissionError)
        found = _from_notebook(data, path.name, wanted)
    else:
        raise SubmissionError(
            f"{path.name} is not a folder, a .zip file or a Jupyter notebook (.ipynb)")

    modules: dict[str, Path] = {}
    for name, data in found.modules.items():
        target = workdir / f"{name}.py"
        _write_new(target, data)
        modules[name] = target
    return Collected(modules, found.missing, tuple(found.notes))


# --- common ------------------------------------------------------------------------------------


@dataclass
class _Found:
    modules: dict[str, bytes]
    missing: dict[str, str]
    notes: list[str]


class _Unreadable(Exception):
    """One file of the submission cannot be taken; the message says why, for the student."""


def _wanted(exercises: Sequence[str] | None) -> list[Exercise]:
    if exercises is None:
        return list(EXERCISES)
    if isinstance(exercises, str):
        exercises = [exercises]
    return [lookup(name) for name in dict.fromkeys(exercises)]


def _prepare(workdir: Path) -> None:
    if workdir.is_symlink():
        raise ValueError(f"the work dir {workdir} is a symbolic link")
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise ValueError(f"the work dir {workdir} is not empty")


def _write_new(target: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


def _show(text: str, limit: int = 120) -> str:
    """A name or message on one printable line (file names may hold anything)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_regular_file(
    path: Path, cap: int, shown: str, error: type[Exception] = _Unreadable
) -> bytes:
    """The bytes of a regular file, opened without following a link or blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            raise error(f"{shown} is a symbolic link, which is not accepted: "
                        "submit the file itself") from None
        raise error(f"{shown} could not be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{shown} is not a regular file")
        if info.st_size > cap:
            raise error(f"{shown} is {_size(info.st_size)}; the limit is {_size(cap)}")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise error(f"{shown} is bigger than the limit of {_size(cap)}")
    return data


# --- folders and zips --------------------------------------------------------------------------

_Kind = Literal["file", "symlink", "other", "skipped"]


@dataclass(frozen=True)
class _Entry:
    kind: _Kind
    size: int = 0


class _Source(Protocol):
    label: str
    entries: dict[str, _Entry]  # relative POSIX path -> entry; a skipped folder ends with "/"
    notes: list[str]

    def read(self, rel: str, cap: int) -> bytes: ...


def _hidden(part: str) -> bool:
    return part.startswith(".") or part in _JUNK


class _FolderSource:
    def __init__(self, top: Path) -> None:
        self.label = top.name
        self.top = top
        self.entries: dict[str, _Entry] = {}
        self.notes: list[str] = []
        self._walk()

    def _walk(self) -> None:
        stack = [("", self.top)]
        while stack:
            prefix, folder = stack.pop()
            try:
                listing = list(os.scandir(folder))
            except OSError as exc:
                self.notes.append(f"could not list {_show(prefix or '.')}: {exc.strerror or exc}")
                continue
            for item in sorted(listing, key=lambda e: e.name):
                if len(self.entries) >= MAX_ENTRIES:
                    self.notes.append(f"stopped looking after {MAX_ENTRIES} files")
                    return
                rel = prefix + item.name
                try:
                    if item.is_symlink():
                        self.entries[rel] = _Entry("symlink")
                    elif item.is_dir(follow_symlinks=False):
                        if _hidden(item.name):
                            self.entries[rel + "/"] = _Entry("skipped")
                        else:
                            stack.append((rel + "/", Path(item.path)))
                    elif item.is_file(follow_symlinks=False):
                        self.entries[rel] = _Entry("file", item.stat(follow_symlinks=False).st_size)
                    else:
                        self.entries[rel] = _Entry("other")
                except OSError:
                    self.entries[rel] = _Entry("other")

    def read(self, rel: str, cap: int) -> bytes:
        return _read_regular_file(self.top / rel, cap, _show(rel))


_DRIVE = re.compile(r"^[A-Za-z]:")


class _ZipSource:
    def __init__(self, label: str, archive: zipfile.ZipFile) -> None:
        self.label = label
        self.archive = archive
        self.entries: dict[str, _Entry] = {}
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.notes: list[str] = []
        self.read_so_far = 0
        self._index()

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[_ZipSource]:
        try:
            archive = zipfile.ZipFile(path)
        except OSError as exc:
            raise SubmissionError(f"{path.name} could not be read ({exc.strerror or exc})") from None
        except Exception:  # BadZipFile and whatever else a hostile central directory provokes
            raise SubmissionError(f"{path.name} is not a valid zip file") from None
        with archive:
            yield cls(path.name, archive)

    def _index(self) -> None:
        unsafe: list[str] = []
        duplicates: list[str] = []
        infos = self.archive.infolist()
        if len(infos) > MAX_ENTRIES:
            self.notes.append(f"the zip holds {len(infos)} entries; looked at the first {MAX_ENTRIES}")
        for info in infos[:MAX_ENTRIES]:
            raw = info.filename.replace("\\", "/")
            parts = raw.split("/")
            if raw.startswith("/") or _DRIVE.match(raw) or ".." in parts or "\x00" in raw:
                unsafe.append(_show(info.filename, 60))
                continue
            mode = info.external_attr >> 16
            if raw.endswith("/") or stat.S_ISDIR(mode):
                continue
            rel = "/".join(part for part in parts if part not in ("", "."))
            if not rel:
                continue
            hidden_at = next((i for i, part in enumerate(rel.split("/")) if _hidden(part)), None)
            if hidden_at is not None and hidden_at < rel.count("/"):
                # inside a hidden folder (__MACOSX/, .git/): one entry for the folder
                self.entries["/".join(rel.split("/")[: hidden_at + 1]) + "/"] = _Entry("skipped")
                continue
            if stat.S_ISLNK(mode):
                kind: _Kind = "symlink"
            elif stat.S_IFMT(mode) in (0, stat.S_IFREG):  # zipfile writes no type bits
                kind = "file"
            else:
                kind = "other"
            if rel in self.entries:
                duplicates.append(_show(rel, 60))
            self.entries[rel] = _Entry(kind, info.file_size)
            self.infos[rel] = info
        if unsafe:
            self.notes.append(f"rejected {len(unsafe)} zip member(s) with an unsafe path: "
                              + _listing(unsafe))
        if duplicates:
            self.notes.append("zip members that appear more than once (the last one counts): "
                              + _listing(duplicates))

    def read(self, rel: str, cap: int) -> bytes:
        info = self.infos[rel]
        shown = _show(rel)
        if info.file_size > cap:
            raise _Unreadable(f"{shown} is {_size(info.file_size)}; the limit is {_size(cap)}")
        if info.flag_bits & 0x1:
            raise _Unreadable(f"{shown} is encrypted in the zip")
        if self.read_so_far + info.file_size > MAX_ZIP_READ_BYTES:
            raise _Unreadable(f"{shown} was not read: the zip holds more than "
                              f"{_size(MAX_ZIP_READ_BYTES)} of exercise files")
        try:
            with self.archive.open(info) as member:
                # reads at most cap + 1 bytes whatever the header claims: a bomb stops here
                data = member.read(cap + 1)
        except Exception as exc:  # CRC errors, unsupported compression, truncated data, ...
            raise _Unreadable(f"{shown} could not be read from the zip ({_show(str(exc), 80)})") \
                from None
        self.read_so_far += len(data)
        if len(data) > cap:
            raise _Unreadable(f"{shown} is bigger than the limit of {_size(cap)}")
        return data


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return shown if len(items) <= LISTED else f"{shown} and {len(items) - LISTED} more"


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


def _from_tree(source: _Source, wanted: Sequence[Exercise]) -> _Found:
    entries = source.entries
    notes = list(source.notes)
    roots = _roots(entries)
    root = next((r for r in roots if any(f"{r}{ex.module}" in entries for ex in wanted)), None)
    used: set[str] = set()

    if root is None:
        notebooks = [rel for r in roots for rel in entries
                     if rel.lower().endswith(".ipynb") and rel.startswith(r)
                     and "/" not in rel[len(r):] and not _hidden(rel[len(r):])]
        if len(notebooks) > 1:
            raise SubmissionError(
                f"{source.label} holds no exercise modules and {len(notebooks)} notebooks "
                f"({_listing([_show(n) for n in notebooks])}): submit one notebook")
        if notebooks:
            (rel,) = notebooks
            if entries[rel].kind == "symlink":
                raise SubmissionError(f"{_show(rel)} is a symbolic link: submit the notebook itself")
            if entries[rel].kind != "file":
                raise SubmissionError(f"{_show(rel)} is not a regular file")
            try:
                data = source.read(rel, MAX_NOTEBOOK_BYTES)
            except _Unreadable as exc:
                raise SubmissionError(str(exc)) from None
            found = _from_notebook(data, _show(rel), wanted)
            used.add(rel)
            found.notes[:0] = notes
            _note_ignored(found.notes, entries, used)
            return found
        none = {ex.name: f"no {ex.module} in the submission" for ex in wanted}
        notes.append(f"found none of {', '.join(ex.module for ex in wanted)} (looked at the "
                     "top level, in exercises/ and in a single top folder)")
        _note_ignored(notes, entries, used)
        return _Found({}, none, notes)

    if root:
        notes.append(f"took the modules {_where(root)}")
    modules: dict[str, bytes] = {}
    missing: dict[str, str] = {}
    for ex in wanted:
        rel = f"{root}{ex.module}"
        entry = entries.get(rel)
        if entry is None:
            missing[ex.name] = f"no {ex.module} in the submission ({_where(root)})"
            continue
        used.add(rel)
        if entry.kind == "symlink":
            missing[ex.name] = (f"{_show(rel)} is a symbolic link, which is not accepted: "
                                "submit the file itself")
        elif entry.kind != "file":
            missing[ex.name] = f"{_show(rel)} is not a regular file"
        else:
            try:
                modules[ex.name] = source.read(rel, MAX_MODULE_BYTES)
            except _Unreadable as exc:
                missing[ex.name] = str(exc)
    _note_ignored(notes, entries, used)
    return _Found(modules, missing, notes)


def _note_ignored(notes: list[str], entries: dict[str, _Entry], used: set[str]) -> None:
    ignored = sorted(_show(rel, 80) for rel in entries if rel not in used)
    if ignored:
        notes.append(f"ignored {len(ignored)} file(s) of the submission: {_listing(ignored)}")


# --- notebooks ---------------------------------------------------------------------------------

_MAGIC_START = ("%", "!", "?")
_SHELL_ASSIGN = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=\s*[!%]")
_HELP_SUFFIX = re.compile(r"^\s*[A-Za-z_][\w.]*\?{1,2}\s*$")
_CELL_MAGIC = re.compile(r"^%%(\w*)")
_DEF_LINE = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


@dataclass
class _Cell:
    number: int  # 1-based position in the notebook, all cell types counted
    lines: list[str]
    tree: ast.Module | None
    defines: frozenset[str]  # exercise functions defined at top level
    binds: frozenset[str]  # names bound at module level
    uses: frozenset[str]  # global names it reads (in functions too)
    owners: frozenset[str] = frozenset()  # exercises it belongs to; empty: shared


def _from_notebook(data: bytes, label: str, wanted: Sequence[Exercise]) -> _Found:
    notes: list[str] = []
    cells = _code_cells(_read_notebook(data, label, notes), notes)
    _assign(cells)
    modules: dict[str, bytes] = {}
    missing: dict[str, str] = {}
    for ex in wanted:
        if not any(set(ex.functions) & cell.defines for cell in cells):
            missing[ex.name] = f"the notebook defines none of: {', '.join(ex.functions)}"
            continue
        modules[ex.name] = _module_text(ex, cells, notes).encode("utf-8")
    return _Found(modules, missing, notes)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _show(text[0] if text else type(exc).__name__, 200)


def _read_notebook(data: bytes, label: str, notes: list[str]) -> nbformat.NotebookNode:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError(f"{label} is not a valid notebook: it is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SubmissionError(f"{label} is not a valid notebook: it is not JSON ({_one_line(exc)})") \
            from None
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int):
        raise SubmissionError(f"{label} is not a valid notebook: it has no nbformat version")
    captured: dict[str, Exception] = {}
    try:
        notebook = nbformat.reads(text, as_version=4, capture_validation_error=captured)
    except Exception as exc:  # nbformat raises many kinds on malformed input
        raise SubmissionError(f"{label} is not a valid notebook: {_one_line(exc)}") from None
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{label} is not a valid notebook: it has no list of cells")
    if "ValidationError" in captured:
        notes.append(f"{label} does not fully follow the notebook format "
                     f"({_one_line(captured['ValidationError'])}); read its code cells anyway")
    return notebook


def _source(cell: object) -> str | None:
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else None


def _code_cells(notebook: nbformat.NotebookNode, notes: list[str]) -> list[_Cell]:
    function_names = {fn for ex in EXERCISES for fn in ex.functions}
    cells: list[_Cell] = []
    dropped_lines: list[str] = []
    dropped_cells: list[str] = []
    for number, raw in enumerate(notebook["cells"], start=1):
        source = _source(raw)
        if source is None or not source.strip():
            continue
        raw_lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = _strip_magics(raw_lines, number, dropped_lines, dropped_cells)
        if lines is None:
            continue
        text = "\n".join(lines)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            where = f"line {exc.lineno}: " if isinstance(exc, SyntaxError) and exc.lineno else ""
            message = exc.msg if isinstance(exc, SyntaxError) else (str(exc) or type(exc).__name__)
            defines = frozenset(_DEF_LINE.findall(text)) & function_names
            goes = ("the modules of the functions it defines" if defines
                    else "every module, as a shared cell")
            notes.append(f"notebook cell {number} has a syntax error ({where}{_show(message, 80)}); "
                         f"it goes into {goes}")
            cells.append(_Cell(number, lines, None, defines, frozenset(), frozenset()))
            continue
        binds, uses = _names(text, tree)
        cells.append(_Cell(number, lines, tree, _top_defs(tree) & function_names, binds, uses))
    if dropped_lines:
        notes.append(f"dropped {len(dropped_lines)} IPython magic/shell line(s): "
                     + _listing([_show(line, 40) for line in dropped_lines]))
    if dropped_cells:
        notes.append(f"dropped {len(dropped_cells)} cell(s) run by a cell magic, not as Python: "
                     + _listing(dropped_cells))
    return cells


def _statement_starts(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it begins a new statement: not inside brackets, a string or a
    backslash continuation. A small scanner, so that lines that are not Python (magics) do not
    stop it; a line that starts with an IPython escape is not scanned."""
    starts: list[bool] = []
    depth = 0
    quote: str | None = None
    continued = False
    for line in lines:
        start = depth == 0 and quote is None and not continued
        starts.append(start)
        continued = False
        if start and _is_magic(line):
            continue
        i, n = 0, len(line)
        comment = False
        while i < n:
            if quote is not None:
                if line[i] == "\\":
                    i += 2
                elif line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                else:
                    i += 1
                continue
            ch = line[i]
            if ch == "#":
                comment = True
                break
            if ch in "\"'":
                quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else ch
                i += len(quote)
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(depth - 1, 0)
            i += 1
        if not comment and line.endswith("\\"):
            continued = True
        elif quote is not None and len(quote) == 1:
            quote = None  # an unterminated one-line string: a syntax error the import reports
    return starts


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return (stripped.startswith(_MAGIC_START) or bool(_SHELL_ASSIGN.match(line))
            or bool(_HELP_SUFFIX.match(line)))


def _strip_magics(
    lines: list[str], number: int, dropped_lines: list[str], dropped_cells: list[str]
) -> list[str] | None:
    """The cell with IPython-only lines replaced by `pass` (same line count), or None when a
    cell magic runs the whole cell as something other than Python."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        match = _CELL_MAGIC.match(lines[first])
        magic = match.group(1) if match else ""
        if magic not in PYTHON_CELL_MAGICS:
            dropped_cells.append(f"cell {number} (%%{_show(magic, 20)})")
            return None
        dropped_lines.append(lines[first].strip())
        lines = list(lines)
        lines[first] = "pass  # IPython cell magic removed"
    starts = _statement_starts(lines)
    out: list[str] = []
    for line, start in zip(lines, starts, strict=True):
        if start and _is_magic(line):
            indent = line[: len(line) - len(line.lstrip())]
            dropped_lines.append(line.strip())
            assign = _SHELL_ASSIGN.match(line)
            if assign:
                out.append(f"{indent}{assign.group(2)} = None  # IPython line removed")
            else:
                out.append(f"{indent}pass  # IPython line removed")
        else:
            out.append(line)
    return out


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


def _module_text(ex: Exercise, cells: Sequence[_Cell], notes: list[str]) -> str:
    futures: list[str] = []
    body: list[str] = []
    forbidden = frozenset(ex.forbidden_imports)
    for cell in _members(ex, cells, notes):
        lines = list(cell.lines)
        if cell.tree is not None:
            edits: list[tuple[ast.stmt, str]] = []
            for stmt in cell.tree.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                    futures.extend(alias.name for alias in stmt.names)
                    edits.append((stmt, f"moved to the top: {ast.unparse(stmt)}"))
            if cell.owners != {ex.name}:
                # not the exercise's own code: its forbidden imports are another exercise's
                for node in ast.walk(cell.tree):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and _imports_any(node, forbidden):
                        statement = ast.unparse(node)
                        edits.append((node, f"removed: {statement} (not allowed in this exercise)"))
                        notes.append(f"{ex.name}: removed `{_show(statement, 80)}` of notebook cell "
                                     f"{cell.number} (not allowed in this exercise)")
            for node, comment in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset),
                                        reverse=True):
                _replace(lines, node, comment)
        body.append(f"# --- notebook cell {cell.number} ---")
        body.extend(lines)
    head = [f"from __future__ import {', '.join(dict.fromkeys(futures))}"] if futures else []
    return "\n".join(head + body) + "\n"


def _imports_any(node: ast.Import | ast.ImportFrom, forbidden: frozenset[str]) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and bool(node.module) and \
            str(node.module).partition(".")[0] in forbidden
    return any(alias.name.partition(".")[0] in forbidden for alias in node.names)


def _replace(lines: list[str], node: ast.stmt, comment: str) -> None:
    """Replace a statement by `pass  # <comment>`, keeping the line count."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    start, end = node.col_offset, node.end_col_offset or len(lines[last])
    # col offsets count UTF-8 bytes
    head = lines[first].encode("utf-8")[:start].decode("utf-8", "replace")
    tail = lines[last].encode("utf-8")[end:].decode("utf-8", "replace")
    comment = " ".join(comment.split())
    if tail.strip() in ("", ";") or tail.lstrip().startswith("#"):
        lines[first] = f"{head}pass  # {comment}"
        for i in range(first + 1, last + 1):
            lines[i] = ""
    else:  # other statements share the line (`import numpy as np; import tensorflow as tf`)
        lines[first] = f"{head}pass" + (" \\" if last > first else tail)
        for i in range(first + 1, last + 1):
            lines[i] = "\\" if i < last else tail
