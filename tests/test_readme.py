"""Every command the READMEs show runs as written.

The documents: README.md, exercises/README.md, docs/*.md, and the README.md and
exercises/README.md of the student bundle that `autograder release out/student-bundle` (shown in
README.md) writes. From each, `extract` takes the shell commands it shows: every line of a
```sh/```bash/```shell/```console block (comments and `$ ` prompts stripped, `\\` continuations
joined) and every inline code span of the prose that starts like a command (`autograder ...`,
`make ...`, `pytest ...`, `python -m ...`, `.venv/bin/...`, `. .venv/bin/activate`, `.ci/...`,
`pip ...`). Inline option fragments (`--seed`, `--scheduler ADDR`) must be options of an
`autograder` verb named in the same sentence (else the paragraph, else of any verb).

Each command is then covered by exactly one rule (`RULES`), in a fresh copy of the kit (the
files `git ls-files` lists, plus untracked ones git does not ignore, as a checkout will have
them once committed), with this venv's binaries first on PATH and the venv linked as `.venv`:

* run for real, as written, in document order: `autograder check|grade|batch|gradescope|
  notebooks|release|classroom|doctor|data|dev ...`, `pytest <paths>`,
  `python -m autograder.authoring.fixtures`,
  `. .venv/bin/activate`; a command fails on a traceback, a usage error or an unexpected exit
  status (failing checks on the stubs are expected: pytest and `check` may exit 1);
* parser-checked (the real argparse parser of the kit, every verb's `run` replaced by a no-op),
  and run for real unless it needs what a test cannot have (a Dask scheduler) or shows a
  placeholder (`PATH/mnist.npz`, `OUT`, `<student>`: substituted by temp paths for the parse);
* dry-checked, for what takes minutes or changes the machine: `make TARGET` (`make -n TARGET`
  must succeed), `python bench/X.py ...` (its `--help` must list every option shown), venv
  creation and `pip install` (options accepted by `--help`, the named project or file exists:
  never run, `.venv` is the shared venv), `.ci/*` scripts (executable, `bash -n`).

A command that no rule covers fails the test, listed. Commands that depend on an earlier one get
what they need cheaply: `autograder batch demo-out/class` (after `make demo`, which is
dry-checked) grades a class of one student who handed in the untouched padding stub.

Isolation: the venv has the kit installed in editable mode, whose finder would resolve any
`autograder.*` module missing from the copy (or from the bundle) from this checkout. A
`sitecustomize.py` first on PYTHONPATH removes that finder in every process the commands start,
so `autograder` comes only from the copy (checked), and KERAS_HOME points at an empty folder, so
the MNIST data profile is the offline one whatever this machine has cached.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT

KIT_DOCS = ("README.md", "exercises/README.md", "docs/*.md")
BUNDLE = "out/student-bundle"  # where README.md's own `autograder release` command writes it
BUNDLE_DOCS = ("README.md", "exercises/README.md")
SHELL_FENCES = {"sh", "bash", "shell", "console", "zsh"}
PYTHONS = {"python", "python3", ".venv/bin/python", ".venv/bin/python3"}
PIPS = {"pip", "pip3", ".venv/bin/pip", ".venv/bin/pip3"}
VERBS = ("check", "grade", "batch", "gradescope", "notebooks", "release", "classroom", "similarity",
         "doctor", "data", "dev")
NEEDS_SERVICE = {"--scheduler"}  # options that need something a test cannot have
COMMAND_TIMEOUT_S = 240


# --- extraction -------------------------------------------------------------------------------


@dataclass
class Shown:
    """One command as a document shows it."""

    text: str  # the command line, comments stripped
    where: str  # "README.md:42"
    kind: str  # "block" or "inline"


@dataclass
class Fragment:
    """An inline option (`--seed`) and the verbs named in its sentence and paragraph."""

    text: str
    where: str
    sentence_verbs: list[str]
    paragraph_verbs: list[str]


@dataclass
class Extracted:
    commands: list[Shown] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)


_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_SPAN = re.compile(r"(`+)(.+?)\1")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_VERB_NAMED = re.compile(r"`(?:autograder\s+)?(" + "|".join(VERBS) + r")(?:\s[^`]*)?`")


def _tokens(text: str) -> list[str] | None:
    try:
        return shlex.split(text)
    except ValueError:
        return None


def is_command(span: str) -> bool:
    """Whether an inline code span of prose is a shell command (not a path, a name, a word)."""
    tokens = _tokens(span.strip())
    if not tokens:
        return False
    first = tokens[0]
    if first in {"autograder", "make", "pytest", "nbgrader", "pip", "pip3"} or first in PYTHONS:
        return len(tokens) >= 2
    if first in {".", "source"}:
        return len(tokens) >= 2 and tokens[1].endswith("activate")
    return first.startswith((".venv/bin/", ".ci/"))


def _paragraphs(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Prose paragraphs (blank lines, list items and table rows start a new one), joined."""
    start, chunk = 0, list[str]()
    for number, line in lines:
        new_item = bool(re.match(r"\s*([-*+]|\d+\.)\s|\s*\|", line))
        if not line.strip() or new_item:
            if chunk:
                yield start, " ".join(chunk)
            start, chunk = number, []
        if line.strip():
            if not chunk:
                start = number
            chunk.append(line.strip())
    if chunk:
        yield start, " ".join(chunk)


