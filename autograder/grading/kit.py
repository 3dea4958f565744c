"""What a sandboxed worker gets of the kit: its own read-only copy of the child's modules in
the job folder (so the kit's folder, with the solutions, the oracle, the tests and the git
history, can stay hidden), and the command line that boots it from there."""

from __future__ import annotations

import sys
from pathlib import Path

import autograder

PACKAGE_DIR = Path(autograder.__file__).resolve().parent
_BOOT = ("import sys; sys.path.insert(0, {kit!r}); from autograder.grading.child.worker import boot; "
         "sys.exit(boot(sys.argv))")


def worker_command(job: Path) -> list[str]:
    """The sandboxed worker's command line for one job folder (see `child_kit`)."""
    return [sys.executable, "-I", "-c", _BOOT.format(kit=str(job / "kit")), str(job)]


def child_kit(job: Path) -> None:
    """Copy what the child needs of the kit into `job/kit`: readable, not writable, by it."""
    from autograder.grading.child.worker import CHILD_MODULES

    package = job / "kit" / "autograder"
    for name in CHILD_MODULES:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_bytes((PACKAGE_DIR / name).read_bytes())
        (package / name).chmod(0o644)
    for folder in {(package / name).parent for name in CHILD_MODULES} | {package.parent}:
        folder.chmod(0o755)
