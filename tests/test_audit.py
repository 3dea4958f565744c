"""The worker's audit hook, installed in a child interpreter of its own (a hook cannot be
removed, so never in the test process): each route to what grading forbids, and the record the
grader turns into a `policy` result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHILD = textwrap.dedent('''
    import json, os, sys
    import numpy  # as in the worker: loaded (with the ctypes it uses) before the hook
    sys.path.insert(0, sys.argv[1])
    from autograder.grading.child import audit
    job, hidden, private = sys.argv[2], sys.argv[3], sys.argv[4]
    import importlib.util  # the grader hides the forbidden packages' folders too
    packages = list(importlib.util.find_spec("scipy").submodule_search_locations)
    take = audit.install(job=job, hidden=[hidden, *packages], keep=[sys.prefix, sys.base_prefix],
                         forbidden_imports=["scipy", "json.tool"])
    attempts = {
        "importlib": lambda: __import__("importlib").import_module("sci" + "py"),
        "__import__": lambda: __import__("scipy.signal"),
        "meta_path removed": lambda: (sys.meta_path.pop(0),
                                      __import__("importlib").import_module("scipy")),
        "fork": os.fork,
        "system": lambda: os.system("true"),
        "socket": lambda: __import__("socket").socket(),
        "kill": lambda: os.kill(os.getppid(), 0),
        "ctypes": lambda: __import__("ctypes").CDLL(None),
        "write outside": lambda: open(os.path.join(hidden, "..", "forged"), "w"),
        "read hidden": lambda: open(os.path.join(hidden, "secret")).read(),
        "list hidden": lambda: os.listdir(hidden),
        "symlink route": lambda: (os.symlink(os.path.join(hidden, "secret"),
                                             os.path.join(job, "link")),),
        "dir_fd route": lambda: os.open("/", os.O_RDONLY),
        "private file": lambda: open(private).read(),
        "rlimit": lambda: __import__("resource").setrlimit(
            __import__("resource").RLIMIT_CPU, (10, 10)),
    }
    seen = {}
    for name, attempt in attempts.items():
        try:
            attempt()
            seen[name] = "allowed"
        except BaseException as error:
            seen[name] = f"{type(error).__name__}: {error}"
    with open(os.path.join(job, "inside.txt"), "w") as handle:  # the job folder is the child's
        handle.write("ok")
    seen["numpy"] = str(numpy.arange(3).sum())
    seen["refused"] = list(take())
    seen["after take"] = list(take())
    print(json.dumps(seen))
''')


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    top = tmp_path_factory.mktemp("audit")
    job, hidden = top / "job", top / "hidden"
    job.mkdir()
    hidden.mkdir()
    (hidden / "secret").write_text("secret")
    private = top / "private.txt"
    private.write_text("private")
    private.chmod(0o600)
    done = subprocess.run([sys.executable, "-I", "-c", CHILD, str(ROOT), str(job), str(hidden),
                           str(private)], capture_output=True, text=True, timeout=60, cwd=job)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (job / "inside.txt").read_text() == "ok"
    assert not (top / "forged").exists()
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", [
    "importlib", "__import__", "meta_path removed", "fork", "system", "socket", "kill", "ctypes",
    "write outside", "read hidden", "list hidden", "symlink route", "dir_fd route",
    "private file", "rlimit"])
def test_each_route_is_refused(seen: dict[str, object], name: str) -> None:
    outcome = str(seen[name])
    assert "not allowed while grading" in outcome, outcome


def test_forbidden_imports_raise_module_not_found(seen: dict[str, object]) -> None:
    assert str(seen["importlib"]).startswith("ModuleNotFoundError"), seen["importlib"]


def test_ordinary_work_goes_on(seen: dict[str, object]) -> None:
    assert seen["numpy"] == "3"


def test_refusals_are_recorded_once_each_and_handed_over(seen: dict[str, object]) -> None:
    refused = seen["refused"]
    assert isinstance(refused, list)
    assert "importing scipy" in refused and "starting a process (os.fork)" in refused
    assert any(r.startswith("reading ") and r.endswith("secret") for r in refused), refused
    assert len(refused) == len(set(refused))
    assert seen["after take"] == []


def test_the_private_file_is_readable_without_the_hook(tmp_path: Path) -> None:
    """Control: the same read succeeds for an unhooked child of the same user."""
    private = tmp_path / "private.txt"
    private.write_text("private")
    private.chmod(0o600)
    done = subprocess.run([sys.executable, "-I", "-c", "import sys; print(open(sys.argv[1]).read())",
                           str(private)], capture_output=True, text=True, timeout=30)
    assert done.stdout == "private\n"
    assert os.stat(private).st_mode & 0o077 == 0