def extract(text: str, name: str) -> Extracted:
    found = Extracted()
    prose: list[tuple[int, str]] = []
    fence: str | None = None
    info = ""
    pending = ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence, info = match.group(1), match.group(2).lower()
                prose.append((number, ""))
            else:
                prose.append((number, line))
            continue
        if match and match.group(1).startswith(fence) and not match.group(2):
            fence, pending = None, ""
            continue
        if info not in SHELL_FENCES:
            continue
        stripped = re.sub(r"^\s*\$\s+", "", line)
        stripped = _COMMENT.sub("", stripped).rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        command = (pending + stripped.lstrip()).strip()
        pending = ""
        if command:
            found.commands.append(Shown(command, f"{name}:{number}", "block"))
    for number, paragraph in _paragraphs(prose):
        paragraph_verbs = [m.group(1) for m in _VERB_NAMED.finditer(paragraph)]
        for sentence, spans in _sentences(paragraph):
            sentence_verbs = [m.group(1) for m in _VERB_NAMED.finditer(sentence)]
            for code in spans:
                if is_command(code):
                    found.commands.append(Shown(code, f"{name}:{number}", "inline"))
                elif re.fullmatch(r"--[\w-]+(?:[ =]\S+)?", code):
                    found.fragments.append(Fragment(code, f"{name}:{number}", sentence_verbs,
                                                    paragraph_verbs))
    return found


def _sentences(paragraph: str) -> Iterator[tuple[str, list[str]]]:
    """A paragraph's sentences (and clauses after `;`), each with its code spans. Boundaries
    are looked for outside code spans only, so no span is ever cut in two."""
    spans = list(_SPAN.finditer(paragraph))
    masked = list(paragraph)
    for span in spans:
        masked[span.start():span.end()] = "x" * (span.end() - span.start())
    cuts = [m.end() for m in re.finditer(r"(?<=[.;:])\s+(?=[A-Z(`])|;\s+", "".join(masked))]
    bounds = list(zip([0, *cuts], [*cuts, len(paragraph)], strict=True))
    for start, end in bounds:
        yield paragraph[start:end], [s.group(2).strip() for s in spans
                                     if start <= s.start() < end]


