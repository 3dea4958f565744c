"""`autograder watch [EXERCISE ...]`: run the public checks again each time a `.py` file is saved.

One run is exactly `autograder check` (`autograder.student.loop.main`: the same policy, call
guard and time limits, the same messages and progress line), on a cleared screen, followed by a
line saying what is watched. Then it waits for a `.py` file under the exercises folder (and under
the folder of any module the loop took from elsewhere) to be saved, and runs again. Ctrl-C stops
it, exit status 0.

The waiting is the maintained `watchfiles` library (the operating system's file notifications:
inotify on Linux, FSEvents on macOS); it polls only where notifications cannot be had (watchfiles'
own choice on WSL or with `WATCHFILES_FORCE_POLLING`, and here when inotify cannot start, say its
instance limit is reached).

Every run imports the student's modules afresh: `load_module` gives each import a new name, and
the modules they import from the watched folders (a sibling exercise, a helper) are dropped from
`sys.modules` before the run, so a run always sees the files as saved.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from autograder.registry import EXERCISES
from autograder.registry import exercise as lookup
from autograder.student import loop

CLEAR = "\033[H\033[2J\033[3J"  # cursor home, clear the screen and the scroll-back
Changes = Iterator[Any]  # each item: one batch of saved files (watchfiles' set of changes)
READY_MS = 250  # how long the watcher waits before saying it is up (and between idle wake-ups)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _is_under(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def forget_modules(folders: Sequence[Path]) -> list[str]:
    """Drop from `sys.modules` every module loaded from a file under `folders` (what the
    student's modules imported on an earlier run: `import padding` in stride.py); returns their
    names. The kit's own modules are never under them."""
    resolved = [folder.resolve() for folder in folders]
    dropped = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name.split(".")[0] == "autograder":
            continue
        try:
            where = Path(file).resolve()
        except (OSError, ValueError):
            continue
        if _is_under(where, resolved):
            del sys.modules[name]
            dropped.append(name)
    return dropped


def watched_folders(names: Sequence[str], directory: Path) -> list[Path]:
    """The exercises folder, plus the folder of any module of `names` the loop takes from
    outside it."""
    folders = [directory.resolve()]
    for found in loop.find_modules(directory, names).values():
        if found.path is not None:
            parent = found.path.resolve().parent
            if not _is_under(parent, folders):
                folders.append(parent)
    return folders


def _shown(folders: Sequence[Path]) -> str:
    def one(folder: Path) -> str:
        try:
            return f"{folder.relative_to(Path.cwd().resolve()).as_posix() or '.'}/"
        except ValueError:
            return f"{folder}/"

    return ", ".join(one(f) for f in folders)


def file_changes(folders: Sequence[Path], *, note: Callable[[str], Any] = _say) -> Changes:
    """The batches of `.py` files saved under `folders`, as watchfiles reports them; first an
    empty batch, as soon as the watcher is up (a save from then on is never missed, even one
    made while the checks run). Uses the system's file notifications, and polls (with a note)
    only when they cannot start."""
    import watchfiles

    def stream(force_polling: bool | None) -> Changes:
        # None: watchfiles decides (it polls only on WSL or when WATCHFILES_FORCE_POLLING asks)
        return watchfiles.watch(*folders, watch_filter=watchfiles.PythonFilter(),
                                force_polling=force_polling, raise_interrupt=True,
                                yield_on_timeout=True, rust_timeout=READY_MS)

    changes = stream(None)
    try:
        next(changes)  # started: an empty batch after READY_MS (or the first saves)
    except (FileNotFoundError, PermissionError):
        raise
    except (OSError, RuntimeError) as error:  # inotify's limits; watchfiles' internal error
        note(f"(file notifications are unavailable here ({error}); looking for saved files "
             "every 0.3 s instead)")
        changes = stream(True)
        next(changes)
    yield set()
    for batch in changes:
        if batch:  # not a timeout
            yield batch


def run_once(names: Sequence[str], directory: Path, folders: Sequence[Path], *,
             profile: str | None = None, verbose: bool = False, quiet: bool = False,
             clear: bool = False) -> int:
    """One run: the screen cleared, `autograder check`'s output, the watching line."""
    forget_modules(folders)
    if clear:
        print(CLEAR, end="", flush=True)
    try:
        code = loop.main(names, directory, profile=profile, verbose=verbose, quiet=quiet,
                         out=_say)
    except Exception as error:  # the kit's own trouble (no MNIST data, say): keep watching
        _say(f"autograder watch: this run stopped: {type(error).__name__}: {error}")
        code = 2
    _say(f"\nWatching {_shown(folders)} for saved .py files: the checks run again on each "
         "save. Ctrl-C stops.")
    return code


def main(names: Sequence[str], directory: Path, *, profile: str | None = None,
         verbose: bool = False, quiet: bool = False, clear: bool | None = None,
         changes: Callable[[Sequence[Path]], Iterable[Any]] | None = None) -> int:
    """`autograder watch`: run, then run again on every save until Ctrl-C (exit status 0).
    `clear` (default: when stdout is a terminal) clears the screen before each run;
    `changes(folders)` yields once when it is watching, then a batch per save (default:
    `file_changes`)."""
    selected = list(names) or [e.name for e in EXERCISES]
    for name in selected:
        lookup(name)  # fail early on a typo
    directory = Path(directory)
    if not directory.is_dir():
        print(f"autograder watch: {directory} is not a folder", file=sys.stderr)
        return 2
    if changes is None:
        try:
            import watchfiles  # noqa: F401  (only to say clearly when it is missing)
        except ImportError:
            print("autograder watch needs the watchfiles package: `pip install watchfiles` "
                  "(or install this folder again: `pip install -e .`)", file=sys.stderr)
            return 2
        changes = file_changes
    if clear is None:
        clear = sys.stdout.isatty()
    folders = watched_folders(selected, directory)
    options: dict[str, Any] = {"profile": profile, "verbose": verbose, "quiet": quiet,
                               "clear": clear}
    try:
        batches = iter(changes(folders))
        next(batches, None)  # the watcher is up before the first run
        run_once(selected, directory, folders, **options)
        for _ in batches:
            run_once(selected, directory, folders, **options)
    except KeyboardInterrupt:
        _say("\nStopped watching.")
    except (OSError, RuntimeError) as error:  # the folders cannot be watched at all
        print(f"autograder watch: cannot watch {_shown(folders)}: {error}", file=sys.stderr)
        return 2
    return 0