def documents(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        files += sorted(root.glob(pattern))
    return files


# --- placeholders -----------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=(.*)")


def has_placeholder(token: str) -> bool:
    """`OUT`, `ADDR`, `PATH/mnist.npz`, `submitted/<student>/...`: not to be run as they are."""
    assignment = _ASSIGNMENT.fullmatch(token)
    value = assignment.group(1) if assignment else token
    if re.search(r"<[^>]+>|\.\.\.", value):
        return True
    first = value.split("/")[0]
    return bool(re.fullmatch(r"[A-Z][A-Z0-9_]+", first))


def substitute(tokens: list[str], scratch: Path) -> list[str]:
    out = []
    for token in tokens:
        if has_placeholder(token):
            token = re.sub(r"<[^>]+>|\.\.\.", "x", token)
            token = re.sub(r"^([A-Za-z_][A-Za-z0-9_]*=)?[A-Z][A-Z0-9_]+",
                           lambda m: (m.group(1) or "") + str(scratch / "placeholder"), token)
        out.append(token)
    return out


# --- the rules ----------------------------------------------------------------------------------


@dataclass
class Context:
    """Where a document's commands run, and what the test needs to run them."""

    root: Path  # the kit copy or the bundle
    env: dict[str, str]
    scratch: Path
    parsecheck: Path
    log: list[str] = field(default_factory=list)
    parsed: dict[tuple[str, ...], tuple[int, str]] = field(default_factory=dict)
    helps: dict[tuple[str, ...], subprocess.CompletedProcess[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    how: str  # "ran", "parser-checked", "dry-checked"
    problem: str | None = None


def _run(argv: list[str] | str, ctx: Context, cwd: Path | None = None,
         timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    command = ["bash", "-c", argv] if isinstance(argv, str) else argv
    done = subprocess.run(command, cwd=cwd or ctx.root, env=ctx.env, capture_output=True,
                          text=True, timeout=timeout)
    ctx.log.append(f"{time.monotonic() - started:6.1f}s rc={done.returncode} "
                   f"{argv if isinstance(argv, str) else shlex.join(argv)}")
    return done


def _tail(done: subprocess.CompletedProcess[str], lines: int = 15) -> str:
    text = (done.stdout + "\n" + done.stderr).strip().splitlines()
    return "\n      ".join(text[-lines:])


def _judge(done: subprocess.CompletedProcess[str], allowed: set[int]) -> str | None:
    output = done.stdout + done.stderr
    if "Traceback (most recent call last)" in output:
        return f"raised (exit {done.returncode}):\n      {_tail(done)}"
    if done.returncode not in allowed:
        return f"exit {done.returncode} (expected {sorted(allowed)}):\n      {_tail(done)}"
    return None


def _options(tokens: list[str]) -> list[str]:
    return [t.split("=", 1)[0] for t in tokens if t.startswith("-") and t not in {"-", "--"}]


def _help_lists(help_text: str, options: list[str]) -> list[str]:
    """The options not in a --help text."""
    return [o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", help_text)]


def _help(argv: list[str], ctx: Context, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A `--help` run, once per context."""
    key = tuple(argv)
    if key not in ctx.helps:
        ctx.helps[key] = _run(argv, ctx, cwd)
    return ctx.helps[key]


def prime_parser(argvs: list[list[str]], ctx: Context) -> None:
    """Parse-check many `autograder` argument lists in one process (importing the CLI once)."""
    todo = [a for a in dict.fromkeys(map(tuple, argvs)) if a not in ctx.parsed]
    if not todo:
        return
    request = ctx.scratch / "parse-request.json"
    request.write_text(json.dumps(todo))
    done = _run([sys.executable, str(ctx.parsecheck), str(request)], ctx)
    assert done.returncode == 0, f"the parse check itself failed:\n{done.stdout}{done.stderr}"
    for argv, (code, text) in zip(todo, json.loads(done.stdout.strip().splitlines()[-1]),
                                  strict=True):
        ctx.parsed[argv] = (code, text)


def parse_autograder(tokens: list[str], ctx: Context, cwd: Path) -> str | None:
    """The kit's own parser and `main`'s checks of names, with no verb run."""
    argv = tuple(substitute(tokens, ctx.scratch))
    prime_parser([list(argv)], ctx)
    code, text = ctx.parsed[argv]
    if code != 0:
        tail = "\n      ".join(text.strip().splitlines()[-6:])
        return f"rejected by `autograder`'s parser (exit {code}):\n      {tail}"
    return None


def _prepare_batch_class(directory: Path, ctx: Context) -> None:
    """What `make demo` would leave in demo-out/class, cheaply: one student who handed in the
    padding stub only (graded through the sandbox in a second; all five stubs take ~45 s, the
    CNN's TensorFlow start being most of it)."""
    if directory.exists():
        return
    student = directory / "dave"
    student.mkdir(parents=True)
    shutil.copy2(ctx.root / "exercises" / "padding.py", student / "padding.py")


def _autograder_outputs(verb: str, tokens: list[str], cwd: Path) -> list[Path]:
    """What a verb must have written, by its own help text."""
    args = tokens[2:]
    if "--out" in args and verb in {"grade", "batch"}:
        out = cwd / args[args.index("--out") + 1]
        return [out / ("result.json" if verb == "grade" else "grades.csv")]
    positional = [a for a in args if not a.startswith("-")]
    if verb == "gradescope" and positional:
        return [cwd / positional[0]]
    if verb == "notebooks" and positional:
        return [cwd / positional[0] / "nbgrader_config.py"]
    if verb == "release" and positional:
        return [cwd / positional[0] / "README.md"]
    if verb == "classroom" and positional:
        return [cwd / positional[0] / ".github" / "workflows" / "classroom.yml"]
    return []


def rule_autograder(tokens: list[str], exec_text: str, ctx: Context, cwd: Path,
                    inline: bool = False) -> Outcome:
    verb = tokens[1] if len(tokens) > 1 else ""
    problem = parse_autograder(tokens[1:], ctx, cwd)
    if problem and inline and len(tokens) == 2 and verb in VERBS:
        # Prose naming a verb (`autograder batch` takes ...) rather than showing a command
        # line: the verb must exist, its arguments are shown elsewhere.
        return Outcome("parser-checked", parse_autograder([verb, "--help"], ctx, cwd))
    if problem:
        return Outcome("parser-checked", problem)
    if (any(has_placeholder(t) for t in tokens) or set(_options(tokens)) & NEEDS_SERVICE
            or verb not in VERBS):
        return Outcome("parser-checked")
    if verb == "batch":
        positional = [t for t in tokens[2:] if not t.startswith("-")]
        _prepare_batch_class(cwd / positional[0], ctx)
    done = _run(exec_text, ctx, cwd)
    problem = _judge(done, {0, 1} if verb in {"check", "doctor"} else {0})
    if problem is None:
        missing = [str(p.relative_to(cwd)) for p in _autograder_outputs(verb, tokens, cwd)
                   if not p.exists()]
        if missing:
            problem = f"wrote no {', '.join(missing)}"
    if problem is None and tokens[1:3] == ["grade", "solutions"] and "100/100" not in done.stdout:
        problem = f"the reference did not score 100/100:\n      {_tail(done)}"
    return Outcome("ran", problem)


def _python_args(tokens: list[str]) -> list[str] | None:
    """The arguments after the interpreter, or None when this is not a python command."""
    return tokens[1:] if tokens and tokens[0] in PYTHONS else None


def _pytest_dry(args: list[str]) -> bool:
    """Whether a pytest command would run the kit's own suite (minutes): collect it only."""
    paths = [a for a in args if not a.startswith("-")]
    return not paths or any(p == "tests" or p.startswith("tests/") for p in paths)


def rule_pytest(args: list[str], exec_text: str, ctx: Context, cwd: Path) -> Outcome:
    if _pytest_dry(args):
        done = _run(f"{exec_text} --collect-only -q", ctx, cwd)
        return Outcome("dry-checked", _judge(done, {0}))
    return Outcome("ran", _judge(_run(exec_text, ctx, cwd), {0, 1}))


def rule_make(tokens: list[str], ctx: Context, cwd: Path) -> Outcome:
    done = _run(["make", "-n", *tokens[1:]], ctx, cwd)
    return Outcome("dry-checked", _judge(done, {0}))


def rule_script_help(tokens: list[str], ctx: Context, cwd: Path) -> Outcome:
    """`python bench/X.py ARGS` (minutes): its parser must know every option shown."""
    script = tokens[1]
    if not (cwd / script).is_file():
        return Outcome("parser-checked", f"no file {script}")
    done = _help([tokens[0], script, "--help"], ctx, cwd)
    problem = _judge(done, {0})
    missing = _help_lists(done.stdout, _options(tokens[2:]))
    if problem is None and missing:
        problem = f"{script} --help does not list {', '.join(missing)}"
    return Outcome("parser-checked", problem)


def rule_venv(tokens: list[str], ctx: Context, cwd: Path) -> Outcome:
    """`python -m venv DIR` (never run: `.venv` here is the shared venv)."""
    done = _help([sys.executable, "-m", "venv", "--help"], ctx, cwd)
    problem = _judge(done, {0})
    missing = _help_lists(done.stdout, _options(tokens[3:]))
    if problem is None and missing:
        problem = f"venv does not accept {', '.join(missing)}"
    return Outcome("dry-checked", problem)


def rule_pip_install(tokens: list[str], ctx: Context, cwd: Path) -> Outcome:
    """`pip install ...` (never run): its options exist, and what it names is there."""
    args = tokens[tokens.index("install") + 1:]
    done = _help([sys.executable, "-m", "pip", "install", "--help"], ctx, cwd)
    problem = _judge(done, {0})
    missing = _help_lists(done.stdout, _options(args))
    if problem is None and missing:
        problem = f"pip install does not accept {', '.join(missing)}"
    for flag, target in itertools.pairwise(args):
        if flag == "-r" and not (cwd / target).is_file():
            problem = problem or f"no {target} here"
    for target in [a for a in args if not a.startswith("-") and not a.startswith(("[", "'"))]:
        project = cwd / re.sub(r"\[.*\]$", "", target)
        if target.startswith(".") and not ((project / "pyproject.toml").is_file()
                                           or (project / "setup.py").is_file()):
            problem = problem or f"no Python project at {target}"
    return Outcome("dry-checked", problem)


def rule_ci(tokens: list[str], ctx: Context, cwd: Path) -> Outcome:
    script = cwd / tokens[0]
    if not script.is_file() or not os.access(script, os.X_OK):
        return Outcome("dry-checked", f"{tokens[0]} is not an executable file here")
    return Outcome("dry-checked", _judge(_run(["bash", "-n", str(script)], ctx, cwd), {0}))


def rule_activate(tokens: list[str], exec_text: str, ctx: Context, cwd: Path) -> Outcome:
    done = _run(f"{exec_text} && command -v autograder && command -v pytest", ctx, cwd)
    return Outcome("ran", _judge(done, {0}))


def cover(text: str, ctx: Context, cwd: Path, inline: bool = False) -> tuple[Outcome | None, Path]:
    """Check or run one simple command; None when no rule covers it. Returns the cwd after it."""
    tokens = _tokens(text)
    if not tokens:
        return None, cwd
    while tokens and _ASSIGNMENT.fullmatch(tokens[0]):
        tokens = tokens[1:]  # `VAR=value command`: the variable travels with `text` when run
    if not tokens:
        return None, cwd
    first = tokens[0]
    python = _python_args(tokens)
    if first == "cd" and len(tokens) == 2:
        target = (cwd / tokens[1]).resolve()
        return Outcome("ran", None if target.is_dir() else f"no folder {tokens[1]}"), target
    if first in {".", "source"} and len(tokens) == 2 and tokens[1].endswith("activate"):
        return rule_activate(tokens, text, ctx, cwd), cwd
    if first == "autograder":
        return rule_autograder(tokens, text, ctx, cwd, inline), cwd
    if python and python[:2] == ["-m", "autograder.cli"]:
        if len(python) == 2:  # shown as the stand-in for `autograder`
            done = _run([*tokens, "--help"], ctx, cwd)
            return Outcome("parser-checked", _judge(done, {0})), cwd
        return rule_autograder(["autograder", *python[2:]], text, ctx, cwd), cwd
    if first == "pytest":
        return rule_pytest(tokens[1:], text, ctx, cwd), cwd
    if python and python[:2] == ["-m", "pytest"]:
        return rule_pytest(python[2:], text, ctx, cwd), cwd
    if first == "make":
        return rule_make(tokens, ctx, cwd), cwd
    if python and python[:1] == ["-m"] and len(python) >= 2 and python[1] == "venv":
        return rule_venv(tokens, ctx, cwd), cwd
    if (first in PIPS and "install" in tokens) or (python and python[:3] == ["-m", "pip", "install"]):
        return rule_pip_install(tokens, ctx, cwd), cwd
    if python and python[:2] == ["-m", "autograder.authoring.fixtures"]:
        return Outcome("ran", _judge(_run(text, ctx, cwd), {0})), cwd
    if python and python[0].startswith("bench/") and python[0].endswith(".py"):
        return rule_script_help(tokens, ctx, cwd), cwd
    if first.startswith(".ci/") and len(tokens) == 1:
        return rule_ci(tokens, ctx, cwd), cwd
    return None, cwd


def cover_line(text: str, ctx: Context, inline: bool = False) -> list[tuple[str, Outcome | None]]:
    """A shown line may chain commands with `&&` or `;`: each part is covered in turn."""
    parts = [p.strip() for p in re.split(r"\s*(?:&&|;)\s*", text) if p.strip()]
    cwd, results = ctx.root, []
    for part in parts:
        outcome, cwd = cover(part, ctx, cwd, inline)
        results.append((part, outcome))
    return results


# --- the fresh copy ----------------------------------------------------------------------------

PARSECHECK = '''\
"""Each `autograder ARGS` of a JSON list through the kit's own parser and `main`, with every
verb's run a no-op; prints [[exit status, output], ...] as JSON."""
import argparse
import contextlib
import io
import json
import sys

from autograder import cli

_parser = cli.parser


def parser():
    top = _parser()
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.set_defaults(run=lambda args: 0)
    return top


cli.parser = parser
results = []
with open(sys.argv[1]) as request:
    argvs = json.load(request)
for argv in argvs:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            code = cli.main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    results.append([code, output.getvalue()])
print(json.dumps(results))
'''

SITECUSTOMIZE = '''\
"""Drop the kit's editable-install finder: `autograder` may come only from PYTHONPATH."""
import sys


def _editable(thing):
    return str(getattr(thing, "__module__", "") or "").startswith("__editable__")


sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if not _editable(h)]
sys.path[:] = [p for p in sys.path if "__editable__" not in p]
sys.path_importer_cache.clear()
'''


def kit_files(root: Path) -> list[str]:
    done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    return [f for f in done.stdout.split("\0") if f]


def fresh_copy(root: Path, target: Path) -> Path:
    for name in kit_files(root):
        source = root / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def venv_root() -> Path:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "autograder").exists():
        pytest.skip(f"no `autograder` script beside {sys.executable}")
    return bin_dir.parent


def make_context(root: Path, scratch: Path) -> Context:
    venv = venv_root()
    link = root / ".venv"
    if not link.exists():
        link.symlink_to(venv, target_is_directory=True)  # what `make` or the setup would create
    site = scratch / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    parsecheck = scratch / "parsecheck.py"
    parsecheck.write_text(PARSECHECK)
    (scratch / "keras").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV"))
           and k not in {"AUTOGRADER_MNIST", "AUTOGRADER_SEED", "KERAS_HOME"}}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "/usr/bin:/bin")])
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(root)])
    env["KERAS_HOME"] = str(scratch / "keras")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return Context(root, env, scratch, parsecheck)


def cover_documents(root: Path, patterns: tuple[str, ...], ctx: Context, label: str,
                    seen: set[tuple[Path, str]]) -> tuple[list[str], list[str]]:
    """Cover every command of the documents under `root`, in order. (problems, report lines)"""
    problems, report = [], []
    shown_here = [shown for document in documents(root, patterns)
                  for shown in extract(document.read_text(),
                                       f"{label}{document.relative_to(root).as_posix()}").commands]
    argvs = [[verb, "--help"] for verb in VERBS]
    for shown in shown_here:
        for part in re.split(r"\s*(?:&&|;)\s*", shown.text):
            tokens = _tokens(part) or []
            python = _python_args(tokens) or []
            if tokens[:1] == ["autograder"]:
                argvs.append(substitute(tokens[1:], ctx.scratch))
            elif python[:2] == ["-m", "autograder.cli"]:
                argvs.append(substitute(python[2:], ctx.scratch))
    prime_parser(argvs, ctx)
    for shown in shown_here:
            key = (root, " ".join(shown.text.split()))
            if key in seen:
                continue
            seen.add(key)
            for part, outcome in cover_line(shown.text, ctx, shown.kind == "inline"):
                if outcome is None:
                    problems.append(f"{shown.where}: `{part}` is neither run nor parser-checked "
                                    "(no rule in tests/test_readme.py covers it)")
                    continue
                report.append(f"{outcome.how:14s} {shown.where}: {part}")
                if outcome.problem:
                    problems.append(f"{shown.where}: `{part}` ({outcome.how}): {outcome.problem}")
    return problems, report


# --- the tests ---------------------------------------------------------------------------------


def _kit_extracted() -> list[tuple[Path, Extracted]]:
    return [(d, extract(d.read_text(), d.relative_to(ROOT).as_posix()))
            for d in documents(ROOT, KIT_DOCS)]


def test_extract_finds_blocks_inline_commands_and_fragments() -> None:
    text = """# T

```sh
. .venv/bin/activate
autograder grade solutions --out out/x   # a comment
$ make \\
    test
# only a comment
```

```python
autograder not_a_command_here
```

Run `autograder check padding` or `make demo`; `autograder/instructor/doctor.py` is a file, `make` a word
and `python -m autograder.cli` a stand-in. The `autograder batch` verb takes `--resume`.
`.ci/run` runs CI. Not a command: `--`, `pytest`.
"""
    found = extract(text, "t.md")
    assert [c.text for c in found.commands] == [
        ". .venv/bin/activate", "autograder grade solutions --out out/x", "make test",
        "autograder check padding", "make demo", "python -m autograder.cli", "autograder batch",
        ".ci/run"]
    assert [(f.text, f.sentence_verbs) for f in found.fragments] == [("--resume", ["batch"])]
    assert [c.where for c in found.commands][:2] == ["t.md:4", "t.md:5"]


def test_placeholders() -> None:
    assert has_placeholder("PATH/mnist.npz") and has_placeholder("OUT") and has_placeholder(
        "submitted/<student>/x") and has_placeholder("ADDR")
    assert not any(has_placeholder(t) for t in (
        "out/reference", "demo-out/class", "README.md", "--only", "padding,stride", "0"))
    assert substitute(["--mnist", "PATH/mnist.npz"], Path("/s")) == [
        "--mnist", "/s/placeholder/mnist.npz"]


def test_the_kit_documents_show_commands() -> None:
    """The extractor reads what the READMEs really show (a guard against silently finding none)."""
    shown = {c.text for _, found in _kit_extracted() for c in found.commands}
    for expected in ("make demo", "make test", "pytest exercises", "autograder check padding",
                     "autograder grade solutions --out out/reference",
                     "autograder release out/student-bundle", "autograder doctor",
                     ".venv/bin/python -m autograder.authoring.fixtures --check"):
        assert expected in shown, f"`{expected}` not found among {sorted(shown)}"


def test_every_inline_option_belongs_to_a_verb_named_beside_it() -> None:
    """`--seed`, `--scheduler ADDR`, ...: options of the verb their sentence (or paragraph)
    names, so prose never shows an option on a verb that lacks it."""
    import argparse

    from autograder import cli

    top = cli.parser()
    subs = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    accepted = {verb: {o for action in sub._actions for o in action.option_strings}
                for verb, sub in subs.choices.items()}
    problems = []
    for _, found in _kit_extracted():
        for fragment in found.fragments:
            option = re.split(r"[ =]", fragment.text, maxsplit=1)[0]
            verbs = fragment.sentence_verbs or fragment.paragraph_verbs or list(accepted)
            if not any(option in accepted.get(v, set()) for v in verbs):
                problems.append(f"{fragment.where}: `{fragment.text}` is an option of none of "
                                f"{', '.join(f'autograder {v}' for v in verbs)}")
    assert not problems, "\n".join(problems)


def test_every_shown_command_has_a_rule() -> None:
    """Without running anything: a command no rule covers fails here, fast."""
    uncovered = []
    for _, found in _kit_extracted():
        for shown in found.commands:
            for part in re.split(r"\s*(?:&&|;)\s*", shown.text):
                if part.strip() and not _has_rule(part):
                    uncovered.append(f"{shown.where}: `{part}`")
    assert not uncovered, "shown but neither run nor parser-checked:\n" + "\n".join(uncovered)


def _has_rule(text: str) -> bool:
    """Whether `cover` has a rule for a command (mirrors its dispatch, runs nothing)."""
    tokens = _tokens(text) or []
    while tokens and _ASSIGNMENT.fullmatch(tokens[0]):
        tokens = tokens[1:]
    if not tokens:
        return False
    first, python = tokens[0], _python_args(tokens) or []
    return bool(
        (first == "cd" and len(tokens) == 2)
        or (first in {".", "source"} and len(tokens) == 2 and tokens[1].endswith("activate"))
        or first in {"autograder", "pytest", "make"}
        or python[:2] in (["-m", "autograder.cli"], ["-m", "pytest"], ["-m", "venv"],
                          ["-m", "autograder.authoring.fixtures"])
        or python[:3] == ["-m", "pip", "install"]
        or (first in PIPS and "install" in tokens)
        or (python[:1] and python[0].startswith("bench/") and python[0].endswith(".py"))
        or (first.startswith(".ci/") and len(tokens) == 1))


@pytest.mark.slow
def test_every_shown_command_runs_as_written(tmp_path: Path) -> None:
    kit = fresh_copy(ROOT, tmp_path / "kit")
    ctx = make_context(kit, tmp_path / "scratch")
    which = _run([sys.executable, "-c", "import autograder; print(autograder.__file__)"], ctx)
    assert which.stdout.strip() == str(kit / "autograder" / "__init__.py"), which.stdout + which.stderr

    seen: set[tuple[Path, str]] = set()
    problems, report = cover_documents(kit, KIT_DOCS, ctx, "", seen)

    bundle = kit / BUNDLE
    if not (bundle / "README.md").is_file():
        problems.append(f"no student bundle at {BUNDLE}: README.md's `autograder release "
                        f"{BUNDLE}` did not write it, so its README's commands were not covered")
    else:
        bundle_ctx = make_context(bundle, tmp_path / "bundle-scratch")
        bundle_ctx.log = ctx.log
        alone = _run([sys.executable, "-c", "import autograder.authoring.oracle"], bundle_ctx)
        assert alone.returncode != 0, "the bundle's runs reach the kit's modules"
        more, lines = cover_documents(bundle, BUNDLE_DOCS, bundle_ctx, f"{BUNDLE}/", seen)
        problems += more
        report += lines

    print("\n".join(["Covered:", *report, "", "Runs:", *ctx.log]))
    assert report, "no command covered"
    assert not problems, (f"{len(problems)} shown command(s) do not run as written:\n"
                          + "\n".join(problems))
